#!/usr/bin/env bash
# `npm run build`: dependencies set up if needed, then the bundles in dist/ (scripts/build.mjs),
# rebuilt only when a source changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-npm.sh
exec node scripts/build.mjs "$@"
