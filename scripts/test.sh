#!/usr/bin/env bash
# The whole test suite: set-up, then format check, type check, lint and tests of every project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-setup.sh
source scripts/docker-up.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
npx prettier --check . >/dev/null || { echo "formatting differs: run npm run format" >&2; npx prettier --list-different .; exit 1; }
npx nx run-many -t typecheck lint test --outputStyle=static "$@"
