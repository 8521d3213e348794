/**
 * Typed forcing, string coercion, equality, ordering and checked integer
 * arithmetic: the API builtins are written against (CppNix's EvalState::force*,
 * coerceToString, eqValues, CompareValues).
 */
import {
  NixAttrs,
  NixFloat,
  NixLambda,
  NixPath,
  NixString,
  PrimOp,
  PrimOpApp,
  Thunk,
  EMPTY_CONTEXT,
  mergeContext,
  mkInt,
  showType,
  typeOf,
  type Lazy,
  type NixInt,
  type Value,
} from "./value.js";
import { printErrorValue, printIdentifier } from "./error-format.js";
import { EvalError, NixTypeError, inFrame, typeError, typeErrorAt } from "./errors.js";
import { callFunction, force, forceThunk } from "./interpreter.js";
import { evalState } from "./state.js";
import { callDepthExceeded, calls, enterCall, leaveCall } from "./call-depth.js";
import { floatToString } from "../builtins/support/float-format.js";
import { canonPath } from "../syntax/paths.js";
import { compareSymbols } from "./scope.js";

// ---------------------------------------------------------------- typed forcing

export function forceInt(v: Lazy, pos = 0, ctx?: string): NixInt {
  const x = v instanceof Thunk ? (ctx === undefined ? forceThunk(v, pos) : forceInCtx(v, pos, ctx)) : v;
  if (typeof x === "number" || typeof x === "bigint") return x;
  throw typeErrorAt(x, "an integer", pos, ctx);
}

/**
 * Forces a thunk; an error gets the caller's frame (`ctx`, e.g. "while evaluating
 * the first argument passed to builtins.length"), as current CppNix's force*(…, errorCtx).
 */
export function forceInCtx(v: Lazy, pos: number, ctx: string): Value {
  try {
    return force(v, pos);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(pos, ctx);
    throw err;
  }
}

/** A float, or an integer converted to float (as CppNix's forceFloat). */
export function forceFloat(v: Lazy, pos = 0, ctx?: string): number {
  const x = v instanceof Thunk ? (ctx === undefined ? forceThunk(v, pos) : forceInCtx(v, pos, ctx)) : v;
  if (x instanceof NixFloat) return x.value;
  if (typeof x === "number") return x;
  if (typeof x === "bigint") return Number(x);
  throw typeErrorAt(x, "a float", pos, ctx);
}

export function forceBool(v: Lazy, pos = 0, ctx?: string): boolean {
  const x = v instanceof Thunk ? (ctx === undefined ? forceThunk(v, pos) : forceInCtx(v, pos, ctx)) : v;
  if (typeof x !== "boolean") throw typeErrorAt(x, "a Boolean", pos, ctx);
  return x;
}

export function forceAttrs(v: Lazy, pos = 0, ctx?: string): NixAttrs {
  const x = v instanceof Thunk ? forceThunk(v, pos) : v;
  if (!(x instanceof NixAttrs)) throw typeError(x, "a set", pos, ctx);
  return x;
}

export function forceList(v: Lazy, pos = 0, ctx?: string): Lazy[] {
  const x = v instanceof Thunk ? forceThunk(v, pos) : v;
  if (!Array.isArray(x)) throw typeError(x, "a list", pos, ctx);
  return x;
}

/** A function: lambda, primop, partial primop, or a set with `__functor`. */
export function forceFunction(v: Lazy, pos = 0, ctx?: string): Value {
  const x = v instanceof Thunk ? (ctx === undefined ? forceThunk(v, pos) : forceInCtx(v, pos, ctx)) : v;
  if (x instanceof NixLambda || x instanceof PrimOp || x instanceof PrimOpApp) return x;
  if (x instanceof NixAttrs && x.has("__functor")) return x;
  throw typeErrorAt(x, "a function", pos, ctx);
}

/** A string value with its context. */
export function forceString(v: Lazy, pos = 0, ctx?: string): string | NixString {
  const x = v instanceof Thunk ? (ctx === undefined ? forceThunk(v, pos) : forceInCtx(v, pos, ctx)) : v;
  if (typeof x === "string" || x instanceof NixString) return x;
  throw typeErrorAt(x, "a string", pos, ctx);
}

/** The bytes of a string value, ignoring its context. */
export function forceStringBytes(v: Lazy, pos = 0, ctx?: string): string {
  const x = forceString(v, pos, ctx);
  return typeof x === "string" ? x : x.s;
}

