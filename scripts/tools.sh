#!/usr/bin/env bash
# Command-line tools the scripts and tests need, built on first use into the cache dir
# (versions pinned in scripts/go-tools.sh).
#   bash scripts/tools.sh helm|helm3|registry|kubectl-validate|nats-server   prints the binary's path
#   bash scripts/tools.sh prometheus-operator-crds                          prints the CRDs' directory
#   bash scripts/tools.sh all                                                 builds them all, one by one
set -euo pipefail
source "$(dirname "$0")/go-tools.sh"

case "${1:-}" in
helm) install_helm ;;
helm3) install_helm3 ;;
registry) install_registry ;;
kubectl-validate) install_kubectl_validate ;;
nats-server) install_nats_server ;;
prometheus-operator-crds) install_prometheus_operator_crds ;;
all) install_nats_server && install_helm && install_helm3 && install_registry && install_kubectl_validate && install_prometheus_operator_crds ;;
*) echo "usage: $0 helm|helm3|registry|kubectl-validate|nats-server|prometheus-operator-crds|all" >&2; exit 2 ;;
esac
