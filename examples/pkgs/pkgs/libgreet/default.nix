# A header-only C library with its data, split in three outputs as nixpkgs
# splits libraries: `out` (the data programs read at run time), `dev` (header
# and pkg-config file, which refer to `out`) and `man`. Architecture-independent,
# so it is offered for every system.
{ lib, stdenvNoCC }:

stdenvNoCC.mkDerivation {
  pname = "libgreet";
  version = "1.0";
  outputs = [ "out" "dev" "man" ];
  src = lib.sourceFiles "libgreet-src" ./. [ "greetings.txt" "greet.h" "libgreet.pc" "libgreet.3" ];
  installPhase = ''
    mkdir -p "$out/share/libgreet" "$dev/include" "$dev/lib/pkgconfig" "$man/share/man/man3"
    cp greetings.txt "$out/share/libgreet/greetings.txt"
    substituteVars greet.h "$dev/include/greet.h" out
    substituteVars libgreet.pc "$dev/lib/pkgconfig/libgreet.pc" out dev version
    substituteVars libgreet.3 "$man/share/man/man3/libgreet.3" version
  '';
  meta.description = "Greetings in several languages (header-only C library and data)";
}
