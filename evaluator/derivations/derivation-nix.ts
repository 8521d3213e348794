/**
 * `derivation` and `<nix/fetchurl.nix>`.
 *
 * CppNix defines `derivation` in a small Nix file (`//builtin/derivation.nix`):
 * a lambda `drvAttrs @ { outputs ? [ "out" ], ... }` whose result is, for the
 * first output, `drvAttrs // { <output> = …; all; drvAttrs; outPath; drvPath;
 * type = "derivation"; outputName; }`, each output's set lazily sharing one call
 * to `derivationStrict`. Here the lambda (so `functionArgs`, printing and
 * argument errors are CppNix's) calls a TS implementation that builds the same
 * sets; errors that CppNix reports inside its file carry the same
 * `//builtin/derivation.nix:LINE:COL` positions, and so do the sets' own attributes
 * (`unsafeGetAttrPos`), positions that frames never show (CppNix skips traces there).
 *
 * `<nix/fetchurl.nix>` is our own Nix equivalent of the `builtin:fetchurl`
 * fixed-output derivation CppNix ships, parsed as a string as CppNix does.
 */
import {
  Env,
  EvalError,
  NixAttrs,
  UpdateSite,
  sameArray,
  PrimOp,
  StaticScope,
  baseScope,
  bindVars,
  defineConstant,
  evalExpr,
  evalState,
  evalString,
  force,
  forceAttrs,
  forceList,
  forceStringNoCtx,
  getPrimOp,
  lazy,
  type Lazy,
  Thunk,
  type Value,
  printIdentifier,
  hideFromTraces,
} from "../eval/index.js";
import { parse, sourceOf, type LambdaExpr } from "../syntax/index.js";

const WRAPPER_FILE = "//builtin/derivation.nix";

// The lambda sits where CppNix's does (line 5); the lines below only give the
// positions errors are reported at (see `at`).
const WRAPPER_NIX = [
  "# derivation: see evaluator/derivations/derivation-nix.ts",
  "#",
  "#",
  "",
  'drvAttrs @ { outputs ? [ "out" ], ... }: __derivationImpl drvAttrs',
  ...Array.from({ length: 25 }, () => "#" + " ".repeat(40)),
].join("\n");

const OUT_DEFAULT: Lazy[] = ["out"];

interface WrapperPositions {
  strictCall: number;
  mapCall: number;
  listToAttrsName: number;
  headCall: number;
  /** Where `unsafeGetAttrPos` finds an output attribute. */
  outputAttr: number;
  /** `all`, `drvAttrs`: the common set's own attributes. */
  allAttr: number;
  drvAttrsAttr: number;
  /** An output set's own attributes, in `OWN_NAMES` order. */
  ownAttrs: readonly number[];
}

/**
 * What one `derivation` call's sets share. Their lazy attributes are thunks over
 * this object (or an `OutputOf`), not closures: a closure's context would keep
 * everything the builder used alive as long as the package set lives, which the
 * garbage collector copies in deep evaluations.
 */
class DerivationCall {
  strictValue: NixAttrs | undefined = undefined;
  /** `drvAttrs // listToAttrs outputsList // { all; drvAttrs; }` */
  common: NixAttrs | undefined = undefined;
  /** The output sets (thunks over `OutputOf`s), in `outputs` order. */
  readonly outputSets: Thunk[] = [];

  constructor(
    readonly attrs: NixAttrs,
    readonly at: WrapperPositions,
  ) {}

  strict(): NixAttrs {
    const pos = this.at.strictCall;
    return (this.strictValue ??= forceAttrs(getPrimOp("derivationStrict")!.impl([this.attrs], pos), pos));
  }
}

/** One output of a `derivation` call: the env of its set's thunk and of its `outPath`. */
class OutputOf {
  constructor(
    readonly call: DerivationCall,
    readonly name: string,
  ) {}
}

/** Every package of a set usually has the same attribute names: the results share their names and positions. */
const commonUpdate = new UpdateSite();
const outputUpdate = new UpdateSite();

const TYPE_ATTR = "derivation";
const OWN_NAMES: readonly string[] = ["drvPath", "outPath", "outputName", "type"];

const drvPathCode = (call: DerivationCall): Value => forceAttrValue(call.strict(), "drvPath");
const outPathCode = (output: OutputOf): Value => forceAttrValue(output.call.strict(), output.name);

/**
 * An output's set: `commonAttrs // { outPath; drvPath; type; outputName; }`. Each
 * output set has its own `drvPath` thunk, as in CppNix: forcing one output's does
 * not show the others' as computed (non-strict printing, `--xml`).
 */
const outputSetCode = (output: OutputOf): Value => {
  const call = output.call;
  const own = NixAttrs.fromSorted(
    OWN_NAMES,
    [new Thunk(drvPathCode, call), new Thunk(outPathCode, output), output.name, TYPE_ATTR],
    call.at.ownAttrs,
  );
  return outputUpdate.update(call.common!, own);
};

