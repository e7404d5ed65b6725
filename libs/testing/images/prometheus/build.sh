#!/usr/bin/env bash
# Builds the image quiver-test/prometheus:<version> FROM scratch out of Debian's prometheus
# binary and the shared libraries ldd lists for it (no image registry is reachable here).
set -euo pipefail
binary=$(command -v prometheus || true)
if [ -z "$binary" ]; then
  echo "prometheus is not installed (apt-get install prometheus)" >&2
  exit 1
fi
version=$("$binary" --version 2>&1 | head -1 | sed -E 's/.*version ([0-9.]+).*/\1/')
exec bash "$(dirname "$0")/../debian-binary-image.sh" "$binary" "quiver-test/prometheus:${version}" /config /data
