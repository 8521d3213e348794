/**
 * Small helpers shared by the builtin families: building strings with context,
 * lazy function application, and identity-aware equality.
 */
import {
  EMPTY_CONTEXT,
  NixAttrs,
  NixLambda,
  NixString,
  Thunk,
  callFunction,
  callLambda,
  callLambda2,
  eqValues,
  force,
  lazyApply,
  mergeContext,
  type Lazy,
  type Value,
} from "../eval/index.js";

/** Accumulates a context while a builtin assembles a string. */
export class ContextBuilder {
  context: readonly string[] = EMPTY_CONTEXT;

  /** Adds the context of `v` and returns its bytes. */
  take(v: string | NixString): string {
    if (typeof v === "string") return v;
    this.context = mergeContext(this.context, v.context);
    return v.s;
  }

  /** A string value with the accumulated context. */
  make(s: string): string | NixString {
    return this.context.length === 0 ? s : new NixString(s, this.context);
  }
}

/**
 * `s` with the context of the string value `from` (already sorted and
 * duplicate-free): no normalising pass, which for the usual empty context cost
 * a copy and a sort per call (substring, baseNameOf, dirOf).
 */
export function withContextOf(s: string, from: string | NixString): string | NixString {
  return typeof from === "string" || from.context.length === 0 ? s : new NixString(s, from.context);
}

/** `f a b …` applied lazily (CppNix's `mkApp`): evaluated when forced. */
export function lazyCall(fn: Lazy, args: Lazy[], pos: number): Thunk {
  return lazyApply(fn, args, pos);
}

/** `f a b …` applied now. */
export function call(fn: Lazy, args: Lazy[], pos: number): Value {
  const f = force(fn, pos);
  // Curried lambdas (`foldl'`'s `acc: x: …`, `filter`'s predicate) without the generic loop.
  if (f instanceof NixLambda) {
    if (args.length === 1) return callLambda(f, args[0]!, pos);
    if (args.length === 2) {
      const g = callLambda(f, args[0]!, pos);
      return g instanceof NixLambda ? callLambda(g, args[1]!, pos) : callFunction(g, [args[1]!], pos);
    }
  }
  return callFunction(f, args, pos);
}

/** `f a` applied now, without an argument array for a lambda (filter, partition, any/all, concatMap, groupBy). */
export function call1(fn: Lazy, arg: Lazy, pos: number): Value {
  const f = force(fn, pos);
  return f instanceof NixLambda ? callLambda(f, arg, pos) : callFunction(f, [arg], pos);
}

/** `f a b` applied now, without an argument array for curried lambdas (foldl', sort comparators). */
export function call2(fn: Lazy, a: Lazy, b: Lazy, pos: number): Value {
  const f = force(fn, pos);
  if (f instanceof NixLambda) return callLambda2(f, a, b, pos);
  return callFunction(f, [a, b], pos);
}

/**
 * CppNix's eqValues on two slots: the same slot is equal to itself before any
 * comparison (its "pointer equality" hack, visible with functions).
 */
export function eqLazy(a: Lazy, b: Lazy, pos = 0): boolean {
  const x = force(a, pos);
  const y = force(b, pos);
  // Ints and plain strings (`elem`, `unique`): compared without the general dispatch.
  if ((typeof x === "number" || typeof x === "string") && typeof y === typeof x) return x === y;
  if (a === b && typeof a === "object" && a !== null) return true;
  return eqValues(x, y);
}

/**
 * A builtin returning one of its arguments: CppNix copies the Value, and lists of
 * one or two elements live inside the Value, so the copy is a distinct list
 * (visible as the absence of `«repeated»` when printed). Longer lists share.
 */
export function copied(v: Value): Value {
  return Array.isArray(v) && v.length > 0 && v.length <= 2 ? v.slice() : v;
}

/** The position a value carries (a lambda's, a set's), 0 for none: CppNix's Value::determinePos. */
export function valuePos(v: Lazy): number {
  const x = v instanceof Thunk ? v.value : v;
  if (x instanceof NixLambda) return x.expr.pos;
  if (x instanceof NixAttrs) return x.pos;
  return 0;
}

/**
 * `out` cut to its first `w` elements. Results are built in arrays of their largest
 * possible size and cut (V8 trims in place): growing them by push allocated backing
 * stores with 16+ spare slots, and results often survive, so the GC copied the slack.
 */
export function cutTo<T>(out: T[], w: number): T[] {
  if (w !== out.length) out.length = w;
  return out;
}
