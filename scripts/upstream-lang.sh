#!/usr/bin/env bash
# Runs the upstream Nix language suite (NixOS/nix tests/functional/lang) against
# `lading instantiate`. The suite is extracted into a scratch folder, never into the
# repository. Usage: scripts/upstream-lang.sh [NixOS/nix git dir] [case-name regex]
#   NIX_GIT_DIR   a bare or normal git dir of NixOS/nix (default: /work/.mirror/NixOS+nix/repo,
#                 else a fresh `git clone --bare https://github.com/NixOS/nix`)
#   NIX_REV       revision to take the suite from (default HEAD)
#   LADING_NIX_LANG_STRICT_STDERR=1  also require stderr identical to .err.exp
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
git_dir="${1:-${NIX_GIT_DIR:-/work/.mirror/NixOS+nix/repo}}"
rev="${NIX_REV:-HEAD}"
if [[ ! -d "$git_dir" ]]; then
  git_dir="${TMPDIR:-/tmp}/lading-nixlang-git"
  [[ -d "$git_dir" ]] || git clone --bare --filter=blob:none https://github.com/NixOS/nix "$git_dir"
fi
# A scratch folder of its own per run: several worktrees may run the suite at once.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/lading-nixlang.XXXXXX")"
git --git-dir="$git_dir" archive "$rev" tests/functional/lang | tar -x -C "$scratch"
cd "$here"
npx tsc -p .
export LADING_NIX_LANG_TESTS="$scratch/tests/functional/lang"
export LADING_NIX_LANG_REPORT="$scratch/report.json"
[[ -n "${2:-}" ]] && export LADING_NIX_LANG_ONLY="$2"
echo "suite: $(git --git-dir="$git_dir" rev-parse "$rev") -> $LADING_NIX_LANG_TESTS; per-case report: $LADING_NIX_LANG_REPORT"
node --test dist/test/evaluator/upstream-lang.test.js
