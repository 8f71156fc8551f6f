#!/usr/bin/env bash
# The real backing servers of the platform, on 127.0.0.1, installed and started by the repo.
#
#   bash scripts/services.sh up              install what is missing, start everything, wait until ready
#   bash scripts/services.sh down [--purge]  stop everything (--purge also deletes the data)
#   bash scripts/services.sh status          one line per server
#   bash scripts/services.sh check           exit 0 only if every server answers
#   bash scripts/services.sh stop|start NAME one server (the resilience tests use this)
#   bash scripts/services.sh logs NAME       the server's log
#   bash scripts/services.sh provision       create/update the NATS streams (operator step; `up` runs it)
#   bash scripts/services.sh install-nats    build nats-server and natscli if needed, print nats-server's path
#   bash scripts/services.sh rabbitmqctl ARGS   rabbitmqctl against this data dir's RabbitMQ node
#
# Ports and credentials come from deploy/local/local.env; variables set in the environment
# win. Data and logs live under $IOTWINS_DATA_DIR/services, built and downloaded servers
# under $IOTWINS_CACHE_DIR (default ~/.cache/iotwins) so a second `up` takes seconds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
load_local_env

CACHE="${IOTWINS_CACHE_DIR:-$HOME/.cache/iotwins}"
DATA="$IOTWINS_DATA_DIR/services"
SERVERS=(nats influxdb postgres redis mosquitto minio ferretdb keycloak rabbitmq)
KEYCLOAK_VERSION=26.4.7
FERRETDB_VERSION=v1.24.2
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# Auth callout (2.10+) and the permission model need a current server; Debian's is 2.9. The
# same version runs in docker-compose.yml. natscli is the `nats` tool the tests and docs use.
NATS_SERVER_VERSION=v2.15.2
NATSCLI_VERSION=v0.5.0
# The newest maintained InfluxDB 1.x; Debian's 1.6.7 (2018) lacks years of fixes.
INFLUXDB_VERSION=v1.13.2
PKG_CONFIG_VERSION=v0.3.0
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
# Debian's rabbitmq-server; its scripts are run directly (the /usr/sbin wrappers switch to
# the system instance's user and directories).
RABBITMQ_BIN=/usr/lib/rabbitmq/bin
mkdir -p "$CACHE/bin" "$DATA"

