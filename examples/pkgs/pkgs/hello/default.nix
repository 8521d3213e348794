# A compiled program that prints "Hello, world!": the smallest image there is.
{ stdenv }:

stdenv.mkDerivation {
  pname = "hello";
  version = "1.0";
  src = ./hello.c;
  buildPhase = "cc -o hello hello.c";
  installPhase = ''
    mkdir -p "$out/bin"
    cp hello "$out/bin/hello"
  '';
  meta.description = "Prints Hello, world!";
}
