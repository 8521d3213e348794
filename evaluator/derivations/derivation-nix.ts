/**
 * The Nix-level pieces CppNix evaluates from embedded Nix source: the lazy
 * `derivation` wrapper around `derivationStrict`, and `<nix/fetchurl.nix>` (the
 * `builtin:fetchurl` fixed-output derivation nixpkgs' bootstrap imports). Both are
 * written here in Nix so that laziness, attribute sets and .drv environments
 * come out exactly as CppNix's do.
 */
import { defineConstant, evalState, evalString, lazy, type Value } from "../eval/index.js";

/**
 * `derivation attrs`: every output `o` becomes `attrs // { outPath; drvPath;
 * type = "derivation"; outputName = o; }` plus the other outputs, `all` and
 * `drvAttrs`; the first output is the result. Only `derivationStrict` forces
 * the attributes, and only when a path is asked for.
 */
const DERIVATION_NIX = `
attrs @ { outputs ? [ "out" ], ... }:
let
  strict = derivationStrict attrs;
  withOutput = name: {
    inherit name;
    value = shared // {
      outPath = builtins.getAttr name strict;
      drvPath = strict.drvPath;
      type = "derivation";
      outputName = name;
    };
  };
  perOutput = map withOutput outputs;
  shared = attrs // builtins.listToAttrs perOutput // {
    all = map (o: o.value) perOutput;
    drvAttrs = attrs;
  };
in (builtins.head perOutput).value
`;

/**
 * `import <nix/fetchurl.nix> { url; sha256 | hash | …; }`: a derivation run by the
 * daemon's built-in fetcher. Its attributes (and so its .drv) match CppNix's.
 */
const FETCHURL_NIX = `
{ system ? "", url, hash ? "", md5 ? "", sha1 ? "", sha256 ? "", sha512 ? ""
, outputHash ?
    if hash != "" then hash
    else if sha512 != "" then sha512
    else if sha1 != "" then sha1
    else if md5 != "" then md5
    else sha256
, outputHashAlgo ?
    if hash != "" then ""
    else if sha512 != "" then "sha512"
    else if sha1 != "" then "sha1"
    else if md5 != "" then "md5"
    else "sha256"
, executable ? false, unpack ? false
, name ? baseNameOf (toString url)
}:
derivation {
  inherit name url executable unpack outputHash outputHashAlgo;
  builder = "builtin:fetchurl";
  system = "builtin";
  outputHashMode = if unpack || executable then "recursive" else "flat";
  preferLocalBuild = true;
  # Proxy settings may leak in: the output is fixed, so the result stays pure.
  impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
  urls = [ url ];
}
`;

/** Where CppNix's findFile sends `<nix/…>` when no search-path entry provides it. */
export const COREPKGS_PREFIX = "/__corepkgs__/";

const ROOT = "/";

// A constant's initialiser runs once per EvalState while its global scope is built,
// so the Nix source is parsed lazily (the scope is not complete yet).
defineConstant("derivation", (() => {
  const state = evalState();
  state.fileEvalCache.set(COREPKGS_PREFIX + "fetchurl.nix", lazy(() => evalString(FETCHURL_NIX, ROOT)));
  return lazy(() => evalString(DERIVATION_NIX, ROOT));
}) as unknown as () => Value);
