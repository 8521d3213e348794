# Shell scripts around greet: greet-tools -> greet -> libgreet, plus busybox
# (their interpreter) and libgreet directly (shared with greet).
{ lib, stdenvNoCC, busybox, greet, libgreet }:

stdenvNoCC.mkDerivation {
  pname = "greet-tools";
  version = "1.0";
  src = lib.sourceFiles "greet-tools-src" ./. [ "greet-everyone.sh" "greet-languages.sh" ];
  shell = "${busybox}/bin/sh";
  inherit greet libgreet;
  installPhase = ''
    mkdir -p "$out/bin"
    for tool in greet-everyone greet-languages; do
      substituteVars "$tool.sh" "$out/bin/$tool" shell greet libgreet
      chmod +x "$out/bin/$tool"
    done
  '';
  meta = {
    description = "Scripts that greet many people in many languages";
    # Scripts run by this machine's busybox and greet binary.
    inherit (greet.meta) platforms;
    platformsReason = "its scripts run the build machine's busybox and greet binaries";
  };
}
