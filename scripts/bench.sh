#!/usr/bin/env bash
# Builds, then runs every benchmark (dist/bench/*.js); each prints ratios against its peers.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
status=0
for bench in dist/bench/*.js; do
  [ -e "$bench" ] || continue
  echo "== ${bench#dist/bench/}"
  node "$bench" || status=1
done
exit "$status"
