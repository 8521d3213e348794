/**
 * Evaluation-order and function-introspection builtins: seq, deepSeq,
 * genericClosure, functionArgs. (`tryEval` and `addErrorContext` are the core's.)
 */
import {
  Attr,
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
import { call, copied } from "./common.js";
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
class KeySet {
  private mode: "empty" | "int" | "string" | "sorted" = "empty";
  private readonly fast = new Set<number | bigint | string>();
  private sorted: Value[] = [];

  /** Adds `key`; false when an equal key is present. */
  insert(key: Value, pos: number): boolean {
    const kind = typeof key === "number" || typeof key === "bigint" ? "int" : typeof key === "string" || key instanceof NixString ? "string" : null;
    if (this.mode === "empty" && kind !== null) this.mode = kind;
    if (this.mode === kind) {
      const k = typeof key === "number" || typeof key === "bigint" ? key : stringBytes(key as string | NixString);
      if (this.fast.has(k)) return false;
      this.fast.add(k);
      return true;
    }
    if (this.mode !== "sorted" && this.mode !== "empty") {
      // Leave the fast path: the existing keys, all of one kind, in their natural order.
      const keys = [...this.fast];
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
  const start = forceList(startSet.value, 0, "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure");
  if (start.length === 0) return start;
  const work: Lazy[] = start.slice();
  const op = requireAttr(args, "operator", inArg);
  const operator = forceFunction(op.value, 0, "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure");
  const done = new KeySet();
  const result: Lazy[] = [];
  for (let i = 0; i < work.length; i++) {
    const e = work[i]!;
    let key: Value;
    try {
      const attrs = forceAttrs(e, 0);
      const k = attrs.getAttr("key");
      if (k === undefined) throw new NixTypeError("attribute 'key' missing");
      key = k.value as Value;
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
            lessThan(key, force((force(r) as NixAttrs).getAttr("key")!.value), 0);
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
      for (const next of forceList(call(operator, [e], 0), 0, "while evaluating the return value of the `operator` passed to builtins.genericClosure")) {
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
  const m = new Map<string, Attr>();
  for (const formal of formals.entries) m.set(formal.name, new Attr(formal.default !== null, formal.pos));
  return new NixAttrs(m);
});
