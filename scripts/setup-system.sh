#!/usr/bin/env bash
# System packages the tests use beyond Node.js and npm: Mesa's lavapipe (a software Vulkan driver)
# from Debian bookworm-backports, so the WebGPU suite runs on a machine without a GPU (Dawn rejects
# bookworm's own Mesa 22), Debian's PyTorch (python3-torch), with which the bench smoke run
# exports the ONNX models ONNX Runtime runs, python3-onnx (external data files for the ONNX import
# tests, and the official onnx.proto that packages/onnx embeds), and Chromium with fonts, in which the browser tests load
# exported models and playwright-core drives the playground and the standalone viewer (their
# screenshots need fonts: installed explicitly, in case apt skips Chromium's recommended ones). Idempotent: installs only what is missing. Needs root
# and apt-get; without them it says what it could not install, and the WebGPU tests, the browser
# tests and the bench smoke run report why they skip those parts (under CI=true they fail instead).
set -euo pipefail

have_lavapipe() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q bpo && [ -e /usr/share/vulkan/icd.d/lvp_icd.json ]
}
have_torch() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null
}
have_chromium() {
  [ -x /usr/bin/chromium ]
}
have_onnx() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import onnx' 2>/dev/null
}

have_fonts() {
  fc-list 2>/dev/null | grep -qiE 'liberation|dejavu'
}

if have_lavapipe && have_torch && have_chromium && have_fonts && have_onnx; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  have_lavapipe || echo "setup-system: not root or no apt-get: Mesa lavapipe not installed; the WebGPU tests will say why they skip" >&2
  have_torch || echo "setup-system: not root or no apt-get: python3-torch not installed; the bench smoke run leaves ONNX Runtime out" >&2
  have_chromium || echo "setup-system: not root or no apt-get: chromium not installed; the browser tests will say why they skip" >&2
  have_fonts || echo "setup-system: not root or no apt-get: no fonts (fonts-liberation, fonts-dejavu-core); page screenshots will have no text" >&2
  have_onnx || echo "setup-system: not root or no apt-get: python3-onnx not installed; the ONNX import tests will say why they skip" >&2
  exit 0
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "setup-system: the recipe is for Debian bookworm, this is ${PRETTY_NAME:-unknown}; not installing" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
missing=()
have_torch || missing+=(python3-torch)
have_chromium || missing+=(chromium)
have_fonts || missing+=(fonts-liberation fonts-dejavu-core fontconfig)
have_onnx || missing+=(python3-onnx)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "setup-system: installed ${missing[*]}"
fi
if have_lavapipe; then
  exit 0
fi
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -qq
apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
echo "setup-system: installed $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
