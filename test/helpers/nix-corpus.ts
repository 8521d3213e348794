import { mulberry32 as rng } from "./random.js";
/**
 * Generates realistic Nix source in the style of nixpkgs (an all-packages.nix
 * with callPackage lines and inline derivations, plus lib-like functions), for
 * parser tests and the parse benchmark. Deterministic for a given seed; every
 * free variable is covered by a `with`, so CppNix's parse-time scope check passes.
 */

const LIB_FUNCTIONS = `
    id = x: x;
    const = x: y: x;
    flip = f: a: b: f b a;
    pipe = val: functions: foldl' (x: f: f x) val functions;
    optional = cond: elem: if cond then [ elem ] else [ ];
    optionals = cond: elems: if cond then elems else [ ];
    optionalString = cond: string: if cond then string else "";
    optionalAttrs = cond: as: if cond then as else { };
    concatMapStrings = f: list: concatStringsSep "" (map f list);
    concatStringsSep' = sep: list: foldl' (a: b: if a == "" then b else a + sep + b) "" list;
    mapAttrs' = f: set: listToAttrs (map (attr: f attr set.\${attr}) (attrNames set));
    nameValuePair = name: value: { inherit name value; };
    filterAttrs = pred: set: listToAttrs (concatMap (name: let v = set.\${name}; in if pred name v then [ (nameValuePair name v) ] else [ ]) (attrNames set));
    recursiveUpdateUntil = pred: lhs: rhs:
      let f = attrPath:
        zipAttrsWith (n: values:
          let here = attrPath ++ [ n ]; in
          if length values == 1 || pred here (elemAt values 1) (head values) then
            head values
          else
            f here values);
      in f [ ] [ rhs lhs ];
    range = first: last: if first > last then [ ] else genList (n: first + n) (last - first + 1);
    toInt = str: let may = fromJSON str; in if isInt may then may else throw "Could not convert \${str} to int.";
    versionAtLeast = v1: v2: compareVersions v1 v2 >= 0;
    versionOlder = v1: v2: compareVersions v2 v1 == 1;
    hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;
    removePrefix = prefix: str:
      let preLen = stringLength prefix; sLen = stringLength str;
      in if hasPrefix prefix str then substring preLen (sLen - preLen) str else str;
    makeOverridable = f: origArgs:
      let
        result = f origArgs;
        overrideWith = newArgs: origArgs // (if isFunction newArgs then newArgs origArgs else newArgs);
      in if isAttrs result then result // {
        override = newArgs: makeOverridable f (overrideWith newArgs);
        overrideDerivation = fdrv: makeOverridable (args: overrideDerivation (f args) fdrv) origArgs;
      } else if isFunction result then { __functor = self: result; override = newArgs: makeOverridable f (overrideWith newArgs); }
      else result;
    callPackageWith = autoArgs: fn: args:
      let
        f = if isFunction fn then fn else import fn;
        fargs = functionArgs f;
        allArgs = intersectAttrs fargs autoArgs // args;
        missingArgs = filterAttrs (name: value: ! value) (removeAttrs fargs (attrNames allArgs));
      in if missingArgs == { } then makeOverridable f allArgs
         else abort "lib.customisation.callPackageWith: missing \${toString (length (attrNames missingArgs))} arguments";
    fix = f: let x = f x; in x;
    extends = f: rattrs: self: let super = rattrs self; in super // f self super;
    bitsTest = n: (n * 2 - 1) / 3 + -n * 7 < 10 && !(n <= 0) || n >= 100 -> n != 5;
    licenses = { mit = { spdxId = "MIT"; free = true; }; gpl3Plus = { spdxId = "GPL-3.0-or-later"; }; asl20.spdxId = "Apache-2.0"; };
    platforms = rec { linux = [ "x86_64-linux" "aarch64-linux" ]; darwin = [ "x86_64-darwin" ]; unix = linux ++ darwin; all = unix; };
    maintainers = { alice = { email = "alice@example.org"; github = "alice"; }; bob.name = "Bob"; };
`;