/** A string that must not have a context (attribute names, file names, …). */
export function forceStringNoCtx(v: Lazy, pos = 0, ctx?: string): string {
  const x = forceString(v, pos, ctx);
  if (typeof x === "string") return x;
  const err = new EvalError(`the string '${x.s}' is not allowed to refer to a store path (such as '${x.context[0]}')`, pos);
  throw ctx === undefined ? err : err.addTrace(pos, ctx);
}

// ---------------------------------------------------------------- coercion

export interface CoerceOptions {
  /** Also convert bools, ints, floats, null and lists (as `toString` does). */
  coerceMore?: boolean;
  /** Copy paths to the store and return the store path (with context). */
  copyToStore?: boolean;
  /**
   * The caller's frame for a value that cannot be coerced (current CppNix's
   * errorCtx, e.g. "while evaluating a path segment"): the error then has no
   * position of its own and the frame has `pos`.
   */
  ctx?: string;
}

function cannotCoerce(x: Value, pos: number, ctx: string | undefined): NixTypeError {
  const msg = `cannot coerce ${showType(x)} to a string: ${printErrorValue(x)}`;
  return ctx === undefined ? new NixTypeError(msg, pos) : new NixTypeError(msg).addTrace(pos, ctx);
}

/** A set's string form through `__toString` or `outPath`, with current CppNix's frames. */
function peelToString(x: NixAttrs, pos: number, opts: CoerceOptions): string | NixString {
  return peel(x, (v) => coerceToString(v, pos, opts), () => cannotCoerce(x, pos, opts.ctx));
}

/** Current CppNix's peelToStringOutPath: `finish` gets the value behind `__toString`/`outPath`. */
function peel<T>(x: NixAttrs, finish: (v: Value) => T, none: () => EvalError): T {
  const toStr = x.find("__toString");
  if (toStr >= 0) {
    const tpos = x.positions[toStr]!;
    let r: Value;
    try {
      r = callFunction(force(x.values[toStr]!, tpos), [x], tpos);
    } catch (err) {
      throw inFrame(err, tpos, "while calling the `__toString` attribute");
    }
    try {
      enterCall(tpos);
      const s = finish(r);
      leaveCall();
      return s;
    } catch (err) {
      throw inFrame(err, tpos, "while using the result of the `__toString` attribute");
    }
  }
  const out = x.find("outPath");
  if (out < 0) throw none();
  const opos = x.positions[out]!;
  let o: Value;
  try {
    o = force(x.values[out]!, opos);
  } catch (err) {
    throw inFrame(err, opos, "while evaluating the `outPath` attribute");
  }
  try {
    enterCall(opos);
    const s = finish(o);
    leaveCall();
    return s;
  } catch (err) {
    throw inFrame(err, opos, "while using the `outPath` attribute");
  }
}

/** CppNix's coerceToString. Returns a plain string when the context is empty. */
export function coerceToString(v: Lazy, pos = 0, opts: CoerceOptions = {}): string | NixString {
  const x = force(v, pos);
  if (typeof x === "string" || x instanceof NixString) return x;
  const coerceMore = opts.coerceMore ?? false;
  const copyToStore = opts.copyToStore ?? true;
  if (x instanceof NixPath) {
    const p = canonPath(x.path);
    if (!copyToStore) return p;
    const dst = evalState().copyPathToStore(p);
    return new NixString(dst, [dst]);
  }
  if (x instanceof NixAttrs) return peelToString(x, pos, opts);
  if (coerceMore) {
    if (x === true) return "1";
    if (x === false || x === null) return "";
    if (typeof x === "number" || typeof x === "bigint") return String(x);
    if (x instanceof NixFloat) return floatToString(x.value);
    if (Array.isArray(x)) {
      enterCall(pos);
      let s = "";
      let ctx: readonly string[] = EMPTY_CONTEXT;
      const inner = opts.ctx === undefined ? opts : { ...opts, ctx: "while evaluating one element of the list" };
      for (let i = 0; i < x.length; i++) {
        let r: string | NixString;
        try {
          r = coerceToString(x[i]!, pos, inner);
        } catch (err) {
          throw opts.ctx === undefined ? err : inFrame(err, pos, opts.ctx);
        }
        if (typeof r === "string") s += r;
        else {
          s += r.s;
          ctx = mergeContext(ctx, r.context);
        }
        const el = x[i]!;
        const elv = el instanceof Thunk ? el.value : el;
        // CppNix: no separator after an empty list element ("not quite correct").
        if (i < x.length - 1 && !(Array.isArray(elv) && elv.length === 0)) s += " ";
      }
      leaveCall();
      return ctx.length === 0 ? s : new NixString(s, ctx);
    }
  }
  throw cannotCoerce(x, pos, opts.ctx);
}

