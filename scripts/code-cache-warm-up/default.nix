{ n ? 3, greeting ? "hello" }:
let
  lib = import ./lib.nix;
  inherit (lib) range genAttrs mapAttrs' nameValuePair;
  base = lib.fix (lib.extends (final: prev: { b = prev.a + 1; c = final.b * 2; }) (self: { a = n; }));
  overlays = lib.composeManyExtensions [ (final: prev: { x = 1; }) (final: prev: { y = prev.x + final.x; }) ];
  evaluated = lib.evalModules {
    modules = [
      { options = genAttrs (map (i: "o${toString i}") (range 1 n)) (name: lib.mkOption { type = lib.types.int; default = 1; }); }
      ({ config, lib }: { options.names = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; }; config.o1 = lib.mkForce 7; })
      { config.names = [ "b" "a" ]; config.o2 = lib.mkDefault 5; }
    ];
  };
  versions = builtins.sort (a: b: builtins.compareVersions a b < 0) [ "1.10" "1.2" "1.2pre" "0.9.1" ];
in with lib; {
  inherit base versions;
  fixed = lib.fix (lib.extends overlays (self: { z = 0; }));
  config = evaluated.config;
  strings = {
    joined = builtins.concatStringsSep "/" (splitString "." "a.b.c");
    upper = toUpper "abcxe";
    quoted = escapeShellArg "it's";
    prefix = hasPrefix "ab" "abc" && hasSuffix "bc" "abc";
    interpolated = "${greeting}, ${toString n} ${optionalString (n > 1) "times"}";
    version = getVersion "hello-2.12.1";
    parts = builtins.match "([a-z]+)-([0-9.]+)" "hello-2.12";
    hash = builtins.hashString "sha256" greeting;
    json = builtins.fromJSON (builtins.toJSON { a = [ 1 2.5 "x" null true ]; });
  };
  lists = rec {
    xs = range 1 (n * 4);
    evens = builtins.filter (x: builtins.bitAnd x 1 == 0) xs;
    uniq = unique (map (x: x / 2) xs);
    folded = foldr (a: b: a + b) 0 xs;
    flat = flatten [ 1 [ 2 [ 3 ] ] ];
    sorted = sortOn (x: -x) xs;
    zipped = zipLists xs evens;
    grouped = builtins.groupBy (x: if x > n then "big" else "small") xs;
    partitioned = builtins.partition (x: x > 2) xs;
    both = builtins.all (x: x > 0) xs && builtins.any (x: x == n) xs && builtins.elem 2 xs;
    counted = count (x: x > 2) xs;
    first = take 2 (builtins.concatMap (x: [ x x ]) xs);
  };
  attrs = rec {
    set = genAttrs [ "x" "y" "z" ] (name: { inherit name; len = builtins.stringLength name; });
    renamed = mapAttrs' (name: value: nameValuePair "${name}1" value.len) set;
    filtered = filterAttrs (name: v: name != "y") set;
    listed = mapAttrsToList (name: v: "${name}=${toString v.len}") set;
    deep = recursiveUpdate { a = { b = 1; c = 2; }; } { a.b = 3; d = 4; };
    path = attrByPath [ "a" "b" ] 0 deep;
    made = setAttrByPath [ "p" "q" ] true;
    collected = collect builtins.isInt deep;
    names = builtins.attrNames set ++ builtins.attrNames (builtins.intersectAttrs { x = 1; } set);
    args = builtins.functionArgs ({ a, b ? 1, ... }: a);
    dynamic = { ${"d" + "yn"} = 1; } ? dyn && !(set ? w);
    zipped = builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ];
    catted = builtins.catAttrs "a" [ { a = 1; } { b = 2; } ];
  };
  misc = {
    tried = builtins.tryEval (assert n > 100; 1);
    seqd = builtins.deepSeq [ 1 2 ] (builtins.seq n n);
    types = map builtins.typeOf [ 1 1.5 "s" null true [ ] { } (x: x) ./lib.nix ];
    paths = [ (baseNameOf ./lib.nix) (builtins.dirOf "/a/b") (toString ./.) ];
    floats = [ (1.5 * 2) (7 / 2) (builtins.floor 2.7) (builtins.ceil 2.2) (builtins.div 7 2) (builtins.sub 1 2) (builtins.mul 3 4) (builtins.lessThan 1 2) ];
    exists = builtins.pathExists ./lib.nix && builtins.readFile ./default.nix != "";
    dir = builtins.attrNames (builtins.readDir ./.) != [ ];
    positions = builtins.unsafeGetAttrPos "n" { n = 1; };
    lambda = builtins.isFunction lib.id;
  };
}
