#!/usr/bin/env bash
# A 3-node NATS JetStream cluster on 127.0.0.1, as production runs it (streams with 3 replicas),
# for the scale-out tests and for trying the platform on a cluster by hand.
#
#   bash scripts/nats-cluster.sh up            build nats-server if needed, start the 3 nodes, wait for a meta leader
#   bash scripts/nats-cluster.sh down [--purge] stop the nodes (--purge also deletes their data)
#   bash scripts/nats-cluster.sh status        one line per node
#   bash scripts/nats-cluster.sh urls          the client URLs, comma-separated
#   bash scripts/nats-cluster.sh kill N        kill -9 node N (1-3): a crash, no goodbye to the cluster
#   bash scripts/nats-cluster.sh start N       start node N again with its data
#
# Each node runs deploy/nats/nats.conf (the same users and settings as the single server)
# plus a cluster block. Ports: client NATS_CLUSTER_BASE_PORT+N, routes +10+N, monitoring
# +20+N (base 31220 by default: below the kernel's ephemeral ports, 32768 and up, which outgoing connections may hold).
# Data and logs live under $NATS_CLUSTER_DIR (default $IOTWINS_DATA_DIR/nats-cluster).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/go-tools.sh"
load_local_env

BASE="${NATS_CLUSTER_BASE_PORT:-31220}"
DIR="${NATS_CLUSTER_DIR:-$IOTWINS_DATA_DIR/nats-cluster}"
NODES=(1 2 3)

client_port() { echo $((BASE + $1)); }
route_port() { echo $((BASE + 10 + $1)); }
monitor_port() { echo $((BASE + 20 + $1)); }
pid_of() { cat "$DIR/n$1/pid" 2>/dev/null || true; }
running() { local pid; pid="$(pid_of "$1")"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
fail() { printf '\033[31m%s\033[0m\n' "$*" >&2; exit 1; }

write_config() {
  local n="$1" routes="" m
  for m in "${NODES[@]}"; do routes+="\"nats-route://127.0.0.1:$(route_port "$m")\", "; done
  mkdir -p "$DIR/n$n/jetstream"
  # nats-server resolves include paths next to the including file, so the shared config is
  # copied beside each node's own; settings after the include win over those in it.
  cp "$REPO_ROOT/deploy/nats/nats.conf" "$DIR/n$n/base.conf"
  # ...and the tenant accounts it includes, from NATS_TENANTS (decision 0012).
  bash "$REPO_ROOT/scripts/nats-tenant-accounts.sh" "$DIR/n$n"
  cat >"$DIR/n$n/node.conf" <<EOF
include "base.conf"
server_name: iotwins-n$n
cluster {
  name: iotwins-cluster
  host: 127.0.0.1
  port: $(route_port "$n")
  routes: [ $routes]
}
EOF
}

start_node() {
  local n="$1" bin
  running "$n" && return
  bin="$(install_nats_server)"
  write_config "$n"
  # Every listener of the shared config gets a port of this node's own (WebSocket: +30+N).
  NATS_HOST=127.0.0.1 NATS_PORT="$(client_port "$n")" NATS_MONITOR_PORT="$(monitor_port "$n")" \
    NATS_WS_PORT=$((BASE + 30 + n)) NATS_STORE_DIR="$DIR/n$n/jetstream" \
    nohup "$bin" -c "$DIR/n$n/node.conf" >>"$DIR/n$n/nats.log" 2>&1 &
  echo $! >"$DIR/n$n/pid"
}

# Ready when every node started answers /healthz, which on a cluster also means JetStream has
# a meta leader and the node is current with it.
wait_ready() {
  local deadline=$((SECONDS + ${1:-60})) n ok
  while :; do
    ok=1
    for n in "${NODES[@]}"; do
      [ -f "$DIR/n$n/pid" ] || continue
      running "$n" || { tail -n 5 "$DIR/n$n/nats.log" >&2; fail "NATS node $n exited; its log: $DIR/n$n/nats.log"; }
      curl -fsS "http://127.0.0.1:$(monitor_port "$n")/healthz" >/dev/null 2>&1 || ok=0
    done
    [ $ok = 1 ] && return
    [ $SECONDS -lt "$deadline" ] || fail "the NATS cluster did not become healthy; logs under $DIR/n*/nats.log"
    sleep 0.3
  done
}

urls() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("nats://127.0.0.1:$(client_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

case "${1:-}" in
up)
  for n in "${NODES[@]}"; do start_node "$n"; done
  wait_ready 90
  say "NATS cluster up: $(urls)"
  ;;
down)
  for n in "${NODES[@]}"; do
    pid="$(pid_of "$n")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/n$n/pid"
  done
  if [ "${2:-}" = "--purge" ]; then rm -rf "$DIR"; fi
  ;;
status)
  for n in "${NODES[@]}"; do
    if running "$n"; then state=up; else state=down; fi
    printf '  n%s %-5s client %s monitor %s log %s\n' "$n" "$state" "$(client_port "$n")" "$(monitor_port "$n")" "$DIR/n$n/nats.log"
  done
  ;;
urls) urls ;;
kill)
  [[ "${2:-}" =~ ^[123]$ ]] || fail "usage: $0 kill 1|2|3"
  pid="$(pid_of "$2")"
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -f "$DIR/n$2/pid"
  ;;
start)
  [[ "${2:-}" =~ ^[123]$ ]] || fail "usage: $0 start 1|2|3"
  start_node "$2" && wait_ready 60
  ;;
*) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
