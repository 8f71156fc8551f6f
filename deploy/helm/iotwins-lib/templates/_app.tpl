{{/* Everything one app needs, in one call from its chart. */}}
{{- define "iotwins.app" -}}
{{ include "iotwins.serviceAccount" . }}
{{ include "iotwins.configMap" . }}
{{ include "iotwins.deployment" . }}
{{ include "iotwins.service" . }}
{{ include "iotwins.mqttService" . }}
{{ include "iotwins.ingress" . }}
{{ include "iotwins.grpcIngress" . }}
{{ include "iotwins.hpa" . }}
{{ include "iotwins.pdb" . }}
{{ include "iotwins.serviceMonitor" . }}
{{ include "iotwins.networkPolicy" . }}
{{- end -}}

{{- define "iotwins.serviceAccount" -}}
{{- if .top.Values.serviceAccount.create }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "iotwins.serviceAccountName" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
  {{- with .top.Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# The apps never call the Kubernetes API: no token is mounted into their pods.
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{- define "iotwins.configMap" -}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
data:
  {{- include "iotwins.configEnv" . | nindent 2 }}
{{- end -}}

{{- define "iotwins.deployment" -}}
{{- $v := .top.Values -}}
{{- $g := $v.global -}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    # A new pod is ready before an old one goes, so capacity never drops during an upgrade.
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  selector:
    matchLabels:
      {{- include "iotwins.selector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "iotwins.labels" . | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A changed setting rolls the pods, since the apps read their environment once.
        checksum/config: {{ include "iotwins.configEnv" . | sha256sum }}
        {{- /* These annotations cannot carry a bearer token: with METRICS_TOKEN set and no
        ServiceMonitor, the scraper is configured by hand instead (docs/deployment.md). */}}
        {{- if not (or $v.serviceMonitor.enabled (include "iotwins.metricsTokenSecret" .)) }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $v.port | quote }}
        prometheus.io/path: /metrics
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "iotwins.serviceAccountName" . }}
      automountServiceAccountToken: false
      {{- with $g.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ .name }}
        {{- end }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .app }}
          image: {{ include "iotwins.image" . | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy | default $g.image.pullPolicy }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
            {{- if and (has "grpc" .uses) $v.grpc.enabled }}
            - name: grpc
              containerPort: {{ $v.grpc.port }}
              protocol: TCP
            {{- end }}
            {{- if and (has "mqttServer" .uses) $v.mqttServer.enabled }}
            - name: mqtt
              containerPort: {{ $v.mqttServer.port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "iotwins.fullname" . }}
          {{- $secretEnv := include "iotwins.secretEnv" . }}
          {{- if $secretEnv }}
          env:
            {{- $secretEnv | trim | nindent 12 }}
          {{- end }}
          # Startup gives a slow first connection to the backing servers time; liveness only
          # says the process runs, readiness that every backing server answers.
          startupProbe:
            httpGet: { path: /health/live, port: http }
            {{- toYaml $v.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: { path: /health/live, port: http }
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: { path: /health/ready, port: http }
            {{- toYaml $v.probes.readiness | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            # The root filesystem is read-only; Node and its libraries may write temp files.
            - { name: tmp, mountPath: /tmp }
            {{- if and (has "nats" .uses) $v.nats.credsSecret.name }}
            - { name: nats-creds, mountPath: {{ include "iotwins.natsCredsDir" . }}, readOnly: true }
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: { medium: Memory, sizeLimit: 64Mi }
        {{- if and (has "nats" .uses) $v.nats.credsSecret.name }}
        - name: nats-creds
          secret:
            secretName: {{ $v.nats.credsSecret.name }}
            items: [{ key: {{ $v.nats.credsSecret.key | quote }}, path: {{ $v.nats.credsSecret.key | quote }} }]
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.topologySpread.enabled }}
      # Replicas spread over nodes and zones, so losing one takes out at most a share of them.
      topologySpreadConstraints:
        {{- range $key := list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
        - maxSkew: 1
          topologyKey: {{ $key }}
          whenUnsatisfiable: {{ $v.topologySpread.whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "iotwins.selector" $ | nindent 14 }}
        {{- end }}
      {{- end }}
{{- end -}}

{{- define "iotwins.service" -}}
{{- $v := .top.Values -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "iotwins.selector" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.port }}
      targetPort: http
      protocol: TCP
      appProtocol: http
    {{- if and (has "grpc" .uses) $v.grpc.enabled }}
    - name: grpc
      port: {{ $v.grpc.port }}
      targetPort: grpc
      protocol: TCP
      # gRPC is HTTP/2 in clear text inside the cluster; ingress controllers read this.
      appProtocol: kubernetes.io/h2c
    {{- end }}
    {{- if and (has "mqttServer" .uses) $v.mqttServer.enabled }}
    - name: mqtt
      port: {{ $v.mqttServer.port }}
      targetPort: mqtt
      protocol: TCP
      appProtocol: mqtt
    {{- end }}
{{- end -}}

{{/*
MQTT is plain TCP, so no Ingress carries it: gateways outside the cluster reach ingest's MQTT
endpoint through a Service of its own, a LoadBalancer or NodePort that exposes that one port
(the app's HTTP stays behind its Ingress).
*/}}
{{- define "iotwins.mqttService" -}}
{{- $v := .top.Values -}}
{{- if and (has "mqttServer" .uses) $v.mqttServer.enabled $v.mqttServer.service.enabled }}
{{- $svc := $v.mqttServer.service }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "iotwins.fullname" . }}-mqtt
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
  {{- with $svc.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $svc.type }}
  {{- /* Local keeps the gateways' source addresses visible to the NetworkPolicy and the logs. */}}
  externalTrafficPolicy: {{ $svc.externalTrafficPolicy }}
  {{- with $svc.loadBalancerSourceRanges }}
  {{- if eq $svc.type "LoadBalancer" }}
  loadBalancerSourceRanges:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- end }}
  selector:
    {{- include "iotwins.selector" . | nindent 4 }}
  ports:
    - name: mqtt
      port: {{ $svc.port | default $v.mqttServer.port }}
      targetPort: mqtt
      protocol: TCP
      appProtocol: mqtt
      {{- if and (eq $svc.type "NodePort") $svc.nodePort }}
      nodePort: {{ $svc.nodePort }}
      {{- end }}
{{- end }}
{{- end -}}