/** CppNix's coerceToPath: a string that must be an absolute path; returns the bytes and context. */
export function coerceToPath(v: Lazy, pos = 0, ctx?: string): { path: string; context: readonly string[] } {
  const x = force(v, pos);
  // The absolute-path check happens behind `__toString`/`outPath` frames, as in CppNix.
  if (x instanceof NixAttrs) return peel(x, (inner) => coerceToPath(inner, pos, ctx), () => cannotCoerce(x, pos, ctx));
  const r = coerceToString(x, pos, { coerceMore: false, copyToStore: false, ctx });
  const path = typeof r === "string" ? r : r.s;
  if (path === "" || path[0] !== "/") {
    const msg = `string '${path}' doesn't represent an absolute path`;
    throw ctx === undefined ? new EvalError(msg, pos) : new EvalError(msg).addTrace(pos, ctx);
  }
  return { path, context: typeof r === "string" ? EMPTY_CONTEXT : r.context };
}

// ---------------------------------------------------------------- equality

/** True for a set with `type = "derivation"`. */
export function isDerivation(v: Value): boolean {
  if (!(v instanceof NixAttrs)) return false;
  const t = v.find("type");
  if (t < 0) return false;
  const tv = force(v.values[t]!, v.positions[t]!);
  return tv === "derivation" || (tv instanceof NixString && tv.s === "derivation");
}

/**
 * `==` (CppNix's eqValues). Dispatches on `typeof` first and tests the object
 * classes most often compared (sets, strings with context, lists) before the rare
 * ones: a long chain of instanceof tests was most of the cost of `s == t`.
 */
export function eqValues(a: Value, b: Value): boolean {
  switch (typeof a) {
    case "string":
      return typeof b === "string" ? a === b : b instanceof NixString && a === b.s;
    case "number":
      if (typeof b === "number") return a === b;
      if (typeof b === "bigint") return BigInt(a) === b;
      return b instanceof NixFloat && a === b.value;
    case "boolean":
      return a === b;
    case "bigint":
      if (typeof b === "bigint" || typeof b === "number") return a === BigInt(b);
      return b instanceof NixFloat && Number(a) === b.value;
  }
  if (a === null) return b === null;
  if (a instanceof NixAttrs) {
    if (!(b instanceof NixAttrs)) return false;
    enterCall(0);
    const r = eqAttrs(a, b);
    leaveCall();
    return r;
  }
  if (a instanceof NixString) return typeof b === "string" ? a.s === b : b instanceof NixString && a.s === b.s;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    enterCall(0);
    for (let i = 0; i < a.length; i++) {
      if (!eqLazy(a[i]!, b[i]!)) {
        leaveCall();
        return false;
      }
    }
    leaveCall();
    return true;
  }
  if (a instanceof NixFloat) {
    if (b instanceof NixFloat) return a.value === b.value;
    if (typeof b === "number" || typeof b === "bigint") return a.value === Number(b);
    return false;
  }
  if (a instanceof NixPath) return b instanceof NixPath && a.path === b.path;
  // Functions are incomparable.
  return false;
}

/** True if the attribute `type` of a set (forced) is the string "derivation". */
function typeIsDerivation(s: NixAttrs): boolean {
  const t = s.find("type");
  if (t < 0) return false;
  const v = s.values[t]!;
  const tv = v instanceof Thunk ? forceThunk(v, s.positions[t]!) : v;
  return tv === "derivation" || (tv instanceof NixString && tv.s === "derivation");
}

/** `==` of two sets (one level of max-call-depth, counted by eqValues). */
function eqAttrs(a: NixAttrs, b: NixAttrs): boolean {
  // As CppNix: `type` of the left side forced first, of the right only if the left is a derivation.
  if (typeIsDerivation(a) && typeIsDerivation(b)) {
    const x = a.get("outPath");
    const y = b.get("outPath");
    if (x !== undefined && y !== undefined) return eqLazy(x, y);
  }
  const ka = a.names;
  const kb = b.names;
  const n = ka.length;
  if (n !== kb.length) return false;
  const va = a.values;
  const vb = b.values;
  // Sets made by the same expression (or `//` overrides) share their names array.
  if (ka !== kb) for (let i = 0; i < n; i++) if (ka[i] !== kb[i]) return false;
  for (let i = 0; i < n; i++) if (!eqLazy(va[i]!, vb[i]!)) return false;
  return true;
}

