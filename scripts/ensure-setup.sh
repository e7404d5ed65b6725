#!/usr/bin/env bash
# Set-up shared by `npm test` and the benchmarks on a fresh Debian machine with Node 20:
# the Debian packages the tests need (installed with apt-get when missing) and `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the test suite and benchmarks use: test data, the Docker engine the test
# servers run in, nats-server and prometheus (their binaries go into the test images; the adaptive
# policy reads memory pressure from Prometheus) and curl (the README walkthrough test).
DEBIAN_PACKAGES=(dataset-fashion-mnist docker.io nats-server prometheus curl)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then apt_get=(apt-get); elif command -v sudo >/dev/null; then apt_get=(sudo apt-get); else apt_get=(); fi
  if [ ${#apt_get[@]} -eq 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: cannot install ${missing[*]}: run as root (or with sudo) on Debian, or install them yourself:" >&2
    echo "       apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  if ! { "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq "${missing[@]}"; }; then
    echo "setup: apt-get could not install ${missing[*]} (is a Debian mirror reachable?)" >&2
    exit 1
  fi
fi

bash scripts/ensure-npm.sh
