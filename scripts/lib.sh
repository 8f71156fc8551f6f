# Shared by the repo's scripts: paths, the local settings and the Node toolchain.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
export IOTWINS_DATA_DIR="${IOTWINS_DATA_DIR:-$REPO_ROOT/.data}"
PNPM_VERSION="$(sed -n 's/.*"packageManager": "pnpm@\([0-9.]*\)".*/\1/p' "$REPO_ROOT/package.json")"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

# Go (for MinIO, FerretDB and helm builds) may be installed outside the default PATH.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="$PATH:/usr/local/go/bin"; fi

APPS=(ingest timeseries objectstore model-registry retrainer)
declare -A APP_PORTS=([ingest]=3001 [timeseries]=3002 [objectstore]=3003 [model-registry]=3004 [retrainer]=3005)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Exports deploy/local/local.env without overriding variables already set by the caller.
load_local_env() {
  local line name
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    name="${line%%=*}"
    if [ -z "${!name+x}" ]; then export "$line"; fi
  done <"$REPO_ROOT/deploy/local/local.env"
}

# Node 20.19+ is on the machines this runs on; pnpm is pinned by package.json.
ensure_node_toolchain() {
  if ! command -v node >/dev/null; then
    echo "Node.js 20.19 or newer is required (apt-get install nodejs, or your usual installer)" >&2
    exit 1
  fi
  if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    say "installing pnpm $PNPM_VERSION"
    npm install --global --silent "pnpm@$PNPM_VERSION" >/dev/null
  fi
  say "installing Node dependencies (pnpm install --frozen-lockfile)"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile --reporter=silent)
}

# The environment of one app: the local settings plus the app's own NATS user.
app_env() {
  local app="$1" var
  var="NATS_$(echo "$app" | tr 'a-z-' 'A-Z_')_PASSWORD"
  echo "NATS_USER=$app NATS_PASSWORD=${!var} PORT=${APP_PORTS[$app]}"
}

# The Python clients that users bring (tests/python/requirements.txt) live in a virtual
# environment under the cache, one per version of that file, so a second run reuses it.
ensure_python_env() {
  local requirements="$REPO_ROOT/tests/python/requirements.txt" hash
  command -v python3 >/dev/null || { echo "python3 (3.10+) is required for the pytest suite" >&2; exit 1; }
  hash="$(sha256sum "$requirements" | cut -c1-12)"
  PYTHON_ENV="${IOTWINS_CACHE_DIR:-$HOME/.cache/iotwins}/venv-$hash"
  export PYTHON_ENV
  # The marker is written last, so an interrupted install is redone, not half-used.
  [ -f "$PYTHON_ENV/.complete" ] && return
  say "creating the Python environment for the pytest suite ($PYTHON_ENV)"
  rm -rf "$PYTHON_ENV"
  python3 -m venv "$PYTHON_ENV"
  "$PYTHON_ENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$PYTHON_ENV/.complete"
}
