#!/usr/bin/env bash
# Builds the image quiver-test/nats-server:<version> FROM scratch out of Debian's nats-server
# binary and the shared libraries ldd lists for it (no image registry is reachable here).
set -euo pipefail
binary=$(command -v nats-server || true)
if [ -z "$binary" ]; then
  echo "nats-server is not installed (apt-get install nats-server)" >&2
  exit 1
fi
version=$("$binary" --version | sed -E 's/.*v([0-9.]+).*/\1/')
exec bash "$(dirname "$0")/../debian-binary-image.sh" "$binary" "quiver-test/nats-server:${version}" /data
