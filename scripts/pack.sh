#!/usr/bin/env bash
# bash scripts/pack.sh DIR: installable tarballs of smelt's packages in DIR (@smelt/ir, compiler,
# viewer, backends, models, onnx, cli). Builds each package's dist/ (scripts/build.sh), then `pnpm pack`, which
# writes the publishConfig fields (exports, imports and bin on dist/) into the packed package.json
# and turns workspace:* into the exact versions. Publish these tarballs, or `npm install DIR/*.tgz`:
# their dependencies outside smelt are `protobufjs` (@smelt/onnx decodes and encodes ONNX with it)
# and the optional `webgpu` (Dawn, for WebGPU in Node). The CLI finds @smelt/onnx when it is
# installed beside it (an optional peer); without it, .onnx files and --target onnx say to install it.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: bash scripts/pack.sh DIR" >&2
  exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cd "$(dirname "$0")/.."
PNPM="${PNPM:-npx --yes pnpm@12.4.2}"
bash scripts/build.sh
for pkg in packages/ir packages/compiler packages/viewer packages/backends packages/models packages/onnx packages/cli; do
  (cd "$pkg" && $PNPM pack --pack-destination "$out" >/dev/null)
done
ls "$out"/*.tgz
