#!/usr/bin/env bash
# Runs every check CI runs: format, lint, types, build, unit tests, integration tests against
# the real servers, the pytest suite that drives the platform with the Python clients users
# bring, and the resilience tests that stop and restart those servers.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
set -e
ensure_node_toolchain
ensure_python_env
bash "$REPO_ROOT/scripts/services.sh" up
# Helm 4 and 3, the OCI registry, kubectl-validate and nats-server for the chart, OCI and
# cluster specs: built once into the cache, here rather than inside a spec's time limit.
say "tools (scripts/tools.sh all)"
bash "$REPO_ROOT/scripts/tools.sh" all >/dev/null
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
for tier in unit integration; do
  say "$tier tests"
  pnpm exec jest --selectProjects "$tier" --runInBand --forceExit --json --outputFile="$RESULTS/$tier.json" || status=1
done
# Hostile input at every door of the running apps, a witness tenant measured throughout
# (e2e/hostile); its counts go to $RESULTS/hostile-summary.json.
say "hostile-input tests"
pnpm exec jest --selectProjects hostile --runInBand --forceExit --json --outputFile="$RESULTS/hostile.json" || status=1
say "python tests (pytest, real clients against the running apps)"
bash scripts/pytest.sh -q --junitxml="$RESULTS/python.xml" || status=1
say "resilience tests"
# --forceExit: a spec that restarts servers can leave a reconnecting client behind, and a
# Jest that waits for it would hold CI until its time limit after every test has finished.
pnpm exec jest --selectProjects resilience --runInBand --forceExit --json --outputFile="$RESULTS/resilience.json" || status=1

# One closing line for the whole run, the form CI reads.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const tier of ["unit", "integration", "hostile", "resilience"]) {
    const file = process.argv[1] + "/" + tier + ".json";
    if (!fs.existsSync(file)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  // pytest writes JUnit XML; its <testsuite> element carries the counts.
  const xml = process.argv[1] + "/python.xml";
  if (!fs.existsSync(xml)) failed += 1;
  else {
    const suite = /<testsuite\b[^>]*>/.exec(fs.readFileSync(xml, "utf8"))?.[0] ?? "";
    const count = (name) => Number(new RegExp(` ${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
    const total = count("tests"), bad = count("failures") + count("errors");
    passed += total - bad - count("skipped"); failed += bad;
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$RESULTS"
exit $status
