{{/*
Every template of this library takes one context, made by the app chart:
  (dict "top" $ "app" "<app name>" "uses" (list "<backend or feature>" ...))
"uses" names what the app talks to (nats, keycloak, redis, mqtt, influxdb, s3, mongodb,
postgresql) and what it serves besides HTTP (grpc, mqttServer), so the environment, the
NetworkPolicy and the ports follow from one list.
*/}}

{{- define "iotwins.fullname" -}}
{{- $v := .top.Values -}}
{{- if $v.fullnameOverride -}}
{{- $v.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if eq .top.Release.Name .app -}}
{{- .app | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .top.Release.Name .app | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "iotwins.selector" -}}
app.kubernetes.io/name: {{ .app }}
app.kubernetes.io/instance: {{ .top.Release.Name }}
{{- end -}}

{{- define "iotwins.labels" -}}
{{ include "iotwins.selector" . }}
app.kubernetes.io/component: {{ .app }}
app.kubernetes.io/part-of: iotwins
app.kubernetes.io/managed-by: {{ .top.Release.Service }}
app.kubernetes.io/version: {{ .top.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .top.Chart.Name .top.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "iotwins.serviceAccountName" -}}
{{- if .top.Values.serviceAccount.create -}}
{{- .top.Values.serviceAccount.name | default (include "iotwins.fullname" .) -}}
{{- else -}}
{{- .top.Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "iotwins.image" -}}
{{- $g := .top.Values.global.image -}}
{{- $i := .top.Values.image -}}
{{- $tag := $i.tag | default $g.tag | default .top.Chart.AppVersion -}}
{{- if $i.digest -}}
{{- printf "%s/%s@%s" ($i.registry | default $g.registry) ($i.repository | default .app) $i.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" ($i.registry | default $g.registry) ($i.repository | default .app) $tag -}}
{{- end -}}
{{- end -}}

{{/* Where the app's NATS credentials file is mounted, when one is given. */}}
{{- define "iotwins.natsCredsDir" -}}/etc/iotwins/nats{{- end -}}

{{/* Plain settings of the app: they go to its ConfigMap. Secrets never do (see secretEnv). */}}
{{- define "iotwins.configEnv" -}}
{{- $v := .top.Values -}}
{{- $g := $v.global -}}
{{- $env := dict "HOST" "0.0.0.0" "PORT" (toString $v.port) "LOG_LEVEL" ($v.logLevel | default $g.logLevel) -}}
{{- if has "keycloak" .uses -}}
{{- $_ := set $env "AUTH_ISSUER" $g.keycloak.issuer -}}
{{- $_ := set $env "AUTH_AUDIENCE" $g.keycloak.audience -}}
{{- with $g.keycloak.discoveryUrl }}{{ $_ := set $env "AUTH_DISCOVERY_URL" . }}{{ end -}}
{{- end -}}
{{- if has "nats" .uses -}}
{{- $_ := set $env "NATS_URL" $g.nats.url -}}
{{- $_ := set $env "NATS_USER" $v.nats.user -}}
{{- if $v.nats.credsSecret.name -}}
{{- $_ := set $env "NATS_CREDS_FILE" (printf "%s/%s" (include "iotwins.natsCredsDir" .) $v.nats.credsSecret.key) -}}
{{- end -}}
{{- end -}}
{{- if has "grpc" .uses -}}
{{- $_ := set $env "GRPC_ENABLED" (toString $v.grpc.enabled) -}}
{{- $_ := set $env "GRPC_PORT" (toString $v.grpc.port) -}}
{{- end -}}
{{- /* Ingest's own MQTT endpoint (ADR 0009): its PUBACK comes once JetStream stored the data. */ -}}
{{- if has "mqttServer" .uses -}}
{{- $_ := set $env "MQTT_SERVER_ENABLED" (toString $v.mqttServer.enabled) -}}
{{- $_ := set $env "MQTT_SERVER_PORT" (toString $v.mqttServer.port) -}}
{{- end -}}
{{- /* The tenants' connectors run in ingest (docs/connectors.md); their sealing key is a Secret. */ -}}
{{- if has "connectors" .uses -}}
{{- $_ := set $env "CONNECTORS_ENABLED" (toString $v.connectors.enabled) -}}
{{- $_ := set $env "CONNECTORS_LEASE_SECONDS" (toString $v.connectors.leaseSeconds) -}}
{{- /* File connectors: the tenants' buckets and the tenant readers of InfluxDB. */ -}}
{{- if and $v.connectors.files $v.connectors.files.enabled -}}
{{- $_ := set $env "S3_ENDPOINT" $g.s3.endpoint -}}
{{- $_ := set $env "CONNECTORS_S3_ACCESS_KEY" $v.connectors.files.s3AccessKey -}}
{{- $_ := set $env "CONNECTORS_FILE_MAX_BYTES" (toString (int64 $v.connectors.files.maxFileBytes)) -}}
{{- $_ := set $env "CONNECTORS_EXPORT_MAX_POINTS" (toString (int64 $v.connectors.files.exportMaxPoints)) -}}
{{- $_ := set $env "INFLUX_URL" $g.influxdb.url -}}
{{- end -}}
{{- end -}}
{{- if has "mqtt" .uses -}}
{{- $_ := set $env "MQTT_ENABLED" (toString $g.mqtt.enabled) -}}
{{- $_ := set $env "MQTT_URL" $g.mqtt.url -}}
{{- $_ := set $env "MQTT_USER" $g.mqtt.user -}}
{{- end -}}
{{- if has "influxdb" .uses -}}
{{- $_ := set $env "INFLUX_URL" $g.influxdb.url -}}
{{- $_ := set $env "INFLUX_USER" $g.influxdb.user -}}
{{- end -}}
{{- if has "s3" .uses -}}
{{- $_ := set $env "S3_ENDPOINT" $g.s3.endpoint -}}
{{- end -}}
{{- if and (has "presign" .uses) $g.s3.publicEndpoint -}}
{{- $_ := set $env "S3_PUBLIC_ENDPOINT" $g.s3.publicEndpoint -}}
{{- end -}}
{{- range $name, $value := $v.env -}}
{{- $_ := set $env $name (toString $value) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/* Variables read from existing Secrets: name -> {name, key}. */}}
{{- define "iotwins.secretEnv" -}}
{{- $v := .top.Values -}}
{{- $g := $v.global -}}
{{- $refs := dict -}}
{{- if and (has "nats" .uses) (not $v.nats.credsSecret.name) -}}
{{- $_ := set $refs "NATS_PASSWORD" $v.nats.passwordSecret -}}
{{- end -}}
{{- /* The ingest app signs the NATS users of testbed clients (auth callout, docs/nats.md). */ -}}
{{- if and (has "natsCallout" .uses) $v.nats.calloutIssuerSeedSecret $v.nats.calloutIssuerSeedSecret.name -}}
{{- $_ := set $refs "NATS_AUTH_CALLOUT_ISSUER_SEED" $v.nats.calloutIssuerSeedSecret -}}
{{- end -}}
{{- if has "redis" .uses }}{{ $_ := set $refs "REDIS_URL" $g.redis.urlSecret }}{{ end -}}
{{- if has "mqtt" .uses }}{{ $_ := set $refs "MQTT_PASSWORD" $g.mqtt.passwordSecret }}{{ end -}}
{{- if has "influxdb" .uses }}{{ $_ := set $refs "INFLUX_PASSWORD" $g.influxdb.passwordSecret }}{{ end -}}
{{- if has "s3" .uses -}}
{{- $_ := set $refs "S3_ACCESS_KEY" $g.s3.accessKeySecret -}}
{{- $_ := set $refs "S3_SECRET_KEY" $g.s3.secretKeySecret -}}
{{- end -}}
{{- if has "mongodb" .uses }}{{ $_ := set $refs "MONGO_URL" $g.mongodb.urlSecret }}{{ end -}}
{{- if has "postgresql" .uses }}{{ $_ := set $refs "POSTGRES_URL" $g.postgresql.urlSecret }}{{ end -}}
{{- /* Unset, connectors that hold credentials are refused (docs/connectors.md). */ -}}
{{- if and (has "connectors" .uses) $v.connectors.secretKeySecret.name -}}
{{- $_ := set $refs "CONNECTORS_SECRET_KEY" $v.connectors.secretKeySecret -}}
{{- end -}}
{{- if and (has "connectors" .uses) $v.connectors.files $v.connectors.files.enabled -}}
{{- if $v.connectors.files.s3SecretKeySecret.name }}{{ $_ := set $refs "CONNECTORS_S3_SECRET_KEY" $v.connectors.files.s3SecretKeySecret }}{{ end -}}
{{- if $v.connectors.files.readerSecretSecret.name }}{{ $_ := set $refs "TIMESERIES_READER_SECRET" $v.connectors.files.readerSecretSecret }}{{ end -}}
{{- end -}}
{{- with include "iotwins.metricsTokenSecret" . }}{{ $_ := set $refs "METRICS_TOKEN" (fromJson .) }}{{ end -}}
{{- range $name, $ref := $v.secretEnv }}{{ $_ := set $refs $name $ref }}{{ end -}}
{{- range $name, $ref := $refs }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "the Secret holding %s must be named" $name) $ref.name | quote }}
      key: {{ required (printf "the key of %s in its Secret must be named" $name) $ref.key | quote }}
{{- end -}}
{{- end -}}

{{/*
The Secret holding METRICS_TOKEN, as JSON {name, key}: the app's metrics.tokenSecret, else
global.metrics.tokenSecret; empty when neither names one (then /metrics is open). The
environment and the ServiceMonitor both read it here, so they always name the same Secret.
*/}}
{{- define "iotwins.metricsTokenSecret" -}}
{{- $v := .top.Values -}}
{{- $own := ($v.metrics | default dict).tokenSecret | default dict -}}
{{- $global := (($v.global.metrics | default dict).tokenSecret) | default dict -}}
{{- if $own.name -}}
{{- toJson (dict "name" $own.name "key" $own.key) -}}
{{- else if $global.name -}}
{{- toJson (dict "name" $global.name "key" $global.key) -}}
{{- end -}}
{{- end -}}
