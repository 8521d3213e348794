#!/usr/bin/env bash
# Installs (idempotently) the Debian packages the tests use as oracles and peers.
set -euo pipefail
# nix-bin: the CppNix oracle, with nix-setup-systemd, Debian's configuration of it: the
# nixbld group and build users CppNix needs when it runs as root (without them every
# command warns and every build fails) and /etc/nix/nix.conf's `sandbox = false`, the
# CppNix the tests compare builds with (see the README's sandbox section); umoci, skopeo:
# registry clients; bubblewrap: the build sandbox; busybox-static, gcc, libc6-dev: the offline examples package set's bootstrap;
# redis-server: the Redis peer for the scale-out tests; zstd: decodes zstd layers in tests;
# bzip2 (and zstd): fetchTarball unpacks .tar.bz2 and .tar.zst through them.
needed=(nix-bin nix-setup-systemd umoci skopeo bubblewrap busybox-static gcc libc6-dev redis-server zstd bzip2)
missing=()
for pkg in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
