# Go programs the repo builds from the Go module proxy into the cache, one binary per pinned
# version, so a version bump builds anew and two versions (helm 4 and helm 3) live side by side.
# Sourced by scripts/tools.sh and scripts/nats-cluster.sh.
# shellcheck shell=bash

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="$PATH:/usr/local/go/bin"; fi
GO_TOOLS_CACHE="${IOTWINS_CACHE_DIR:-$HOME/.cache/iotwins}"

HELM_VERSION=v4.3.1
HELM3_VERSION=v3.22.0
REGISTRY_VERSION=v3.1.2
KUBECTL_VALIDATE_VERSION=v0.0.4
PROMETHEUS_OPERATOR_VERSION=v0.85.0

# go_tool NAME VERSION PACKAGE [BINARY]: prints the path of $CACHE/bin/NAME-VERSION, building it first
# if needed. A lock keeps two test processes from building the same binary at once; the binary
# is moved into place only once complete, so an interrupted build is redone, never half-used.
go_tool() {
  local name="$1" version="$2" package="$3" binary="${4:-$1}"
  local bin="$GO_TOOLS_CACHE/bin/$name-$version"
  mkdir -p "$GO_TOOLS_CACHE/bin"
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || { echo "$name cannot be had: it is built with Go, and go is not on the PATH" >&2; return 1; }
    (
      flock 9
      [ -x "$bin" ] && exit 0
      echo "building $name $version from the Go module proxy (a few minutes on 2 cores; once per machine)" >&2
      local tmp log="$GO_TOOLS_CACHE/$name-$version-build.log"
      tmp="$(mktemp -d "$GO_TOOLS_CACHE/bin/.build-$name.XXXXXX")"
      GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath "$package@$version" >"$log" 2>&1 ||
        { rm -rf "$tmp"; echo "$name cannot be had: go install failed, see $log" >&2; exit 1; }
      mv "$tmp/$binary" "$bin" && rm -rf "$tmp"
    ) 9>"$GO_TOOLS_CACHE/bin/.$name-$version.lock" || return 1
  fi
  echo "$bin"
}

# The Helm of every script and check (Helm 4); the charts must also pass with Helm 3.
install_helm() { go_tool helm "$HELM_VERSION" helm.sh/helm/v4/cmd/helm; }
install_helm3() { go_tool helm "$HELM3_VERSION" helm.sh/helm/v3/cmd/helm; }
# The CNCF distribution registry, which Harbor is built on: the local stand-in for Harbor.
install_registry() { go_tool registry "$REGISTRY_VERSION" github.com/distribution/distribution/v3/cmd/registry; }
# Validates rendered manifests against the Kubernetes OpenAPI schemas it carries, offline.
install_kubectl_validate() { go_tool kubectl-validate "$KUBECTL_VALIDATE_VERSION" sigs.k8s.io/kubectl-validate; }
# The Prometheus operator's ServiceMonitor CRD, for kubectl-validate --local-crds: the charts'
# ServiceMonitors are checked against the operator's own schema, not a guess of it. The file
# comes from the operator's Go module (its source, CRDs included) through the module proxy,
# once per version; prints the directory holding it.
install_prometheus_operator_crds() {
  local dir="$GO_TOOLS_CACHE/crds/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
  local crd=monitoring.coreos.com_servicemonitors.yaml
  mkdir -p "$GO_TOOLS_CACHE/crds"
  if [ ! -f "$dir/$crd" ]; then
    command -v go >/dev/null || { echo "the ServiceMonitor CRD cannot be had: go is not on the PATH" >&2; return 1; }
    (
      flock 9
      [ -f "$dir/$crd" ] && exit 0
      local tmp module
      tmp="$(mktemp -d "$GO_TOOLS_CACHE/crds/.fetch.XXXXXX")"
      # Outside any module, so the repo's own go.mod (if any) plays no part.
      module="$(cd "$tmp" && go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
      cp "$module/example/prometheus-operator-crd/$crd" "$tmp/$crd" ||
        { rm -rf "$tmp"; echo "the ServiceMonitor CRD cannot be had from the module proxy" >&2; exit 1; }
      rm -rf "$dir" && mv "$tmp" "$dir"
    ) 9>"$GO_TOOLS_CACHE/crds/.prometheus-operator-$PROMETHEUS_OPERATOR_VERSION.lock" || return 1
  fi
  echo "$dir"
}
# nats-server is built once, by scripts/services.sh (`install_nats`, its pinned version), into
# the same cache; the cluster runs exactly the binary of the single server.
install_nats_server() { bash "$(dirname "${BASH_SOURCE[0]}")/services.sh" install-nats; }
