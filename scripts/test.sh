#!/usr/bin/env bash
# The one test command (README and .ci/run): install system packages the WebGPU tests and the bench
# smoke run need (as root, Debian), install pinned dependencies, typecheck (library, bench, and the
# playground with the viewer's page code), run every test, end with a plain "N passed, N failed"
# line, then run the bench suite's smoke run
# (`pnpm bench --quick`: every engine once on the smallest workload, outputs checked, no timing gate).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
# Dawn's Vulkan loader wants a writable runtime folder.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
PNPM="npx --yes pnpm@12.4.2"
$PNPM install --frozen-lockfile
$PNPM exec tsc -p tsconfig.json
$PNPM exec tsc -p bench/tsconfig.json
$PNPM exec tsc -p playground/tsconfig.json
report="$(mktemp -d)/vitest.json"
status=0
$PNPM exec vitest run --reporter=default --reporter=json --outputFile="$report" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || true

# The bench smoke run. Under CI=true every engine must run; elsewhere engines this machine cannot
# run (no WebGPU adapter, no PyTorch to export the ONNX models) are allowed to say why and skip.
allow=()
if [ "${CI:-}" != true ]; then
  allow=(--allow-unavailable smelt-webgpu,tfjs-webgpu,jax-webgpu,ort-)
fi
$PNPM bench --quick --out "$(mktemp -d)/bench-quick.json" "${allow[@]}" || status=$?
exit $status
