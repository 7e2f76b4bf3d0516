#!/usr/bin/env bash
# Builds each published package into its dist/ with tsc: ES modules, .d.ts and source maps (sources
# inlined), `.ts` import specifiers rewritten to `.js`. In dependency order: a package's imports of
# the others resolve to their dist/*.d.ts (tsconfig.build.json's paths). `pnpm build` runs it;
# scripts/pack.sh runs it before packing.
set -euo pipefail
cd "$(dirname "$0")/.."
for pkg in packages/ir packages/compiler packages/viewer packages/backends packages/models packages/onnx packages/cli; do
  rm -rf "$pkg/dist"
  node_modules/.bin/tsc -p "$pkg/tsconfig.build.json"
done
