#!/usr/bin/env bash
# Runs a benchmark target with the same set-up as the tests: scripts/bench.sh <project>:<target> [args]
set -euo pipefail
# A relative --out is relative to where the command was run (npm and nx change directory).
export QUIVER_CALLER_CWD="${QUIVER_CALLER_CWD:-${INIT_CWD:-$PWD}}"
cd "$(dirname "$0")/.."
target=$1
shift
bash scripts/ensure-setup.sh
source scripts/docker-up.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
npx nx run "$target" --outputStyle=stream-without-prefixes -- "$@"