log_of() { echo "$DATA/$1/$1.log"; }
pid_of() { cat "$DATA/$1/pid" 2>/dev/null || true; }
running() { local pid; pid="$(pid_of "$1")"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
fail() { printf '\033[31m%s\033[0m\n' "$*" >&2; exit 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---------------------------------------------------------------- installation

install_debian_packages() {
  local missing=()
  command -v mosquitto >/dev/null || missing+=(mosquitto)
  command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -n "$PG_BIN" ] || missing+=(postgresql)
  command -v curl >/dev/null || missing+=(curl)
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  [ -x "$RABBITMQ_BIN/rabbitmq-server" ] || missing+=(rabbitmq-server)
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || fail "missing Debian packages (${missing[*]}); install them as root: apt-get install ${missing[*]}"
  say "installing Debian packages: ${missing[*]}"
  # The packages' own services must not start: this script runs the servers itself.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  disable_system_rabbitmq
}

# Debian's rabbitmq-server package brings a system instance (node rabbit@<host>) that would
# squat port 5672 at the next boot; this script runs its own instance per data dir instead.
disable_system_rabbitmq() {
  [ "$(id -u)" = 0 ] || return 0
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now rabbitmq-server.service >/dev/null 2>&1 || true
  fi
  update-rc.d rabbitmq-server disable >/dev/null 2>&1 || true
}

install_minio() {
  [ -x "$CACHE/bin/minio" ] && return
  command -v go >/dev/null || fail "MinIO cannot be had: it is built with Go, and go is not on the PATH"
  say "building MinIO from the Go module proxy (several minutes on 2 cores; once per machine)"
  GOBIN="$CACHE/bin" go install "github.com/minio/minio@$MINIO_VERSION" >"$CACHE/minio-build.log" 2>&1 ||
    fail "MinIO cannot be had: go install failed, see $CACHE/minio-build.log"
}

install_nats() {
  [ -x "$CACHE/bin/nats-server" ] && "$CACHE/bin/nats-server" --version | grep -q "${NATS_SERVER_VERSION}$" &&
    [ -x "$CACHE/bin/nats" ] && return
  command -v go >/dev/null || fail "nats-server cannot be had: it is built with Go, and go is not on the PATH"
  say "building nats-server $NATS_SERVER_VERSION and natscli $NATSCLI_VERSION from the Go module proxy (once per machine)"
  GOBIN="$CACHE/bin" go install "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION" >"$CACHE/nats-server-build.log" 2>&1 ||
    fail "nats-server cannot be had: go install failed, see $CACHE/nats-server-build.log"
  GOBIN="$CACHE/bin" go install "github.com/nats-io/natscli/nats@$NATSCLI_VERSION" >"$CACHE/natscli-build.log" 2>&1 ||
    fail "natscli cannot be had: go install failed, see $CACHE/natscli-build.log"
}

install_influxdb() {
  local bin="$CACHE/bin/influxd-$INFLUXDB_VERSION"
  [ -x "$bin" ] && return
  command -v go >/dev/null || fail "InfluxDB cannot be had: it is built with Go, and go is not on the PATH"
  # influxd links the Flux engine, a Rust library that its pkg-config wrapper builds with cargo.
  command -v cargo >/dev/null && command -v rustup >/dev/null ||
    fail "InfluxDB cannot be had: building its Flux library needs Rust (cargo and rustup with a stable toolchain; https://rustup.rs)"
  command -v cc >/dev/null || fail "InfluxDB cannot be had: cgo needs a C compiler (Debian: apt-get install gcc)"
  say "building InfluxDB $INFLUXDB_VERSION from the Go module proxy (about 4 minutes on 2 cores; once per machine)"
  local tools="$CACHE/influxdb-build-tools" out="$CACHE/influxdb-build"
  mkdir -p "$tools" "$out"
  GOBIN="$tools" go install "github.com/influxdata/pkg-config@$PKG_CONFIG_VERSION" >"$CACHE/influxdb-build.log" 2>&1 ||
    fail "InfluxDB cannot be had: go install of influxdata/pkg-config failed, see $CACHE/influxdb-build.log"
  # Flux pins a Rust toolchain that cannot be downloaded here; the stable one builds it.
  # The version is stamped as the release build does, so /ping reports it to clients.
  PATH="$tools:$PATH" RUSTUP_TOOLCHAIN=stable CGO_ENABLED=1 GOBIN="$out" \
    go install -ldflags "-X main.version=${INFLUXDB_VERSION#v}" \
    "github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION" >>"$CACHE/influxdb-build.log" 2>&1 ||
    fail "InfluxDB cannot be had: go install failed, see $CACHE/influxdb-build.log"
  mv "$out/influxd" "$bin"
}

install_ferretdb() {
  [ -x "$CACHE/bin/ferretdb" ] && return
  command -v go >/dev/null || fail "FerretDB cannot be had: it is built with Go, and go is not on the PATH"
  say "building FerretDB $FERRETDB_VERSION from the Go module proxy (about a minute; once per machine)"
  local module src
  module="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$module" ] || fail "FerretDB cannot be had: go mod download failed"
  src="$CACHE/src/ferretdb-$FERRETDB_VERSION"
  rm -rf "$src" && mkdir -p "$CACHE/src" && cp -r "$module" "$src" && chmod -R u+w "$src"
  # The release process writes the version file that the module source leaves empty.
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$CACHE/bin/ferretdb" ./cmd/ferretdb) >"$CACHE/ferretdb-build.log" 2>&1 ||
    fail "FerretDB cannot be had: go build failed, see $CACHE/ferretdb-build.log"
}

install_keycloak() {
  local home="$CACHE/keycloak-$KEYCLOAK_VERSION"
  [ -f "$home/.built" ] && return
  local archive="$CACHE/keycloak-$KEYCLOAK_VERSION.tar.gz"
  if [ ! -f "$archive" ]; then
    say "downloading Keycloak $KEYCLOAK_VERSION from Maven Central (150 MB)"
    curl -fL --progress-bar -o "$archive.part" \
      "https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" ||
      fail "Keycloak cannot be had: the download from Maven Central failed"
    mv "$archive.part" "$archive"
  fi
  say "unpacking and building Keycloak (about a minute; once per machine)"
  rm -rf "$home" && tar -xzf "$archive" -C "$CACHE"
  # Build-time options; runtime ones are given at start.
  "$home/bin/kc.sh" build --db=dev-file --health-enabled=true --metrics-enabled=true >"$CACHE/keycloak-build.log" 2>&1 ||
    fail "Keycloak cannot be built, see $CACHE/keycloak-build.log"
  touch "$home/.built"
}

