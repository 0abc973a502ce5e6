#!/usr/bin/env bash
# The whole test suite: brings up the toolchain and services (scripts/toolchain-up.sh),
# then runs the fast tests (tsc, eslint, vitest unit project) and the end-to-end
# suite against real Docker, BuildKit, registry and Pulumi engine.
# Prints a timing line per phase and a closing "N passed, N failed, N skipped".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
total_t0=$SECONDS
bash scripts/toolchain-up.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh
# In CI, stop the daemons this run started once it is over.
if [[ ${CI:-} == true ]]; then trap 'bash scripts/toolchain-down.sh' EXIT; fi

results=.atlas/test-results
rm -rf "$results" && mkdir -p "$results"
status=0

phase_start unit
command -v shellcheck >/dev/null || apt_install shellcheck
shellcheck -x scripts/*.sh .ci/run || status=1
npx tsc --noEmit || status=1
npx eslint . || status=1
npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json" || status=1
phase_end

phase_start e2e
npx vitest run --project e2e --reporter=default --reporter=json --outputFile="$results/e2e.json" || status=1
phase_end

# shellcheck disable=SC2016  # the JavaScript's ${…} is not for the shell
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed++; console.error(`no results in ${f}`); continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + (r.numFailedTestSuites || 0);
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$results/unit.json" "$results/e2e.json"
printf 'timing: %-10s %4ss\n' total "$((SECONDS - total_t0))"
exit $status
