#!/usr/bin/env bash
# Packages the Helm charts of deploy/helm and pushes them to an OCI registry, as Harbor stores
# them (oci://<registry>/<project>/<chart>:<version>).
#
#   bash scripts/helm-push.sh deps                       fetch each chart's dependencies (library -> apps -> umbrella)
#   bash scripts/helm-push.sh package DIR                package every chart into DIR
#   bash scripts/helm-push.sh push oci://HOST/PROJECT    package into a temp dir, log in, push; one line per chart
#
# The chart version is the repo's (package.json "version"; every Chart.yaml must say the same),
# the app version the build's: $APP_VERSION, else `git describe --tags --always`. Images
# default to the app version as tag, so charts and images of one build go together.
# push logs in with $HELM_REGISTRY_USERNAME and $HELM_REGISTRY_PASSWORD (a Harbor robot
# account); $HELM_REGISTRY_PLAIN_HTTP=true talks plain HTTP (a registry on loopback only).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/go-tools.sh"

HELM_BIN="${HELM_BIN:-$(install_helm)}"
CHARTS="$REPO_ROOT/deploy/helm"
APPS_CHARTS=(iotwins-ingest iotwins-timeseries iotwins-objectstore iotwins-model-registry iotwins-retrainer)
VERSION="$(node -p "require('$REPO_ROOT/package.json').version")"
APP_VERSION="${APP_VERSION:-$(git -C "$REPO_ROOT" describe --tags --always 2>/dev/null || echo "$VERSION")}"
fail() { printf '\033[31m%s\033[0m\n' "$*" >&2; exit 1; }

check_versions() {
  local chart version
  for chart in iotwins-lib "${APPS_CHARTS[@]}" iotwins; do
    version="$(sed -n 's/^version: *//p' "$CHARTS/$chart/Chart.yaml")"
    [ "$version" = "$VERSION" ] || fail "$chart/Chart.yaml says version $version, the repo (package.json) $VERSION"
  done
  # Dependencies are pinned to the same version.
  if grep -h 'version:' "$CHARTS"/*/Chart.yaml | grep -v "$VERSION" | grep -q 'version'; then
    fail "a dependency in deploy/helm/*/Chart.yaml is pinned to another version than $VERSION"
  fi
}

deps() {
  local chart
  for chart in "${APPS_CHARTS[@]}"; do
    "$HELM_BIN" dependency update --skip-refresh "$CHARTS/$chart" >/dev/null
  done
  "$HELM_BIN" dependency update --skip-refresh "$CHARTS/iotwins" >/dev/null
}

# The umbrella must carry the app charts of this build (their appVersion picks the images),
# so it is packaged from a copy whose charts/ holds the app packages just made.
package() {
  local out="$1" chart work
  mkdir -p "$out"
  check_versions
  deps
  "$HELM_BIN" package "$CHARTS/iotwins-lib" --destination "$out" >/dev/null
  for chart in "${APPS_CHARTS[@]}"; do
    "$HELM_BIN" package "$CHARTS/$chart" --app-version "$APP_VERSION" --destination "$out" >/dev/null
  done
  work="$(mktemp -d)"
  cp -r "$CHARTS/iotwins" "$work/iotwins"
  rm -f "$work/iotwins/charts/"*.tgz
  for chart in "${APPS_CHARTS[@]}"; do cp "$out/$chart-$VERSION.tgz" "$work/iotwins/charts/"; done
  "$HELM_BIN" package "$work/iotwins" --app-version "$APP_VERSION" --destination "$out" >/dev/null
  rm -rf "$work"
  ls "$out"/*.tgz
}

push() {
  local target="$1" host file flags=() digest
  [[ "$target" =~ ^oci://([^/]+)/.+ ]] || fail "usage: $0 push oci://HOST/PROJECT"
  host="${BASH_REMATCH[1]}"
  [ -n "${HELM_REGISTRY_USERNAME:-}" ] && [ -n "${HELM_REGISTRY_PASSWORD:-}" ] ||
    fail "set HELM_REGISTRY_USERNAME and HELM_REGISTRY_PASSWORD (a Harbor robot account with push rights)"
  [ "${HELM_REGISTRY_PLAIN_HTTP:-false}" = true ] && flags+=(--plain-http)
  PUSH_DIR="$(mktemp -d)"
  trap 'rm -rf "$PUSH_DIR"' EXIT
  package "$PUSH_DIR" >/dev/null
  printf '%s' "$HELM_REGISTRY_PASSWORD" |
    "$HELM_BIN" registry login "$host" --username "$HELM_REGISTRY_USERNAME" --password-stdin \
      ${flags[@]+"${flags[@]}"} >/dev/null
  for file in iotwins-lib "${APPS_CHARTS[@]}" iotwins; do
    file="$PUSH_DIR/$file-$VERSION.tgz"
    digest="$("$HELM_BIN" push "$file" "$target" ${flags[@]+"${flags[@]}"} 2>&1 | sed -n 's/^Digest: *//p')"
    [ -n "$digest" ] || fail "helm push of $(basename "$file") to $target failed"
    echo "pushed $(basename "$file" .tgz) app-version $APP_VERSION digest $digest"
  done
  "$HELM_BIN" registry logout "$host" >/dev/null 2>&1 || true
}

case "${1:-}" in
deps) deps ;;
package) [ -n "${2:-}" ] || fail "usage: $0 package DIR"; package "$2" ;;
push) [ -n "${2:-}" ] || fail "usage: $0 push oci://HOST/PROJECT"; push "$2" ;;
*) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
