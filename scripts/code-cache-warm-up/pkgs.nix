let
  lib = import ./lib.nix;
  bootstrap = derivation { name = "bootstrap"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo" ]; src = ./builder.sh; };
  stdenv = {
    mkDerivation = { name, buildInputs ? [ ], ... }@attrs: derivation (removeAttrs attrs [ "meta" ] // {
      system = "x86_64-linux";
      builder = "${bootstrap}/bin/sh";
      args = [ "-e" ./builder.sh ];
      inherit buildInputs;
      outputs = [ "out" "dev" ];
      setup = builtins.toFile "setup" "export PATH=${./builder.sh}";
    });
  };
  callPackage = fn: args: fn (builtins.intersectAttrs (builtins.functionArgs fn) pkgs // args);
  mk = i: callPackage ({ stdenv, deps ? [ ] }: stdenv.mkDerivation {
    name = "pkg${toString i}-1.${toString i}";
    buildInputs = deps;
    propagated = map (d: d.dev) deps;
    flags = [ "--with-n=${toString i}" (lib.optionalString (i > 2) "--big") ];
    meta.description = "package ${toString i}";
  }) { deps = map (j: pkgs."p${toString j}") (lib.range 0 (i - 1)); };
  pkgs = { inherit stdenv; } // lib.genAttrs (map (i: "p${toString i}") (lib.range 0 5)) (n: mk (builtins.fromJSON (builtins.substring 1 1 n))) // {
    structured = derivation {
      name = "structured"; system = "x86_64-linux"; builder = "/bin/sh";
      __structuredAttrs = true;
      data = { items = builtins.genList (j: { index = j; flag = j / 2 * 2 == j; ratio = 0.5; name = "item-${toString j}"; }) 5; text = "x\ny\t\"z\""; };
      deps = [ pkgs.p1 pkgs.p2.dev ];
      outputHashMode = "recursive";
    };
    fixed = derivation { name = "fixed"; system = "x86_64-linux"; builder = "/bin/sh"; outputHashAlgo = "sha256"; outputHash = builtins.hashString "sha256" "x"; };
    placeholder = derivation { name = "placeholder"; system = "x86_64-linux"; builder = "/bin/sh"; out2 = builtins.placeholder "out"; path = "${./lib.nix}"; };
    nested = { recurseForDerivations = true; inner = pkgs.p3; };
  };
in pkgs