/**
 * Equality of two slots: the same slot is equal to itself even for functions
 * (CppNix's pointer test); identical primitives (ints, strings, Booleans, null:
 * never a NaN, floats are objects) are equal without the dispatch.
 */
function eqLazy(a: Lazy, b: Lazy): boolean {
  if (a === b) return true;
  const x = a instanceof Thunk ? forceThunk(a, 0) : a;
  const y = b instanceof Thunk ? forceThunk(b, 0) : b;
  if (x === y && typeof x !== "object") return true;
  return eqValues(x, y);
}

// ---------------------------------------------------------------- ordering

/** `a < b` as CppNix's CompareValues (`__lessThan`, `sort`); `ctx` names the comparison in an error's trace. */
export function lessThan(a: Value, b: Value, pos = 0, ctx?: string): boolean {
  if (ctx === undefined) return compareValues(a, b, pos);
  try {
    return compareValues(a, b, pos);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(0, ctx);
    throw err;
  }
}

function compareValues(a: Value, b: Value, pos: number): boolean {
  if (typeof a === "number" || typeof a === "bigint") {
    // number/bigint mixes compare exactly in JS.
    if (typeof b === "number" || typeof b === "bigint") return a < b;
    if (b instanceof NixFloat) return Number(a) < b.value;
  } else if (a instanceof NixFloat) {
    if (b instanceof NixFloat) return a.value < b.value;
    if (typeof b === "number" || typeof b === "bigint") return a.value < Number(b);
  } else if (typeof a === "string" || a instanceof NixString) {
    if (typeof b === "string" || b instanceof NixString) {
      return (typeof a === "string" ? a : a.s) < (typeof b === "string" ? b : b.s);
    }
  } else if (a instanceof NixPath) {
    if (b instanceof NixPath) return a.path < b.path;
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; ; i++) {
      if (i === b.length) return false;
      if (i === a.length) return true;
      const x = force(a[i]!, pos);
      const y = force(b[i]!, pos);
      if (!eqLazy(a[i]!, b[i]!)) return lessThan(x, y, pos, "while comparing two list elements");
    }
  }
  const values = `${printErrorValue(a)} and ${printErrorValue(b)}`;
  if (typeOf(a) !== typeOf(b)) throw new EvalError(`cannot compare ${showType(a)} with ${showType(b)}; values are ${values}`);
  throw new EvalError(`cannot compare ${showType(a)} with ${showType(b)}; values of that type are incomparable (values are ${values})`);
}

// ---------------------------------------------------------------- integers

const MIN_INT = -(1n << 63n);
const MAX_INT = (1n << 63n) - 1n;

/** A bigint result checked against the 64-bit range, then normalised. */
function checked(r: bigint, what: string, a: NixInt, op: string, b: NixInt, pos: number): NixInt {
  if (r < MIN_INT || r > MAX_INT) throw new EvalError(`integer overflow in ${what} ${a} ${op} ${b}`, pos);
  return mkInt(r);
}

// Safe-integer operands give an exact JS result whenever that result is itself a
// safe integer (rounding is monotonic, so an inexact result lands at ≥ 2^53);
// anything else is redone with bigints.

export function addInts(a: NixInt, b: NixInt, pos = 0): NixInt {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (r <= Number.MAX_SAFE_INTEGER && r >= -Number.MAX_SAFE_INTEGER) return r;
  }
  return checked(BigInt(a) + BigInt(b), "adding", a, "+", b, pos);
}

export function subInts(a: NixInt, b: NixInt, pos = 0): NixInt {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (r <= Number.MAX_SAFE_INTEGER && r >= -Number.MAX_SAFE_INTEGER) return r;
  }
  return checked(BigInt(a) - BigInt(b), "subtracting", a, "-", b, pos);
}

/** `a - b` as the desugared `__sub` call does it: an overflow is reported as inside that builtin. */
export function subIntsCall(a: NixInt, b: NixInt, pos: number): NixInt {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (r <= Number.MAX_SAFE_INTEGER && r >= -Number.MAX_SAFE_INTEGER) return r;
  }
  const r = BigInt(a) - BigInt(b);
  if (r < MIN_INT || r > MAX_INT) throw new EvalError(`integer overflow in subtracting ${a} - ${b}`).addTrace(pos, "while calling the 'sub' builtin");
  return mkInt(r);
}

