#!/usr/bin/env bash
# Installs everything, starts the backing services and the five apps on this machine, and
# prints where each listens.  Usage: bash scripts/start.sh [stop]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
load_local_env
APP_DIR="$IOTWINS_DATA_DIR/apps"

stop_apps() {
  local app pid
  for app in "${APPS[@]}"; do
    if [ -f "$APP_DIR/$app.pid" ]; then
      pid="$(cat "$APP_DIR/$app.pid")"
      kill "$pid" 2>/dev/null && say "stopped $app (pid $pid)" || true
      rm -f "$APP_DIR/$app.pid"
    fi
  done
}

if [ "${1:-}" = "stop" ]; then
  stop_apps
  exit 0
fi

ensure_node_toolchain
bash "$REPO_ROOT/scripts/services.sh" up
say "building the libs and apps"
(cd "$REPO_ROOT" && pnpm exec nx run-many -t build --output-style=static >/dev/null)

mkdir -p "$APP_DIR"
stop_apps
for app in "${APPS[@]}"; do
  # shellcheck disable=SC2046
  env $(app_env "$app") node "$REPO_ROOT/apps/$app/dist/main.js" >"$APP_DIR/$app.log" 2>&1 &
  echo $! >"$APP_DIR/$app.pid"
done

for app in "${APPS[@]}"; do
  port="${APP_PORTS[$app]}"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$APP_DIR/$app.pid")" 2>/dev/null; then
      echo "$app exited; its log:" >&2
      tail -n 20 "$APP_DIR/$app.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || {
    echo "$app is not ready after 60 s; see $APP_DIR/$app.log" >&2
    exit 1
  }
done

cat <<INFO

IoTwinS data services are running (logs under $APP_DIR, stop with: bash scripts/start.sh stop)

  app             URL                      OpenAPI / Swagger UI
INFO
for app in "${APPS[@]}"; do
  printf '  %-15s http://127.0.0.1:%-8s http://127.0.0.1:%s/docs\n' "$app" "${APP_PORTS[$app]}" "${APP_PORTS[$app]}"
done
cat <<INFO

  ingest gRPC     127.0.0.1:${GRPC_PORT:-50051} (proto/iotwins/ingest/v1/ingest.proto)
  ingest MQTT     mqtt://127.0.0.1:${MQTT_SERVER_PORT:-1884}, topics iotwins/<tenant>/telemetry[/<measurement>] (Keycloak client id and secret; PUBACK once stored)
  MQTT bridge     $MQTT_URL (Mosquitto, same topics, user gateway-tenant-a)
  Keycloak        $KEYCLOAK_URL (admin console: $KEYCLOAK_ADMIN_USER / $KEYCLOAK_ADMIN_PASSWORD)
  backing services: bash scripts/services.sh status

Get a token as tenant-a's edge gateway and call an app:
  TOKEN=\$(curl -s $AUTH_ISSUER/protocol/openid-connect/token \\
    -d grant_type=client_credentials -d client_id=gateway-tenant-a \\
    -d client_secret=$KEYCLOAK_GATEWAY_TENANT_A_SECRET | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:3001/v1/me
INFO
echo
say "demo: a simulated wind turbine (HTTP) and power-quality meter (MQTT) send readings, we read them back and archive them in the objectstore, poll a production API through a connector, then register and deploy a model, and watch a drifting one get retrained and deactivated"
node "$REPO_ROOT/scripts/demo.js"
