#!/usr/bin/env bash
# npm ci when node_modules is missing or older than the lockfile (it also builds the Wasm kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
elif [ ! -f libs/engine/src/kernels/generated/kernels-wasm.ts ]; then
  node libs/engine/scripts/build-kernels.mjs >&2
fi
