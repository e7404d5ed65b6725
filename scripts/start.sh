#!/usr/bin/env bash
# `npm start`: Quiver in one process (embedded log, no external server).
# QUIVER_HOST (127.0.0.1), QUIVER_PORT (8080), QUIVER_DATA_DIR (./data), QUIVER_PARTITIONS (1).
set -euo pipefail
# A relative QUIVER_DATA_DIR is relative to where npm was run.
caller="${INIT_CWD:-$PWD}"
case "${QUIVER_DATA_DIR:-}" in
  "") ;;
  /*) ;;
  *) export QUIVER_DATA_DIR="$caller/$QUIVER_DATA_DIR" ;;
esac
cd "$(dirname "$0")/.."
export QUIVER_DATA_DIR="${QUIVER_DATA_DIR:-$PWD/data}"
# npm ci if needed, then the bundles in dist/ when a source changed (about a second)
bash scripts/build.sh
exec node dist/cli.mjs serve
