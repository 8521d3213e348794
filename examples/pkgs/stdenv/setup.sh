# The stdenv's setup script, sourced by every package builder. @busybox@ is
# replaced by the busybox store path when the stdenv is built.
set -e

# Only busybox and the declared inputs are on PATH: a build never picks up a
# host tool by accident (the C compiler wrapper names the host gcc itself).
PATH=@busybox@/bin
for input in $nativeBuildInputs $buildInputs; do
  if [ -d "$input/bin" ]; then PATH="$PATH:$input/bin"; fi
  if [ -d "$input/include" ]; then NIX_CFLAGS_COMPILE="${NIX_CFLAGS_COMPILE-} -I$input/include"; fi
  if [ -d "$input/lib" ]; then NIX_LDFLAGS="${NIX_LDFLAGS-} -L$input/lib"; fi
done
export PATH NIX_CFLAGS_COMPILE NIX_LDFLAGS

# A store path's name without its hash: /nix/store/<hash>-hello.c -> hello.c
stripHash() {
  base=$(basename "$1")
  echo "${base#*-}"
}

# substituteVars IN OUT NAME...: copies IN to OUT replacing each @NAME@ by the
# value of the variable NAME (a sed script: values must not contain '|', '&' or
# '\', which store paths and versions never do).
substituteVars() {
  input=$1 output=$2
  shift 2
  script=""
  for var in "$@"; do
    eval "value=\${$var}"
    case "$value" in
      *'|'* | *'&'* | *'\'*) echo "substituteVars: the value of $var has '|', '&' or '\\'" >&2; return 1 ;;
    esac
    script="$script s|@$var@|$value|g;"
  done
  sed -e "$script" "$input" > "$output.tmp"
  mv "$output.tmp" "$output"
}

unpackPhaseDefault() {
  if [ -z "${src-}" ]; then return; fi
  if [ -d "$src" ]; then
    cp -R "$src" source
    chmod -R u+w source
    cd source
  else
    mkdir source
    cp "$src" "source/$(stripHash "$src")"
    chmod u+w "source/$(stripHash "$src")"
    cd source
  fi
}

buildPhaseDefault() { :; }
installPhaseDefault() { :; }

# Every declared output must exist; scripts get no special treatment because
# packages write their interpreters' store paths themselves.
fixupPhaseDefault() {
  for output in $outputs; do
    eval "path=\${$output}"
    if [ ! -e "$path" ]; then
      echo "error: the builder did not produce output '$output' ($path)" >&2
      exit 1
    fi
  done
}

# Runs the phase's code from the derivation when it has some, else the default.
runPhase() {
  eval "code=\${$1-}"
  echo "running $1"
  if [ -n "$code" ]; then eval "$code"; else "${1}Default"; fi
}

genericBuild() {
  if [ -n "${buildCommand-}" ]; then
    eval "$buildCommand"
    fixupPhaseDefault
    return
  fi
  for phase in ${phases:-unpackPhase buildPhase installPhase fixupPhase}; do
    runPhase "$phase"
  done
}
