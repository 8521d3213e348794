#!@shell@
# Debian's gcc, made to produce static, reproducible binaries: no build id, no
# symbols, no build-directory paths, fixed dates for __DATE__.
PATH="$PATH:@hostBin@" exec @gcc@ -static -O2 -s -Wl,--build-id=none \
  -ffile-prefix-map="${NIX_BUILD_TOP:-/build}"=/build \
  ${NIX_CFLAGS_COMPILE-} "$@" ${NIX_LDFLAGS-}