const NAMES = [
  "zlib", "openssl", "curl", "htop", "git", "bash", "coreutils", "gnused", "gawk", "libpng", "libjpeg", "sqlite",
  "python3", "perl", "ncurses", "readline", "libxml2", "expat", "pcre2", "libffi", "gettext", "glib", "cairo",
  "pango", "harfbuzz", "freetype", "fontconfig", "libuv", "nodejs", "ripgrep", "fd", "jq", "yq", "tmux", "vim",
];


function packageEntry(i: number, rand: () => number): string {
  const base = NAMES[i % NAMES.length]!;
  const name = `${base}${i}`;
  const dep = (): string => NAMES[Math.floor(rand() * NAMES.length)]!;
  const kind = Math.floor(rand() * 10);
  if (kind < 5) {
    const args = rand() < 0.5 ? "{ }" : `{ inherit (darwin.apple_sdk.frameworks) Security; enableX = stdenv.isLinux; }`;
    return `  ${name} = callPackage ../development/libraries/${base}/${i}.nix ${args};\n`;
  }
  if (kind === 5) return `  ${name}_1_${i % 9} = ${base}.override { withDocs = false; extraFlags = [ "-O2" ]; };\n`;
  if (kind === 6) return `  ${name}Packages = recurseIntoAttrs (${dep()}.pkgs // { inherit ${dep()}; });\n`;
  if (kind === 7) return `  inherit (${dep()}Packages) ${name}-cli ${name}-lib;\n`;
  return `  ${name} = stdenv.mkDerivation rec {
    pname = "${base}";
    version = "${i % 7}.${i % 13}.${i % 5}";
    src = fetchurl {
      url = "https://example.org/releases/\${pname}-\${version}.tar.gz";
      sha256 = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";
    };
    nativeBuildInputs = [ pkg-config ${dep()} ];
    buildInputs = [ ${dep()} ${dep()} ] ++ lib.optionals stdenv.isDarwin [ Security ];
    configureFlags = [ "--enable-shared" "--with-${dep()}=\${${dep()}.dev}" ] ++ lib.optional (version != "1.0") "--enable-new";
    enableParallelBuilding = true;
    doCheck = !stdenv.hostPlatform.isStatic && i > ${i % 17};
    NIX_CFLAGS_COMPILE = toString ([ "-Wno-error" ] ++ lib.optional stdenv.cc.isClang "-Wno-unused");
    postInstall = ''
      mkdir -p $out/share/doc/\${pname}
      cp -r doc/* $out/share/doc/\${pname}/ || true
      substituteInPlace $out/bin/${base} \\
        --replace "/usr/bin" "$out/bin" --replace ''\${HOME} "/homeless"
      for f in $out/lib/*.so; do
        echo "patching $f"
      done
    '';
    passthru.tests = { version = testers.testVersion { package = ${name}; }; };
    meta = with lib; {
      description = "Package number ${i} of the synthetic corpus (\${pname})";
      homepage = "https://example.org/${base}";
      license = if i / 2 * 2 == i then licenses.mit else licenses.gpl3Plus;
      maintainers = with maintainers; [ alice bob ];
      platforms = platforms.unix;
    };
  };
`;
}

/** About `lines` lines of nixpkgs-like Nix: lib functions then a package set. */
export function generateNixCorpus(lines: number, seed = 1): string {
  const rand = rng(seed);
  let out = `# Synthetic package set (generated).
{ system ? builtins.currentSystem, config ? { }, overlays ? [ ], ... }@args:

with builtins;
let
  lib = rec {
${LIB_FUNCTIONS}
    trivial = { inherit id const flip pipe; version = "23.11"; };
    strings = { inherit optionalString concatMapStrings hasPrefix removePrefix; };
  };
  i = 3;
in
with lib;
with import ./stdenv { inherit system; };
fix (self: with self; {
  callPackage = callPackageWith (self // { inherit lib config; });
`;
  let count = out.split("\n").length;
  for (let i = 0; count < lines; i++) {
    const entry = packageEntry(i, rand);
    out += entry;
    count += entry.split("\n").length - 1;
  }
  return out + "})\n";
}