install_all() {
  install_debian_packages
  # The Go builds run in parallel with the Keycloak download and build.
  local pids=()
  install_nats & pids+=($!)
  install_minio & pids+=($!)
  install_influxdb & pids+=($!)
  install_ferretdb & pids+=($!)
  install_keycloak & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || exit 1; done
}

# ---------------------------------------------------------------- starting

spawn() { # name command... : runs in the background, logs and pid under the data dir
  local name="$1"
  shift
  mkdir -p "$DATA/$name"
  nohup "$@" >>"$(log_of "$name")" 2>&1 &
  echo $! >"$DATA/$name/pid"
}

start_nats() {
  local dir="$DATA/nats"
  mkdir -p "$dir/jetstream"
  # One account per tenant of NATS_TENANTS, with its limits (decision 0012). nats-server
  # resolves include paths next to the including file, so the config is copied beside them.
  cp "$REPO_ROOT/deploy/nats/nats.conf" "$dir/nats.conf"
  bash "$REPO_ROOT/scripts/nats-tenant-accounts.sh" "$dir"
  NATS_HOST=127.0.0.1 NATS_PORT="$NATS_PORT" NATS_MONITOR_PORT="$NATS_MONITOR_PORT" NATS_WS_PORT="$NATS_WS_PORT" \
    NATS_STORE_DIR="$dir/jetstream" spawn nats "$CACHE/bin/nats-server" -c "$dir/nats.conf"
}

start_influxdb() {
  local dir="$DATA/influxdb"
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  auth-enabled = true
  log-enabled = false
  max-body-size = 0
EOF
  spawn influxdb "$CACHE/bin/influxd-$INFLUXDB_VERSION" -config "$dir/influxdb.conf"
}

start_postgres() {
  local dir="$DATA/postgres"
  mkdir -p "$dir/run"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    printf '%s\n' "$POSTGRES_PASSWORD" >"$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U "$POSTGRES_USER" --pwfile="$dir/pwfile" \
      --auth-host=scram-sha-256 --auth-local=trust -E UTF8 >>"$(log_of postgres)" 2>&1
    rm -f "$dir/pwfile"
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$(log_of postgres)" -w -t 60 \
    -o "-p $POSTGRES_PORT -k $dir/run -c listen_addresses=127.0.0.1" start >/dev/null
  head -n 1 "$dir/data/postmaster.pid" >"$dir/pid"
}

start_redis() {
  mkdir -p "$DATA/redis"
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --requirepass "$REDIS_PASSWORD" \
    --dir "$DATA/redis" --appendonly yes --save ''
}

start_mosquitto() {
  local dir="$DATA/mosquitto"
  mkdir -p "$dir/data"
  : >"$dir/passwords"
  mosquitto_passwd -b "$dir/passwords" "$MQTT_USER" "$MQTT_PASSWORD"
  mosquitto_passwd -b "$dir/passwords" gateway-tenant-a "$MQTT_GATEWAY_TENANT_A_PASSWORD"
  mosquitto_passwd -b "$dir/passwords" gateway-tenant-b "$MQTT_GATEWAY_TENANT_B_PASSWORD"
  mosquitto_passwd -b "$dir/passwords" testbed "$MQTT_TESTBED_PASSWORD"
  cat >"$dir/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous false
password_file $dir/passwords
acl_file $REPO_ROOT/deploy/mosquitto/acl
persistence true
persistence_location $dir/data/
log_dest stdout
user $(id -un)
EOF
  chmod 600 "$dir/passwords"
  spawn mosquitto mosquitto -c "$dir/mosquitto.conf"
}

start_minio() {
  mkdir -p "$DATA/minio/data" "$DATA/minio/notify-queue"
  # Object created/removed notifications go to JetStream (target IOTWINS), where the
  # objectstore relays them as platform events. The queue directory keeps them on disk
  # while NATS is away, so none is lost.
  MINIO_NOTIFY_NATS_ENABLE_IOTWINS=on \
    MINIO_NOTIFY_NATS_ADDRESS_IOTWINS="127.0.0.1:$NATS_PORT" \
    MINIO_NOTIFY_NATS_SUBJECT_IOTWINS=internal.objectstore.s3-notifications \
    MINIO_NOTIFY_NATS_USERNAME_IOTWINS=minio \
    MINIO_NOTIFY_NATS_PASSWORD_IOTWINS="$NATS_MINIO_PASSWORD" \
    MINIO_NOTIFY_NATS_JETSTREAM_IOTWINS=on \
    MINIO_NOTIFY_NATS_QUEUE_DIR_IOTWINS="$DATA/minio/notify-queue" \
    MINIO_ROOT_USER="$S3_ACCESS_KEY" MINIO_ROOT_PASSWORD="$S3_SECRET_KEY" MINIO_BROWSER=off \
    spawn minio "$CACHE/bin/minio" server "$DATA/minio/data" --quiet \
    --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT"
}

