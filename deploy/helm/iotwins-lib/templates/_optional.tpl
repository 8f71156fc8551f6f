{{/* Companions of an app that an operator turns on in the values; all off by default. */}}

{{- define "iotwins.ingress" -}}
{{- $v := .top.Values -}}
{{- if $v.ingress.enabled }}
{{- $ctx := . }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
  {{- with $v.ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $v.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $v.ingress.tls }}
  tls:
    {{- range . }}
    - secretName: {{ .secretName }}
      hosts: {{ toJson .hosts }}
    {{- end }}
  {{- end }}
  rules:
    {{- range required "ingress.hosts needs at least one host when the Ingress is enabled" $v.ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType }}
            backend:
              service:
                name: {{ include "iotwins.fullname" $ctx }}
                port: { name: http }
          {{- end }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* gRPC needs its own Ingress: controllers speak HTTP/2 to the backend only when told. */}}
{{- define "iotwins.grpcIngress" -}}
{{- $v := .top.Values -}}
{{- if and (has "grpc" .uses) $v.grpc.enabled $v.grpc.ingress.enabled }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "iotwins.fullname" . }}-grpc
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
  {{- with $v.grpc.ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $v.grpc.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $v.grpc.ingress.tlsSecretName }}
  tls:
    - secretName: {{ . }}
      hosts: [{{ required "grpc.ingress.host is needed when the gRPC Ingress is enabled" $v.grpc.ingress.host | quote }}]
  {{- end }}
  rules:
    - host: {{ required "grpc.ingress.host is needed when the gRPC Ingress is enabled" $v.grpc.ingress.host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ include "iotwins.fullname" . }}
                port: { name: grpc }
{{- end }}
{{- end -}}

{{- define "iotwins.hpa" -}}
{{- $v := .top.Values -}}
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "iotwins.fullname" . }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}

{{- define "iotwins.pdb" -}}
{{- $v := .top.Values -}}
{{- if $v.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "iotwins.selector" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "iotwins.serviceMonitor" -}}
{{- $v := .top.Values -}}
{{- if $v.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
    {{- with $v.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "iotwins.selector" . | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $v.serviceMonitor.interval }}
      scrapeTimeout: {{ $v.serviceMonitor.scrapeTimeout }}
      {{- /* The Secret METRICS_TOKEN comes from (same helper as the environment): Prometheus
      presents it as a bearer token. The Secret must live in this release's namespace. */}}
      {{- with include "iotwins.metricsTokenSecret" . }}
      {{- $token := fromJson . }}
      authorization:
        type: Bearer
        credentials:
          name: {{ $token.name | quote }}
          key: {{ $token.key | quote }}
      {{- end }}
{{- end }}
{{- end -}}

{{/*
The app's pods reach only DNS and the backing servers it uses (each on its ports, at the
peers the values name), and take traffic only on their own ports. For the timeseries app a
second policy closes InfluxDB to everything else: one malformed line posted straight to it
crashes every InfluxDB 1.x release, so nothing but the writer may talk to it.
*/}}
{{- define "iotwins.networkPolicy" -}}
{{- $v := .top.Values -}}
{{- $g := $v.global -}}
{{- if $v.networkPolicy.enabled }}
{{- $ctx := . }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "iotwins.fullname" . }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "iotwins.selector" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - ports:
        - { port: http, protocol: TCP }
        {{- if and (has "grpc" .uses) $v.grpc.enabled }}
        - { port: grpc, protocol: TCP }
        {{- end }}
      {{- with $v.networkPolicy.ingressFrom }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- /* MQTT gateways come from outside (through a LoadBalancer or NodePort), not from the
    ingress controller: their port has its own sources (empty: anyone). */}}
    {{- if and (has "mqttServer" .uses) $v.mqttServer.enabled }}
    - ports:
        - { port: mqtt, protocol: TCP }
      {{- with $v.mqttServer.networkPolicy.ingressFrom }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
  egress:
    - ports:
        - { port: 53, protocol: UDP }
        - { port: 53, protocol: TCP }
    {{- /* Ingest's file connectors read and write MinIO and read InfluxDB (as tenant readers). */}}
    {{- $reaches := $ctx.uses }}
    {{- if and (has "connectors" $ctx.uses) $v.connectors.files $v.connectors.files.enabled }}
    {{- $reaches = concat $ctx.uses (list "s3" "influxdb") }}
    {{- end }}
    {{- range $backend := list "nats" "keycloak" "redis" "mqtt" "influxdb" "s3" "mongodb" "postgresql" }}
    {{- if has $backend $reaches }}
    {{- $np := (index $g $backend).networkPolicy }}
    - ports:
        {{- range $np.ports }}
        - { port: {{ . }}, protocol: TCP }
        {{- end }}
      {{- with $np.peers }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- end }}
    {{- with $v.networkPolicy.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- if and (has "influxdb" .uses) $g.influxdb.networkPolicy.protect }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "iotwins.fullname" . }}-influxdb-only
  {{- with $g.influxdb.networkPolicy.namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "iotwins.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- required "global.influxdb.networkPolicy.podLabels must select the InfluxDB pods" $g.influxdb.networkPolicy.podLabels | toYaml | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - ports:
        {{- range $g.influxdb.networkPolicy.ports }}
        - { port: {{ . }}, protocol: TCP }
        {{- end }}
      from:
        - podSelector:
            matchLabels:
              {{- include "iotwins.selector" . | nindent 14 }}
          namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .top.Release.Namespace }}
        {{- with $g.influxdb.networkPolicy.readers }}
        # Read-only clients the operator names (Grafana with per-tenant read-only users).
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}
{{- end }}
{{- end -}}
