#!/usr/bin/env bash
# Runs every check CI runs: format, lint, types, build, unit tests, integration tests against
# the real servers, and the resilience tests that stop and restart those servers.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
set -e
ensure_node_toolchain
bash "$REPO_ROOT/scripts/services.sh" up
cd "$REPO_ROOT"
RESULTS="$IOTWINS_DATA_DIR/test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"

say "format check (prettier)"
pnpm exec prettier --check . --log-level warn
say "build, typecheck and lint (nx)"
pnpm exec nx run-many -t build typecheck lint --output-style=static --parallel=2 >"$RESULTS/nx.log" 2>&1 || {
  grep -E "error|✖|failed" "$RESULTS/nx.log" | head -50
  exit 1
}
pnpm exec eslint scripts jest.config.js eslint.config.mjs --max-warnings 0
set +e

status=0
for tier in unit integration resilience; do
  say "$tier tests"
  pnpm exec jest --selectProjects "$tier" --runInBand --json --outputFile="$RESULTS/$tier.json" || status=1
done

# One closing line for the whole run, the form CI reads.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const tier of ["unit", "integration", "resilience"]) {
    const file = process.argv[1] + "/" + tier + ".json";
    if (!fs.existsSync(file)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$RESULTS"
exit $status