prepare_ferretdb_database() {
  # FerretDB passes each client's credentials to PostgreSQL, so its users are PostgreSQL roles.
  local psql=(as_postgres "$PG_BIN/psql" -h "$DATA/postgres/run" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -qtA)
  if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$MONGO_USER'")" ]; then
    "${psql[@]}" -c "CREATE ROLE \"$MONGO_USER\" LOGIN PASSWORD '$MONGO_PASSWORD'" >/dev/null
  fi
  if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE ferretdb OWNER \"$MONGO_USER\"" >/dev/null
  fi
  if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\"" >/dev/null
  fi
}

start_ferretdb() {
  mkdir -p "$DATA/ferretdb"
  spawn ferretdb "$CACHE/bin/ferretdb" --handler=postgresql \
    --postgresql-url="postgres://127.0.0.1:$POSTGRES_PORT/ferretdb" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr=- --state-dir="$DATA/ferretdb" \
    --telemetry=disable --log-level=warn
}

start_keycloak() {
  local home="$CACHE/keycloak-$KEYCLOAK_VERSION" dir="$DATA/keycloak"
  mkdir -p "$dir" "$home/data/import"
  cp "$REPO_ROOT/deploy/keycloak/iotwins-realm.json" "$home/data/import/iotwins-realm.json"
  KC_BOOTSTRAP_ADMIN_USERNAME="$KEYCLOAK_ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$KEYCLOAK_ADMIN_PASSWORD" \
    JAVA_OPTS_KC_HEAP="-Xms128m -Xmx768m" \
    spawn keycloak "$home/bin/kc.sh" start --optimized --import-realm \
    --http-enabled=true --http-host=127.0.0.1 --http-port="$KEYCLOAK_PORT" \
    --http-management-port="$KEYCLOAK_MANAGEMENT_PORT" --hostname-strict=false \
    --db-url="jdbc:h2:file:$dir/h2/keycloakdb;NON_KEYWORDS=VALUE;AUTO_SERVER=TRUE"
}

# One RabbitMQ node per data dir: its own node name (from its port, so two data dirs on one
# machine never share a node), AMQP and distribution ports, mnesia, logs, pid file and Erlang
# cookie (HOME). epmd, the Erlang port mapper, is shared by every node of the machine.
RABBITMQ_DIR="$DATA/rabbitmq"
RABBITMQ_ENV=(env HOME="$RABBITMQ_DIR" RABBITMQ_NODENAME="iotwins-$RABBITMQ_PORT@localhost"
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RABBITMQ_PORT"
  RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" RABBITMQ_CONFIG_FILE="$RABBITMQ_DIR/rabbitmq.conf"
  RABBITMQ_MNESIA_BASE="$RABBITMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RABBITMQ_DIR/log" RABBITMQ_LOGS=-
  RABBITMQ_PID_FILE="$RABBITMQ_DIR/rabbitmq.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$RABBITMQ_DIR/enabled_plugins"
  RABBITMQ_PLUGINS_EXPAND_DIR="$RABBITMQ_DIR/plugins-expand")
rabbitmqctl() { "${RABBITMQ_ENV[@]}" "$RABBITMQ_BIN/rabbitmqctl" "$@"; }

start_rabbitmq() {
  local dir="$DATA/rabbitmq"
  mkdir -p "$dir/mnesia" "$dir/log"
  # The first boot creates this user and vhost instead of `guest`; prepare_rabbitmq keeps
  # them in step with local.env afterwards.
  cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$RABBITMQ_PORT
default_user = $RABBITMQ_USER
default_pass = $RABBITMQ_PASSWORD
default_vhost = $RABBITMQ_VHOST
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
EOF
  : >"$dir/enabled_plugins"
  # The pid is rabbitmq-server's shell (env execs it): on SIGTERM it stops the Erlang VM cleanly.
  spawn rabbitmq "${RABBITMQ_ENV[@]}" "$RABBITMQ_BIN/rabbitmq-server"
}

