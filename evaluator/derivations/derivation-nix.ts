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
 * `//builtin/derivation.nix:LINE:COL` positions, and the sets' own attributes have
 * no position, so selecting them adds no trace (CppNix skips traces in that file).
 *
 * `<nix/fetchurl.nix>` is our own Nix equivalent of the `builtin:fetchurl`
 * fixed-output derivation CppNix ships, parsed as a string as CppNix does.
 */
import {
  Env,
  EvalError,
  NixAttrs,
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
    readonly strictCall: number,
  ) {}

  strict(): NixAttrs {
    return (this.strictValue ??= forceAttrs(getPrimOp("derivationStrict")!.impl([this.attrs], this.strictCall), this.strictCall));
  }
}

/** One output of a `derivation` call: the env of its set's thunk and of its `outPath`. */
class OutputOf {
  constructor(
    readonly call: DerivationCall,
    readonly name: string,
  ) {}
}

/**
 * `left // right` whose result shares its names array with the last result made
 * from equal names: every package of a set usually has the same attribute names,
 * and an array kept per package is memory the garbage collector copies.
 */
class SharedUpdate {
  private leftNames: readonly string[] = [];
  private rightNames: readonly string[] = [];
  private resultNames: readonly string[] = [];
  /** Per result attribute: its index on the left, or -(index + 1) on the right. */
  private from: Int32Array = new Int32Array(0);
  /** The positions of the last result and the position arrays they came from (shared while those are). */
  private leftPositions: readonly number[] = [];
  private rightPositions: readonly number[] = [];
  private resultPositions: readonly number[] = [];

  apply(left: NixAttrs, right: NixAttrs): NixAttrs {
    if (left.names.length === 0 || right.names.length === 0 || !sameNames(left.names, this.leftNames) || !sameNames(right.names, this.rightNames)) {
      return this.remember(left, right, left.update(right));
    }
    const from = this.from;
    const lv = left.values;
    const rv = right.values;
    const values = new Array<Lazy>(from.length);
    for (let i = 0; i < from.length; i++) {
      const f = from[i]!;
      values[i] = f >= 0 ? lv[f]! : rv[-f - 1]!;
    }
    return new NixAttrs(this.resultNames, values, this.positionsOf(left.positions, right.positions), right.pos);
  }

  private positionsOf(lp: readonly number[], rp: readonly number[]): readonly number[] {
    if (lp === this.leftPositions && rp === this.rightPositions) return this.resultPositions;
    const from = this.from;
    const positions = new Array<number>(from.length);
    for (let i = 0; i < from.length; i++) {
      const f = from[i]!;
      positions[i] = f >= 0 ? lp[f]! : rp[-f - 1]!;
    }
    this.leftPositions = lp;
    this.rightPositions = rp;
    this.resultPositions = positions;
    return positions;
  }

  private remember(left: NixAttrs, right: NixAttrs, result: NixAttrs): NixAttrs {
    const names = result.names;
    const from = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) {
      const r = right.indexOf(names[i]!);
      from[i] = r >= 0 ? -(r + 1) : left.indexOf(names[i]!);
    }
    this.leftNames = left.names;
    this.rightNames = right.names;
    this.resultNames = names;
    this.from = from;
    this.leftPositions = left.positions;
    this.rightPositions = right.positions;
    this.resultPositions = result.positions;
    return result;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const commonUpdate = new SharedUpdate();
const outputUpdate = new SharedUpdate();

const TYPE_ATTR = "derivation";
const OWN_NAMES: readonly string[] = ["drvPath", "outPath", "outputName", "type"];

/** `outputName` attributes by output name (a string value: nothing to force, safe to share). */
const outputNameAttrs = new Map<string, Lazy>();

function outputNameAttr(name: string): Lazy {
  let a = outputNameAttrs.get(name);
  if (a === undefined) {
    if (outputNameAttrs.size >= 256) outputNameAttrs.clear();
    outputNameAttrs.set(name, (a = name));
  }
  return a;
}

const drvPathCode = (call: DerivationCall): Value => forceAttrValue(call.strict(), "drvPath");
const outPathCode = (output: OutputOf): Value => forceAttrValue(output.call.strict(), output.name);

/**
 * An output's set: `commonAttrs // { outPath; drvPath; type; outputName; }`. Each
 * output set has its own `drvPath` thunk, as in CppNix: forcing one output's does
 * not show the others' as computed (non-strict printing, `--xml`).
 */
const outputSetCode = (output: OutputOf): Value => {
  const call = output.call;
  const own = NixAttrs.fromSorted(OWN_NAMES, [
    new Thunk(drvPathCode, call),
    new Thunk(outPathCode, output),
    outputNameAttr(output.name),
    TYPE_ATTR,
  ]);
  return outputUpdate.apply(call.common!, own);
};

/** `all`'s elements: `x.value` of each output, unevaluated. */
const forceOtherCode = (t: Thunk): Value => force(t);
const allCode = (call: DerivationCall): Value => call.outputSets.map((t) => new Thunk(forceOtherCode, t));

/** Builds the derivation sets from `attrs` (already a set). */
function derivationImpl(attrs: NixAttrs, at: WrapperPositions): Value {
  const outputsAttr = attrs.get("outputs");
  const outputs = forceList(outputsAttr === undefined ? OUT_DEFAULT : outputsAttr, at.mapCall);
  if (outputs.length === 0) throw new EvalError("list index 0 is out of bounds", at.headCall);

  const call = new DerivationCall(attrs, at.strictCall);
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
  positions.push(0, 0);
  call.common = commonUpdate.apply(attrs, sortedSet(names, values, positions));
  return force(call.outputSets[0]!);
}

/** A set from parallel names and values, sorted by name without Array.prototype.sort's per-call allocation. */
function sortedSet(names: string[], values: Lazy[], positions: number[]): NixAttrs {
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
  return NixAttrs.fromSorted(
    order.map((i) => names[i]!),
    order.map((i) => values[i]!),
    order.map((i) => positions[i]!),
  );
}

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
  };
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
