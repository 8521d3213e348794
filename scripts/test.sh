#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, builds, runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --test --test-reporter=spec "${files[@]}"