prepare_rabbitmq() {
  rabbitmqctl -q await_startup --timeout 120 >/dev/null 2>&1 ||
    fail "RabbitMQ did not finish booting; its log: $(log_of rabbitmq)"
  # A data dir from before a password change: bring the user in line with local.env.
  if ! rabbitmqctl -q authenticate_user "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" >/dev/null 2>&1; then
    rabbitmqctl -q add_vhost "$RABBITMQ_VHOST" >/dev/null 2>&1 || true
    rabbitmqctl -q add_user "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" >/dev/null 2>&1 ||
      rabbitmqctl -q change_password "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" >/dev/null
    rabbitmqctl -q set_user_tags "$RABBITMQ_USER" administrator >/dev/null
    rabbitmqctl -q set_permissions -p "$RABBITMQ_VHOST" "$RABBITMQ_USER" '.*' '.*' '.*' >/dev/null
  fi
}

# ---------------------------------------------------------------- readiness

# Each check makes a real, authenticated request, not just a port probe.
answers() {
  case "$1" in
  nats) curl -fsS "http://127.0.0.1:$NATS_MONITOR_PORT/healthz" >/dev/null 2>&1 ;;
  influxdb) curl -fsS -u "$INFLUX_USER:$INFLUX_PASSWORD" "http://127.0.0.1:$INFLUX_PORT/query" \
    --data-urlencode "q=SHOW DATABASES" >/dev/null 2>&1 ;;
  postgres) PGPASSWORD="$POSTGRES_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" \
    -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1 ;;
  redis) [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --no-auth-warning -a "$REDIS_PASSWORD" PING 2>/dev/null)" = PONG ] ;;
  mosquitto) mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -u "$MQTT_USER" -P "$MQTT_PASSWORD" \
    -t iotwins/health -m ping -q 1 >/dev/null 2>&1 ;;
  minio) curl -fsS "http://127.0.0.1:$MINIO_PORT/minio/health/ready" >/dev/null 2>&1 ;;
  ferretdb) (exec 3<>"/dev/tcp/127.0.0.1/$MONGO_PORT") 2>/dev/null && running ferretdb ;;
  keycloak) curl -fsS "http://127.0.0.1:$KEYCLOAK_PORT/realms/iotwins/.well-known/openid-configuration" >/dev/null 2>&1 ;;
  # Our node (not a system instance on the same port) answers the AMQP 0-9-1 protocol header
  # with connection.start (frame type 1, channel 0, class 10, method 10).
  rabbitmq) running rabbitmq && amqp_handshake ;;
  esac
}

amqp_handshake() {
  local reply
  reply="$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_PORT" || exit 1
    printf 'AMQP\x00\x00\x09\x01' >&3
    timeout 2 head -c 11 <&3 | od -An -tx1 | tr -d ' \n'
  )" 2>/dev/null || return 1
  [[ "$reply" =~ ^010000[0-9a-f]{8}000a000a$ ]]
}

wait_ready() { # name timeout-seconds
  local name="$1" deadline=$((SECONDS + $2))
  until answers "$name"; do
    if ! running "$name" && [ "$name" != postgres ]; then
      tail -n 15 "$(log_of "$name")" >&2 || true
      fail "$name exited while starting; its log: $(log_of "$name")"
    fi
    [ $SECONDS -lt "$deadline" ] || fail "$name did not answer within $2 s; its log: $(log_of "$name")"
    sleep 0.3
  done
}

ensure_influx_admin() {
  # With auth enabled, InfluxDB 1.x accepts CREATE USER without credentials only while no user exists.
  if ! curl -fsS -u "$INFLUX_USER:$INFLUX_PASSWORD" "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=SHOW USERS" >/dev/null 2>&1; then
    curl -fsS "http://127.0.0.1:$INFLUX_PORT/query" \
      --data-urlencode "q=CREATE USER \"$INFLUX_USER\" WITH PASSWORD '$INFLUX_PASSWORD' WITH ALL PRIVILEGES" >/dev/null ||
      fail "InfluxDB refused to create its admin user; its log: $(log_of influxdb)"
  fi
}

