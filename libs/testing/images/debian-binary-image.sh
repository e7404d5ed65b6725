#!/usr/bin/env bash
# Usage: debian-binary-image.sh <binary> <tag> [dir inside the image to create]...
# Builds <tag> FROM scratch out of a Debian binary and the shared libraries ldd lists for it (no
# image registry is reachable here); prints the tag. An existing image with that tag is kept.
set -euo pipefail
binary=$1
tag=$2
shift 2
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/tmp"
for dir in "$@"; do mkdir -p "$context/rootfs/$dir"; done
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
