#!/usr/bin/env bash
# System packages the tests use beyond Node.js and npm: Mesa's lavapipe (a software Vulkan driver)
# from Debian bookworm-backports, so the WebGPU suite runs on a machine without a GPU (Dawn rejects
# bookworm's own Mesa 22). Idempotent: installs only what is missing. Needs root and apt-get; without
# them it says what it could not install and leaves the WebGPU tests to report why they skip
# (under CI=true they fail instead).
set -euo pipefail

have_lavapipe() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q bpo && [ -e /usr/share/vulkan/icd.d/lvp_icd.json ]
}

if have_lavapipe; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-system: not root or no apt-get: Mesa lavapipe not installed; the WebGPU tests will say why they skip" >&2
  exit 0
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "setup-system: lavapipe recipe is for Debian bookworm, this is ${PRETTY_NAME:-unknown}; not installing" >&2
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
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
echo "setup-system: installed $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
