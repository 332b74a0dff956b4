#!/usr/bin/env bash
# Installs the system packages nahbar builds and tests with, idempotently (Debian 12).
# Only missing packages are installed, so a second run is quick and needs no network.
set -euo pipefail

build_pkgs=(pkg-config gcc libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libswresample-dev libavfilter-dev libavdevice-dev libvpx-dev libopus-dev libx264-dev ffmpeg)
test_pkgs=(chromium iproute2 nftables iptables postgresql redis-server)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "Go 1.26 is required: https://go.dev/dl/ (install to /usr/local/go)" >&2
  exit 1
fi

# Test tools from npm, pinned, into e2e/node_modules (which git ignores): axe-core, the
# accessibility checker the browser tests run inside Chromium, and playwright-core, which
# drives Debian's Chromium in the end-to-end journey test (e2e/playwright/journey.mjs;
# playwright-core brings no browser of its own). Both in one npm call: npm removes what
# a call does not name from a directory without package.json.
e2e_dir="$(cd "$(dirname "$0")/../e2e" && pwd)"
npm_pkgs=(axe-core@4.14.1 playwright-core@1.65.1)
if [ "${1:-}" = "--test" ]; then
  npm_missing=0
  for p in "${npm_pkgs[@]}"; do
    grep -qs "\"version\": \"${p##*@}\"" "$e2e_dir/node_modules/${p%@*}/package.json" || npm_missing=1
  done
  if [ "$npm_missing" = 1 ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is needed for the browser tests (axe-core, playwright-core)" >&2; exit 1; }
    echo "installing ${npm_pkgs[*]} into $e2e_dir/node_modules"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$e2e_dir" "${npm_pkgs[@]}"
  fi
fi