start_one() {
  local name="$1"
  if running "$name" && answers "$name"; then return; fi
  case "$name" in
  nats) start_nats && wait_ready nats 30 ;;
  influxdb) until curl -fsS "http://127.0.0.1:$INFLUX_PORT/ping" >/dev/null 2>&1 && running influxdb; do
      running influxdb || start_influxdb
      sleep 0.3
    done && ensure_influx_admin && wait_ready influxdb 30 ;;
  postgres) start_postgres && wait_ready postgres 60 && prepare_ferretdb_database ;;
  redis) start_redis && wait_ready redis 30 ;;
  mosquitto) start_mosquitto && wait_ready mosquitto 30 ;;
  minio) start_minio && wait_ready minio 60 ;;
  ferretdb) start_ferretdb && wait_ready ferretdb 30 ;;
  keycloak) start_keycloak && wait_ready keycloak 180 ;;
  rabbitmq) start_rabbitmq && wait_ready rabbitmq 120 && prepare_rabbitmq ;;
  *) fail "unknown server $name; one of: ${SERVERS[*]}" ;;
  esac
}

stop_one() {
  local name="$1" pid
  if [ "$name" = postgres ]; then
    [ -f "$DATA/postgres/data/postmaster.pid" ] &&
      as_postgres "$PG_BIN/pg_ctl" -D "$DATA/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -f "$DATA/postgres/pid"
    return
  fi
  pid="$(pid_of "$name")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    # RabbitMQ's clean shutdown (queues, mnesia) takes longer than the others'.
    for _ in $(seq 1 "$([ "$name" = rabbitmq ] && echo 600 || echo 100)"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # The Erlang VM itself, should its shell have been killed first.
  if [ "$name" = rabbitmq ] && [ -f "$RABBITMQ_DIR/rabbitmq.pid" ]; then
    pid="$(cat "$RABBITMQ_DIR/rabbitmq.pid")"
    grep -qs beam "/proc/$pid/comm" && kill -9 "$pid" 2>/dev/null || true
    rm -f "$RABBITMQ_DIR/rabbitmq.pid"
  fi
  rm -f "$DATA/$name/pid"
}

# The operator's provisioning step: every stream, durable consumer and KV bucket, created with
# the operator login (services may not). It is TypeScript in libs/messaging, built on demand.
provision() {
  say "provisioning NATS streams (operator login)"
  (cd "$REPO_ROOT" && pnpm exec nx run @iotwins/messaging:build --output-style=static >/dev/null) ||
    fail "libs/messaging does not build (run pnpm install first); NATS is not provisioned"
  NATS_OPERATOR_USER=dev NATS_OPERATOR_PASSWORD="$NATS_DEV_PASSWORD" \
    node "$REPO_ROOT/libs/messaging/dist/provision.main.js" | sed 's/^/  /'
}

up() {
  local started=$SECONDS
  install_all
  say "starting the backing servers"
  # Independent servers start in parallel; FerretDB needs PostgreSQL first.
  local pids=() names=(nats influxdb redis mosquitto minio keycloak rabbitmq)
  for name in "${names[@]}"; do
    (start_one "$name") & pids+=($!)
  done
  (start_one postgres && start_one ferretdb) & pids+=($!)
  local failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ $failed -eq 0 ] || fail "some servers did not start; see the lines above"
  provision
  status
  say "backing services ready in $((SECONDS - started)) s"
}

status() {
  local name state
  for name in "${SERVERS[@]}"; do
    if answers "$name"; then state=$'\033[32mup\033[0m'; else state=$'\033[31mdown\033[0m'; fi
    printf '  %-10s %-6s log: %s\n' "$name" "$state" "$(log_of "$name")"
  done
}

check() {
  local name bad=0
  for name in "${SERVERS[@]}"; do answers "$name" || { echo "$name is down"; bad=1; }; done
  return $bad
}

case "${1:-}" in
up) up ;;
down)
  for name in rabbitmq keycloak ferretdb minio mosquitto redis influxdb nats postgres; do stop_one "$name"; done
  if [ "${2:-}" = "--purge" ]; then rm -rf "$DATA" && say "removed $DATA"; fi
  ;;
purge) "$0" down --purge ;;
status) status ;;
check) check ;;
provision) provision ;;
# The one nats-server build of the repo, for scripts/nats-cluster.sh too: prints its path.
install-nats) install_nats >&2; echo "$CACHE/bin/nats-server" ;;
start) [ -n "${2:-}" ] || fail "usage: $0 start NAME"; start_one "$2" ;;
stop) [ -n "${2:-}" ] || fail "usage: $0 stop NAME"; stop_one "$2" ;;
logs) [ -n "${2:-}" ] || fail "usage: $0 logs NAME"; cat "$(log_of "$2")" ;;
# rabbitmqctl against this data dir's node (tests read queue counters with it).
rabbitmqctl) shift; rabbitmqctl "$@" ;;
*) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
