/**
 * Evaluation-order and function-introspection builtins: seq, deepSeq,
 * genericClosure, functionArgs. (`tryEval` and `addErrorContext` are the core's.)
 */
import {
  EvalError,
  NixAttrs,
  NixLambda,
  NixString,
  NixTypeError,
  PrimOp,
  PrimOpApp,
  definePrimOp,
  force,
  forceAttrs,
  forceDeep,
  forceFunction,
  forceList,
  lessThan,
  printErrorValue,
  stringBytes,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { call1, copied } from "./common.js";
import { requireAttr } from "./attrs.js";

definePrimOp("__seq", 2, ([a, b], pos) => {
  force(a!, pos);
  return copied(force(b!, pos));
});

definePrimOp("__deepSeq", 2, ([a, b], pos) => {
  forceDeep(a!, pos);
  return copied(force(b!, pos));
});

/**
 * The keys seen so far, ordered with Nix's ordering (CppNix uses a std::set with
 * CompareValues; like it, the new key is compared first as the left operand, so
 * incomparable keys raise the same "cannot compare" error). While every key is
 * an integer, or every key a string, a hash set gives the same answers faster.
 */
const SMALL_KEYS = 1 << 24;

class KeySet {
  private mode: "empty" | "int" | "string" | "sorted" = "empty";
  private readonly fast = new Set<number | bigint | string>();
  private sorted: Value[] = [];
  /** Int keys 0 ≤ k < 2^24 (closures usually number their nodes): a bitmap, several times faster than the Set. */
  private bits = new Uint8Array(0);

  private insertInt(n: number): boolean {
    if (n < 0 || n >= SMALL_KEYS) {
      const size = this.fast.size;
      return this.fast.add(n).size !== size;
    }
    const i = n >>> 3;
    let bits = this.bits;
    if (i >= bits.length) {
      const grown = new Uint8Array(Math.min(SMALL_KEYS >>> 3, Math.max(i + 1, bits.length * 2, 64)));
      grown.set(bits);
      this.bits = bits = grown;
    }
    const m = 1 << (n & 7);
    if ((bits[i]! & m) !== 0) return false;
    bits[i] = bits[i]! | m;
    return true;
  }

  /** Adds `key`; false when an equal key is present. */
  insert(key: Value, pos: number): boolean {
    // The common case first: another int key into a set of ints.
    if (typeof key === "number" && this.mode === "int") return this.insertInt(key);
    const kind = typeof key === "number" || typeof key === "bigint" ? "int" : typeof key === "string" || key instanceof NixString ? "string" : null;
    if (this.mode === "empty" && kind !== null) this.mode = kind;
    if (this.mode === kind) {
      if (typeof key === "number") return this.insertInt(key);
      const k = typeof key === "bigint" ? key : stringBytes(key as string | NixString);
      if (this.fast.has(k)) return false;
      this.fast.add(k);
      return true;
    }
    if (this.mode !== "sorted" && this.mode !== "empty") {
      // Leave the fast path: the existing keys, all of one kind, in their natural order.
      const keys: (number | bigint | string)[] = [...this.fast];
      for (let i = 0; i < this.bits.length; i++) for (let b = 0; b < 8; b++) if ((this.bits[i]! & (1 << b)) !== 0) keys.push(i * 8 + b);
      keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.sorted = keys;
      this.fast.clear();
    }
    this.mode = "sorted";
    const keys = this.sorted;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = keys[mid]!;
      if (lessThan(key, other, pos)) hi = mid;
      else if (lessThan(other, key, pos)) lo = mid + 1;
      else return false;
    }
    keys.splice(lo, 0, key);
    return true;
  }
}

definePrimOp("__genericClosure", 1, ([arg]) => {
  const inArg = "in the attrset passed as argument to builtins.genericClosure";
  const args = forceAttrs(arg!, 0, "while evaluating the first argument passed to builtins.genericClosure");
  const startSet = requireAttr(args, "startSet", inArg);
  const start = forceList(args.values[startSet]!, 0, "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure");
  if (start.length === 0) return start;
  const work: Lazy[] = start.slice();
  const op = requireAttr(args, "operator", inArg);
  const operator = forceFunction(args.values[op]!, 0, "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure");
  const done = new KeySet();
  const result: Lazy[] = [];
  for (let i = 0; i < work.length; i++) {
    const e = work[i]!;
    let key: Value;
    try {
      const attrs = forceAttrs(e, 0);
      const k = attrs.get("key");
      if (k === undefined) throw new NixTypeError("attribute 'key' missing");
      key = k as Value;
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(0, `in genericClosure element ${printErrorValue(e)}`);
      throw err;
    }
    key = force(key);
    try {
      if (!done.insert(key, 0)) continue;
    } catch (err) {
      if (err instanceof EvalError) {
        // Name the element whose key could not be compared with this one.
        const other = result.find((r) => {
          try {
            lessThan(key, force((force(r) as NixAttrs).get("key")!), 0);
            return false;
          } catch {
            return true;
          }
        });
        if (other !== undefined) {
          err.addTrace(0, `with element ${printErrorValue(other)}`);
          err.addTrace(0, `while comparing element ${printErrorValue(e)}`);
        } else err.addTrace(0, `while checking key of element ${printErrorValue(e)}`);
      }
      throw err;
    }
    result.push(e);
    try {
      for (const next of forceList(call1(operator, e, 0), 0, "while evaluating the return value of the `operator` passed to builtins.genericClosure")) {
        force(next);
        work.push(next);
      }
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(0, `while calling operator on genericClosure element ${printErrorValue(e)}`);
      throw err;
    }
    // Drop processed items now and then so long closures do not keep them alive.
    if (i > 4096 && i * 2 > work.length) {
      work.splice(0, i + 1);
      i = -1;
    }
  }
  return result;
});

definePrimOp("__functionArgs", 1, ([f], pos) => {
  const fn = force(f!, pos);
  if (fn instanceof PrimOp || fn instanceof PrimOpApp) return NixAttrs.EMPTY;
  if (!(fn instanceof NixLambda)) throw new NixTypeError("'functionArgs' requires a function", pos);
  const formals = fn.expr.formals;
  if (formals === null) return NixAttrs.EMPTY;
  const entries = formals.entries;
  return NixAttrs.fromUnsorted(
    entries.map((f) => f.name),
    entries.map((f) => f.default !== null),
    entries.map((f) => f.pos),
  );
});