/** `all`'s elements: `x.value` of each output, unevaluated. */
const forceOtherCode = (t: Thunk): Value => force(t);
const allCode = (call: DerivationCall): Value => call.outputSets.map((t) => new Thunk(forceOtherCode, t));

/** Builds the derivation sets from `attrs` (already a set). */
function derivationImpl(attrs: NixAttrs, at: WrapperPositions): Value {
  const outputsAttr = attrs.get("outputs");
  const outputs = forceList(outputsAttr === undefined ? OUT_DEFAULT : outputsAttr, at.mapCall);
  if (outputs.length === 0) throw new EvalError("list index 0 is out of bounds", at.headCall);

  const call = new DerivationCall(attrs, at);
  // `drvAttrs // listToAttrs outputsList // { all; drvAttrs; }` as one update: the
  // first of equal output names is listToAttrs', `all` and `drvAttrs` win over outputs.
  const names: string[] = [];
  const values: Lazy[] = [];
  const positions: number[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const name = forceStringNoCtx(outputs[i]!, at.listToAttrsName);
    const set = new Thunk(outputSetCode, new OutputOf(call, name));
    call.outputSets.push(set);
    if (name !== "all" && name !== "drvAttrs" && !names.includes(name)) {
      names.push(name);
      values.push(set);
      positions.push(at.outputAttr);
    }
  }
  names.push("all", "drvAttrs");
  // `all` stays unevaluated, and so do its elements (`x.value` thunks in CppNix).
  values.push(new Thunk(allCode, call), attrs);
  positions.push(at.allAttr, at.drvAttrsAttr);
  call.common = commonUpdate.update(attrs, sortedSet(names, values, positions));
  return force(call.outputSets[0]!);
}

/**
 * A set from parallel names, values and positions, sorted by name without
 * Array.prototype.sort's per-call allocation. The last call's sorted names and
 * positions are shared with the next when equal (every package has the same outputs).
 */
function sortedSet(names: string[], values: Lazy[], positions: number[]): NixAttrs {
  const last = lastSorted;
  if (last !== null && sameArray(names, last.names) && sameArray(positions, last.positions)) {
    return NixAttrs.fromSorted(
      last.sortedNames,
      last.order.map((i) => values[i]!),
      last.sortedPositions,
    );
  }
  const order = names.map((_, i) => i);
  for (let i = 1; i < order.length; i++) {
    const x = order[i]!;
    let j = i - 1;
    while (j >= 0 && names[order[j]!]! > names[x]!) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = x;
  }
  const sortedNames = order.map((i) => names[i]!);
  const sortedPositions = order.map((i) => positions[i]!);
  lastSorted = { names, positions, order, sortedNames, sortedPositions };
  return NixAttrs.fromSorted(
    sortedNames,
    order.map((i) => values[i]!),
    sortedPositions,
  );
}

let lastSorted: {
  names: readonly string[];
  positions: readonly number[];
  order: readonly number[];
  sortedNames: readonly string[];
  sortedPositions: readonly number[];
} | null = null;


function forceAttrValue(set: NixAttrs, name: string): Value {
  const a = set.get(name);
  if (a === undefined) throw new EvalError(`attribute '${printIdentifier(name)}' missing`);
  return force(a);
}

/** The wrapper lambda for the current evaluation. */
function makeDerivationLambda(): Value {
  const state = evalState();
  const expr = parse(WRAPPER_NIX, WRAPPER_FILE);
  const src = sourceOf((expr as LambdaExpr).pos)!;
  const lines = WRAPPER_NIX.split("\n");
  const posAt = (line: number, col: number): number => {
    let offset = 0;
    for (let i = 0; i < line - 1; i++) offset += lines[i]!.length + 1;
    return src.base + offset + col - 1;
  };
  const at: WrapperPositions = {
    strictCall: posAt(9, 12),
    mapCall: posAt(26, 17),
    listToAttrsName: posAt(17, 7),
    headCall: posAt(28, 5),
    outputAttr: posAt(18, 7),
    allAttr: posAt(12, 7),
    drvAttrsAttr: posAt(13, 14),
    // drvPath, outPath, outputName (`inherit outputName;`), type
    ownAttrs: [posAt(20, 9), posAt(19, 9), posAt(22, 16), posAt(21, 9)],
  };
  for (const pos of [at.outputAttr, at.allAttr, at.drvAttrsAttr, ...at.ownAttrs]) hideFromTraces(pos);
  const impl = new PrimOp("derivation", 1, ([a], pos) => derivationImpl(forceAttrs(a!, pos), at));
  bindVars(expr, new StaticScope(baseScope(state), new Map([["__derivationImpl", 0]])));
  return evalExpr(expr, new Env(state.baseEnv, [impl]));
}

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

// A constant's initialiser runs once per EvalState while its global scope is built,
// so the Nix parts are made lazily (the scope is not complete yet).
defineConstant("derivation", (() => {
  const state = evalState();
  state.fileEvalCache.set(COREPKGS_PREFIX + "fetchurl.nix", lazy(() => evalString(FETCHURL_NIX, "/")));
  return lazy(makeDerivationLambda);
}) as unknown as () => Value);
