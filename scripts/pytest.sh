#!/usr/bin/env bash
# The pytest suite: real Python clients (tests/python/requirements.txt) against the platform.
# The apps must be built (pnpm build) and the backing servers up (scripts/services.sh up).
#   bash scripts/pytest.sh [pytest arguments...]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
load_local_env
ensure_python_env
cd "$REPO_ROOT"
exec "$PYTHON_ENV/bin/python" -m pytest -c tests/python/pytest.ini --rootdir tests/python "$@" tests/python
