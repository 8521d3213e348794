# The standard environment: `mkDerivation` on top of Nix's `derivation`.
#
# `system` is where the packages will run, `buildSystem` where builds run (this
# machine). Builds always run on `buildSystem`; a package whose output is machine
# code can only be offered when the two are equal, because the offline set has no
# cross compiler. Architecture-independent packages (data, headers) build the
# same derivation for every `system`.
{ lib, system, buildSystem, busybox }:

let
  # The stdenv's own derivation: the setup script every builder sources.
  stdenvDrv = derivation {
    name = "stdenv-linux";
    system = buildSystem;
    builder = "${busybox}/bin/sh";
    args = [ "-e" ./make-stdenv.sh ];
    inherit busybox;
    setup = ./setup.sh;
  };

  # Host paths a build that runs Debian's gcc must see read-only (the compiler,
  # its libraries and headers, the dynamic loader). CppNix with sandbox = false
  # sees them anyway; Lading's sandbox binds them (see README.md).
  hostCompilerPaths = [ "/usr" "/lib" "/lib64" "/bin" ];

  describePlatforms = platforms: "[ ${toString (map (p: ''"${p}"'') platforms)} ]";

  # A package that cannot be built for `system` still evaluates (its `meta`
  # says why); only asking for its paths fails, with the reason.
  unavailablePackage = { name, outputs, meta, reason }:
    let
      failure = throw "examples/pkgs: '${name}' is not available for ${system}: ${reason}";
      package = {
        type = "derivation";
        inherit name system outputs;
        meta = meta // { available = false; unavailableReason = reason; };
        outPath = failure;
        drvPath = failure;
        outputName = builtins.head outputs;
      };
    in
    package // builtins.listToAttrs (map (output: { name = output; value = package // { outputName = output; }; }) outputs);

  # Returns `drv` with its meta when it can be offered for `system`, else a
  # package that says why not.
  guardPlatforms = { name, outputs ? [ "out" ], meta, drv }:
    let
      reason =
        if !(builtins.elem system meta.platforms) then
          "meta.platforms is ${describePlatforms meta.platforms}"
          + lib.optionalString (meta ? platformsReason) ": ${meta.platformsReason}"
        else meta.problem or null;
    in
    if reason != null then unavailablePackage { inherit name outputs meta reason; }
    else drv // { meta = meta // { available = true; }; };

  makeStdenv = { cc ? null }: rec {
    inherit system buildSystem cc;
    shell = "${busybox}/bin/sh";
    isCompiling = cc != null;

    mkDerivation =
      { name ? "${attrs.pname}-${attrs.version}"
      , outputs ? [ "out" ]
      , buildInputs ? [ ]
      , nativeBuildInputs ? [ ]
      , meta ? { }
      , passthru ? { }
      , ...
      }@attrs:
      let
        defaultMeta =
          if cc == null then { platforms = lib.platforms.linux; }
          else {
            platforms = cc.meta.platforms;
            platformsReason = "it is machine code from the host C compiler (Debian gcc, ${buildSystem}); the offline set cannot cross-compile";
          } // lib.optionalAttrs (cc.meta ? unavailableReason) { problem = cc.meta.unavailableReason; };

        drv = derivation (builtins.removeAttrs attrs [ "meta" "passthru" "buildInputs" "nativeBuildInputs" ] // {
          inherit name outputs;
          system = buildSystem;
          builder = "${busybox}/bin/sh";
          args = [ "-e" ./default-builder.sh ];
          stdenv = stdenvDrv;
          # A library's headers live in its dev output when it has one.
          buildInputs = map (input: input.dev or input) buildInputs;
          nativeBuildInputs = lib.optional (cc != null) cc ++ nativeBuildInputs;
          # Reproducibility: fixed dates for tools that stamp them, C collation.
          SOURCE_DATE_EPOCH = "1";
          LC_ALL = "C";
        } // lib.optionalAttrs (cc != null) {
          __impureHostDeps = hostCompilerPaths;
        });
      in
      guardPlatforms {
        inherit name outputs;
        meta = defaultMeta // meta;
        drv = drv // passthru // {
          overrideAttrs = f: mkDerivation (attrs // (if builtins.isFunction f then f attrs else f));
        };
      };
  };
in
{
  inherit makeStdenv guardPlatforms hostCompilerPaths stdenvDrv;
}
