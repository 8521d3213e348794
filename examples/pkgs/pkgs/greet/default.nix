# A compiled program built against libgreet's dev output; at run time it reads
# libgreet's data, so its closure is greet -> libgreet.
# `greet.override { shout = true; }` gives the shouting variant.
{ stdenv, libgreet, shout ? false }:

stdenv.mkDerivation {
  pname = if shout then "greet-shout" else "greet";
  version = "1.0";
  src = ./greet.c;
  buildInputs = [ libgreet ];
  cflags = if shout then "-DGREET_SHOUT" else "";
  buildPhase = "cc $cflags -o greet greet.c";
  installPhase = ''
    mkdir -p "$out/bin"
    cp greet "$out/bin/greet"
  '';
  meta.description = "Greets people in several languages";
}
