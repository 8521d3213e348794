# etc/protocols and etc/services: Debian's copies (package netbase) when the
# build machine has them, else the short lists kept next to this file.
{ stdenvNoCC }:

let
  fromHostOr = hostPath: fallback:
    if builtins.pathExists hostPath then builtins.toFile (baseNameOf (toString hostPath)) (builtins.readFile hostPath) else fallback;
in
stdenvNoCC.mkDerivation {
  name = "iana-etc";
  protocols = fromHostOr /etc/protocols ./protocols;
  services = fromHostOr /etc/services ./services;
  buildCommand = ''
    mkdir -p "$out/etc"
    cp "$protocols" "$out/etc/protocols"
    cp "$services" "$out/etc/services"
  '';
  meta.description = "Network protocol and service names (/etc/protocols, /etc/services)";
}
