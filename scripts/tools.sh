#!/usr/bin/env bash
# Command-line tools the tests need, installed on first use into the cache dir.
#   bash scripts/tools.sh helm    prints the path of a helm binary
set -euo pipefail
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="$PATH:/usr/local/go/bin"; fi
CACHE="${IOTWINS_CACHE_DIR:-$HOME/.cache/iotwins}"
HELM_VERSION=v3.22.0
mkdir -p "$CACHE/bin"

case "${1:-}" in
helm)
  if [ ! -x "$CACHE/bin/helm" ]; then
    echo "building helm $HELM_VERSION from the Go module proxy (a few minutes; once per machine)" >&2
    GOBIN="$CACHE/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$CACHE/helm-build.log" 2>&1 ||
      { echo "helm cannot be had: go install failed, see $CACHE/helm-build.log" >&2; exit 1; }
  fi
  echo "$CACHE/bin/helm"
  ;;
*) echo "usage: $0 helm" >&2; exit 2 ;;
esac
