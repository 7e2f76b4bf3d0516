#!/usr/bin/env bash
# The one test command (README and .ci/run): install system packages the WebGPU tests need (as
# root, Debian), install pinned dependencies, typecheck, run every test, and end with a plain
# "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
# Dawn's Vulkan loader wants a writable runtime folder.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
PNPM="npx --yes pnpm@12.4.2"
$PNPM install --frozen-lockfile
$PNPM exec tsc -p tsconfig.json
report="$(mktemp -d)/vitest.json"
status=0
$PNPM exec vitest run --reporter=default --reporter=json --outputFile="$report" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || true
exit $status
