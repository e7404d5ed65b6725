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
tag="quiver-test/nats-server:${version}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/tmp" "$context/rootfs/data"
cp --parents "$binary" "$context/rootfs/"
for lib in $(ldd "$binary" | grep -oE '/[^ ]+' | sort -u); do
  cp --parents -L "$lib" "$context/rootfs/"
done
cat > "$context/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENTRYPOINT ["$binary"]
DOCKERFILE
docker build -q -t "$tag" "$context" >/dev/null 2>"$context/build.log" || { cat "$context/build.log" >&2; exit 1; }
echo "$tag"
