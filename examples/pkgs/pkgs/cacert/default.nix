# CA certificates at etc/ssl/certs/ca-bundle.crt (the path images point
# SSL_CERT_FILE at): Debian's bundle from the ca-certificates package when the
# build machine has it, else a bundle holding one self-signed test CA.
{ stdenvNoCC, lib }:

let
  hostBundle = /etc/ssl/certs/ca-certificates.crt;
  fromHost = builtins.pathExists hostBundle;
in
stdenvNoCC.mkDerivation {
  name = "cacert";
  # readFile + toFile, not a path import: the host file may be a symlink.
  src = if fromHost then builtins.toFile "ca-certificates.crt" (builtins.readFile hostBundle) else ./test-ca.crt;
  buildCommand = ''
    mkdir -p "$out/etc/ssl/certs"
    cp "$src" "$out/etc/ssl/certs/ca-bundle.crt"
    ln -s ca-bundle.crt "$out/etc/ssl/certs/ca-certificates.crt"
  '';
  passthru = { inherit fromHost; };
  meta.description = "CA certificate bundle (${if fromHost then "Debian's ca-certificates" else "a test CA only"})";
}
