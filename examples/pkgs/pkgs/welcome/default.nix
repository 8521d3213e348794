# The top of the example dependency graph:
#   welcome -> greet-tools -> greet -> libgreet
#   welcome -> hello, iana-etc, busybox (shared with greet-tools)
{ stdenvNoCC, busybox, hello, greet-tools, iana-etc }:

stdenvNoCC.mkDerivation {
  pname = "welcome";
  version = "1.0";
  src = ./welcome.sh;
  shell = "${busybox}/bin/sh";
  inherit hello;
  greetTools = greet-tools;
  ianaEtc = iana-etc;
  installPhase = ''
    mkdir -p "$out/bin"
    substituteVars welcome.sh "$out/bin/welcome" shell hello greetTools ianaEtc
    chmod +x "$out/bin/welcome"
  '';
  meta = {
    description = "Prints a welcome banner using hello, greet-tools and iana-etc";
    inherit (greet-tools.meta) platforms;
    platformsReason = "its script runs the build machine's busybox, hello and greet binaries";
  };
}
