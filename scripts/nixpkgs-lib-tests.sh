#!/usr/bin/env bash
# nixpkgs' own lib tests, evaluated by `lading instantiate` and by CppNix, compared.
# The pure ones: lib/tests/misc.nix and lib/tests/systems.nix (each prints `[ ]` when
# every case passes, else the failing cases) and lib/tests/modules.sh (hundreds of
# nix-instantiate calls; run once with CppNix, once with a `nix-instantiate` on
# PATH that is `lading instantiate`). The lib is fetched into a scratch folder,
# never into the repository.
# Usage: scripts/nixpkgs-lib-tests.sh [nixpkgs.lib checkout]   (default /tmp/nixlib,
#        cloned from github.com/nix-community/nixpkgs.lib when missing)
#   SKIP_MODULES=1  only misc.nix and systems.nix (modules.sh takes ~10 minutes per side)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
lib="${1:-/tmp/nixlib}"
[[ -d "$lib/lib/tests" ]] || git clone --depth 1 https://github.com/nix-community/nixpkgs.lib "$lib"
[[ -f "$here/dist/cli/main.js" ]] || (cd "$here" && npx tsc -p .)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shim"
printf '#!/usr/bin/env bash\nexec node %q instantiate "$@"\n' "$here/bin/lading" > "$work/shim/nix-instantiate"
chmod +x "$work/shim/nix-instantiate"
status=0

cd "$lib/lib/tests"
for t in misc.nix systems.nix; do
  theirs="$(nix-instantiate --eval --strict "$t" 2>"$work/theirs.err")" || theirs="error: $(grep -m1 '^error:' "$work/theirs.err")"
  ours="$(node "$here/bin/lading" instantiate --eval --strict "$t" 2>"$work/ours.err")" || ours="error: $(grep -m1 '^error:' "$work/ours.err")"
  if [[ "$ours" == "$theirs" ]]; then
    echo "$t: same result as CppNix: $ours"
  elif [[ "$ours" == "[ ]" && "$theirs" == error:* ]]; then
    # CppNix 2.8 lacks builtins newer nixpkgs needs (readFileType); `[ ]` is the tests' own pass.
    echo "$t: lading: [ ] (all pass); CppNix $(nix-instantiate --version | awk '{print $NF}') cannot run it: $theirs"
  else
    echo "$t: DIFFERENT: lading: ${ours:0:500} / CppNix: ${theirs:0:500}"
    status=1
  fi
done

if [[ -z "${SKIP_MODULES:-}" ]]; then
  summary() { grep -E '^[0-9]+ (Pass|Fail)' "$1" | tr '\n' ' '; }
  failed() { grep -o 'TEST FAILED.* at modules.sh:[0-9]*' "$1" | sed 's/.* at //' | sort -u; }
  bash modules.sh > "$work/modules-cppnix.txt" 2>&1 || true
  PATH="$work/shim:$PATH" bash modules.sh > "$work/modules-lading.txt" 2>&1 || true
  echo "modules.sh with CppNix: $(summary "$work/modules-cppnix.txt")"
  echo "modules.sh with lading: $(summary "$work/modules-lading.txt")"
  only_ours="$(comm -13 <(failed "$work/modules-cppnix.txt") <(failed "$work/modules-lading.txt"))"
  only_theirs="$(comm -23 <(failed "$work/modules-cppnix.txt") <(failed "$work/modules-lading.txt"))"
  [[ -n "$only_theirs" ]] && echo "fail only with CppNix: $(echo $only_theirs)"
  if [[ -n "$only_ours" ]]; then
    echo "FAIL only with lading: $(echo $only_ours)"
    grep -B30 -E "TEST FAILED.* at modules.sh:($(echo $only_ours | sed 's/modules.sh://g; s/ /|/g'))\b" "$work/modules-lading.txt" | head -200
    status=1
  fi
fi
exit $status
