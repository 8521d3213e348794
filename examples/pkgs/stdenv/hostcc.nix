# `cc`: a wrapper around the host's gcc (Debian gcc + libc6-dev) that links
# statically and reproducibly. The host compiler is not a store path, so the
# derivations using it name host paths the sandbox must show them (see
# hostCompilerPaths in ./default.nix).
{ lib, stdenvNoCC, buildSystem }:

let
  gnuTriple = {
    x86_64-linux = "x86_64-linux-gnu";
    aarch64-linux = "aarch64-linux-gnu";
  }.${buildSystem} or buildSystem;
  gcc = /usr/bin/gcc;
  libc = /. + "/usr/lib/${gnuTriple}/libc.a";
  present = builtins.pathExists gcc && builtins.pathExists libc;
in
stdenvNoCC.mkDerivation {
  name = "host-gcc-wrapper";
  gcc = "/usr/bin/gcc";
  hostBin = "/usr/bin";
  shell = stdenvNoCC.shell;
  # Changes when Debian updates gcc or glibc, so compiled packages get new paths
  # instead of different contents under old ones.
  hostCompiler =
    if present then builtins.hashString "sha256" (builtins.hashFile "sha256" gcc + builtins.hashFile "sha256" libc)
    else "missing";
  wrapper = ./cc-wrapper.sh;
  buildCommand = ''
    mkdir -p "$out/bin"
    substituteVars "$wrapper" "$out/bin/cc" shell gcc hostBin
    chmod +x "$out/bin/cc"
  '';
  meta = {
    description = "The host C compiler, wrapped to produce static reproducible binaries";
    platforms = [ buildSystem ];
    platformsReason = "it runs Debian's gcc, which compiles for ${buildSystem} only";
  } // lib.optionalAttrs (!present) {
    problem = "compiled packages need Debian's gcc and libc6-dev (apt-get install gcc libc6-dev)";
  };
}
