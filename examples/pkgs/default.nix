# An offline package set in the shape of nixpkgs: `import ./examples/pkgs { }`
# gives an attribute set of packages. Everything builds from Debian's static
# busybox and, for compiled packages, Debian's gcc; nothing is downloaded.
#
#   system       where the packages will run ("x86_64-linux", "aarch64-linux")
#   buildSystem  where builds run: this machine
#
# For a `system` other than `buildSystem` only architecture-independent
# packages are offered; the others evaluate, but their paths throw with the
# reason (see README.md, "Other architectures").
{ system ? builtins.currentSystem
, buildSystem ? builtins.currentSystem
}:

let
  lib = import ./lib.nix;

  # Build tools (busybox, the compiler wrapper) always come from the set for
  # the build machine, so architecture-independent packages have the same
  # derivations whatever `system` is.
  buildPackages =
    if system == buildSystem then pkgs
    else import ./. { system = buildSystem; inherit buildSystem; };

  stdenvs = import ./stdenv {
    inherit lib system buildSystem;
    inherit (buildPackages) busybox;
  };

  callPackage = lib.callPackageWith pkgs;

  pkgs = {
    inherit lib system buildSystem buildPackages callPackage;
    inherit (stdenvs) guardPlatforms;

    # Builds with busybox only (scripts, data).
    stdenvNoCC = stdenvs.makeStdenv { };
    # Builds with busybox and the host C compiler (static binaries).
    stdenv = stdenvs.makeStdenv { cc = buildPackages.hostcc; };

    bootstrapBusybox = import ./stdenv/bootstrap.nix;
    hostcc = callPackage ./stdenv/hostcc.nix { };

    busybox = callPackage ./pkgs/busybox { };
    hello = callPackage ./pkgs/hello { };
    libgreet = callPackage ./pkgs/libgreet { };
    greet = callPackage ./pkgs/greet { };
    greet-shout = pkgs.greet.override { shout = true; };
    greet-tools = callPackage ./pkgs/greet-tools { };
    welcome = callPackage ./pkgs/welcome { };
    cacert = callPackage ./pkgs/cacert { };
    iana-etc = callPackage ./pkgs/iana-etc { };

    # For the registry (see README.md): what the `shell` meta-package stands
    # for, and the architectures of its default images. The registry leaves
    # arm64 out of an image's index when a package does not evaluate there
    # (x86_64 machine code, README "Other architectures"), so only images of
    # portable packages (cacert, iana-etc) get both.
    metaPackages = {
      shell = [ pkgs.busybox ];
      architectures = [ "amd64" "arm64" ];
    };
  };
in
pkgs