export function mulInts(a: NixInt, b: NixInt, pos = 0): NixInt {
  if (typeof a === "number" && typeof b === "number") {
    const r = a * b;
    if (r <= Number.MAX_SAFE_INTEGER && r >= -Number.MAX_SAFE_INTEGER) return r === 0 ? 0 : r; // no -0
  }
  return checked(BigInt(a) * BigInt(b), "multiplying", a, "*", b, pos);
}

/** Integer division truncating toward zero, as C++. */
export function divInts(a: NixInt, b: NixInt, pos = 0): NixInt {
  if (b === 0 || b === 0n) throw new EvalError("division by zero", pos);
  if (typeof a === "number" && typeof b === "number") {
    // `a - a % b` is exact and divisible by b, so the quotient is exact.
    const q = (a - (a % b)) / b;
    return q === 0 ? 0 : q;
  }
  return checked(BigInt(a) / BigInt(b), "dividing", a, "/", b, pos);
}

// ---------------------------------------------------------------- deep forcing

/** Forces a value and everything inside it (CppNix's forceValueDeep). */
export function forceDeep(v: Lazy, pos = 0): Value {
  const depth = calls.depth;
  try {
    forceDeepTraced(v, new Set(), pos);
  } catch (err) {
    // Too deep for recursion: force iteratively (without attribute frames).
    if (err instanceof RangeError) {
      calls.depth = depth;
      return forceDeepFast(v, pos);
    }
    throw err;
  }
  return force(v, pos);
}

/**
 * The order CppNix forces a set's attributes in (forceValueDeep walks its Bindings,
 * sorted by symbol, i.e. roughly by where a name first appeared, not by name): the
 * indices into `names`, or null when that is already name order. With several
 * failing attributes this decides which error is reported, and the order of traces.
 */
function bindingsOrder(names: readonly string[]): number[] | null {
  let inOrder = true;
  for (let i = 1; i < names.length && inOrder; i++) inOrder = compareSymbols(names[i - 1]!, names[i]!) <= 0;
  if (inOrder) return null;
  return Array.from(names, (_, i) => i).sort((a, b) => compareSymbols(names[a]!, names[b]!));
}

/** Recursive variant that adds "while evaluating the attribute" frames. */
function forceDeepTraced(v: Lazy, seen: Set<object>, pos: number): void {
  // Every value is a level, counted before it is forced (current CppNix's forceValueDeep).
  enterCall(pos);
  const x = force(v, pos);
  if (typeof x !== "object" || x === null || seen.has(x)) {
    leaveCall();
    return;
  }
  seen.add(x);
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      try {
        forceDeepTraced(x[i]!, seen, pos);
      } catch (err) {
        throw inFrame(err, 0, `while evaluating list element at index ${i}`);
      }
    }
  } else if (x instanceof NixAttrs) {
    const order = bindingsOrder(x.names);
    for (let k = 0; k < x.names.length; k++) {
      const i = order === null ? k : order[k]!;
      const apos = x.positions[i]!;
      try {
        forceDeepTraced(x.values[i]!, seen, apos);
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(apos, `while evaluating the attribute '${printIdentifier(x.names[i]!)}'`);
        throw err;
      }
    }
  }
  leaveCall();
}

function forceDeepFast(v: Lazy, pos: number): Value {
  const seen = new Set<object>();
  const stack: Lazy[] = [v];
  // Each value's level, counted as the recursive walk counts it: a structure deeper
  // than max-call-depth fails here too, as CppNix's recursive forceValueDeep does.
  const levels: number[] = [calls.depth];
  const root = force(v, pos);
  while (stack.length > 0) {
    const level = levels.pop()!;
    if (level > calls.max) throw callDepthExceeded(pos);
    const x = force(stack.pop()!, pos);
    if (typeof x !== "object" || x === null) continue;
    if (seen.has(x)) continue;
    seen.add(x);
    if (Array.isArray(x)) {
      for (let i = x.length - 1; i >= 0; i--) {
        stack.push(x[i]!);
        levels.push(level + 1);
      }
    } else if (x instanceof NixAttrs) {
      const order = bindingsOrder(x.names);
      for (let k = x.names.length - 1; k >= 0; k--) {
        stack.push(x.values[order === null ? k : order[k]!]!);
        levels.push(level + 1);
      }
    }
  }
  return root;
}
