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
# A test file whose handles outlive its tests (a child process left running after a
# failure) must not hold the run: --test-force-exit ends each file when its tests are
# done, --test-timeout bounds a single test, and `timeout` bounds the whole run well
# under CI's limit, so a hang fails loudly instead of silently eating the budget.
exec timeout --kill-after=30 2400 node --test --test-reporter=spec --test-force-exit --test-timeout=600000 "${files[@]}"
