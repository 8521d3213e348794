# The few library functions the set needs, in the shape nixpkgs users know:
# callPackage fills a package function's arguments from the set, override
# re-calls it with some arguments changed.
rec {
  optional = cond: x: if cond then [ x ] else [ ];
  optionalAttrs = cond: attrs: if cond then attrs else { };
  optionalString = cond: s: if cond then s else "";

  # Some files of a directory as one source, so that editing the Nix file next
  # to them does not change the package's store paths.
  sourceFiles = name: dir: names: builtins.path {
    inherit name;
    path = dir;
    filter = path: type: builtins.elem (baseNameOf path) names;
  };

  platforms = {
    linux = [ "x86_64-linux" "aarch64-linux" ];
  };

  # Calls `f args` and lets the result be called again with other arguments:
  # `pkg.override { shout = true; }` or `pkg.override (old: { ... })`.
  makeOverridable = f: args:
    let
      result = f args;
      override = changes:
        makeOverridable f (args // (if builtins.isFunction changes then changes args else changes));
    in
    if builtins.isAttrs result then result // { inherit override; } else result;

  # A package is a function (or a file holding one) whose named arguments are
  # taken from `scope`; `explicit` wins over the scope.
  callPackageWith = scope: fn: explicit:
    let
      f = if builtins.isFunction fn then fn else import fn;
      wanted = builtins.functionArgs f;
    in
    makeOverridable f (builtins.intersectAttrs wanted scope // explicit);
}
