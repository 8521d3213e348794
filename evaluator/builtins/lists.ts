/**
 * List builtins (CppNix 2.8 primops.cc, "Lists"). Element results stay lazy
 * where CppNix builds `mkApp` thunks (map, genList); the rest force exactly what
 * CppNix forces, in the same order, so errors and traces surface the same way.
 */
import {
  EvalError,
  NixAttrs,
  NixLambda,
  NixTypeError,
  Attr,
  PrimOp,
  definePrimOp,
  force,
  forceBool,
  forceFunction,
  forceInt,
  forceList,
  forceStringNoCtx,
  getPrimOp,
  lessThan,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { call, copied, eqLazy, lazyCall } from "./common.js";
import { stableSort } from "./stable-sort.js";

definePrimOp("__isList", 1, ([x], pos) => Array.isArray(force(x!, pos)));

definePrimOp("__length", 1, ([xs], pos) => BigInt(forceList(xs!, pos).length));

/** CppNix passes the index through a C `int`: only the low 32 bits count. */
function elemAt(list: Lazy, n: number, pos: number): Value {
  const xs = forceList(list, pos);
  if (n < 0 || n >= xs.length) throw new EvalError(`list index ${n} is out of bounds`, pos);
  return copied(force(xs[n]!, pos));
}

definePrimOp("__elemAt", 2, ([xs, n], pos) => elemAt(xs!, Number(BigInt.asIntN(32, forceInt(n!, pos))), pos));

definePrimOp("__head", 1, ([xs], pos) => elemAt(xs!, 0, pos));

definePrimOp("__tail", 1, ([xs], pos) => {
  const list = forceList(xs!, pos);
  if (list.length === 0) throw new EvalError("'tail' called on an empty list", pos);
  return list.slice(1);
});

definePrimOp("map", 2, ([f, xs], pos) => forceList(xs!, pos).map((x) => lazyCall(f!, [x], pos)));

definePrimOp("__filter", 2, ([f, xs], pos) => {
  const fn = forceFunction(f!, pos);
  const list = forceList(xs!, pos);
  const out: Lazy[] = [];
  for (const x of list) if (forceBool(call(fn, [x], 0), pos)) out.push(x);
  return out.length === list.length ? copied(list) : out;
});

definePrimOp("__elem", 2, ([x, xs], pos) => {
  for (const y of forceList(xs!, pos)) if (eqLazy(x!, y, pos)) return true;
  return false;
});

definePrimOp("__concatLists", 1, ([xss], pos) => {
  return copied(concat(forceList(xss!, pos).map((l) => forceList(l, pos))));
});

/** Concatenation without spreading (lists of lists can be long); a lone non-empty list is shared when `share`. */
function concat(lists: Lazy[][], share = true): Lazy[] {
  let total = 0;
  let last: Lazy[] | null = null;
  let nonEmpty = 0;
  for (const l of lists) {
    if (l.length === 0) continue;
    total += l.length;
    last = l;
    nonEmpty++;
  }
  if (nonEmpty === 1 && share) return last!;
  const out = new Array<Lazy>(total);
  let k = 0;
  for (const l of lists) for (let i = 0; i < l.length; i++) out[k++] = l[i]!;
  return out;
}

definePrimOp("__foldl'", 3, ([f, nul, xs], pos) => {
  const fn = forceFunction(f!, pos);
  const list = forceList(xs!, pos);
  if (list.length === 0) return copied(force(nul!, pos));
  let acc: Lazy = nul!;
  // Each step is a real call, so every intermediate accumulator is in weak head normal form.
  for (const x of list) acc = call(fn, [acc, x], pos);
  return force(acc, pos);
});

function anyOrAll(any: boolean, f: Lazy, xs: Lazy, pos: number): boolean {
  const fn = forceFunction(f, pos);
  for (const x of forceList(xs, pos)) if (forceBool(call(fn, [x], pos), pos) === any) return any;
  return !any;
}

definePrimOp("__any", 2, ([f, xs], pos) => anyOrAll(true, f!, xs!, pos));
definePrimOp("__all", 2, ([f, xs], pos) => anyOrAll(false, f!, xs!, pos));

definePrimOp("__genList", 2, ([f, n], pos) => {
  const len = forceInt(n!, pos);
  if (len < 0n) throw new EvalError(`cannot create list of size ${len}`, pos);
  if (len > 0xffffffffn) throw new EvalError(`cannot create list of size ${len}`, pos);
  const out = new Array<Lazy>(Number(len));
  for (let i = 0; i < out.length; i++) out[i] = lazyCall(f!, [BigInt(i)], pos);
  return out;
});

definePrimOp("__sort", 2, ([f, xs], pos) => {
  const fn = forceFunction(f!, pos);
  const list = forceList(xs!, pos);
  for (const x of list) force(x, pos);
  // CppNix compares directly (no call) when the comparator is `lessThan` itself.
  const isLessThan = fn instanceof PrimOp && fn === getPrimOp("__lessThan");
  const less = isLessThan
    ? (a: Lazy, b: Lazy) => lessThan(force(a), force(b), pos)
    : (a: Lazy, b: Lazy) => forceBool(call(fn, [a, b], pos), pos);
  return stableSort(list, less);
});

definePrimOp("__partition", 2, ([f, xs], pos) => {
  const fn = forceFunction(f!, pos);
  const right: Lazy[] = [];
  const wrong: Lazy[] = [];
  for (const x of forceList(xs!, pos)) {
    force(x, pos);
    (forceBool(call(fn, [x], pos), pos) ? right : wrong).push(x);
  }
  return new NixAttrs(
    new Map([
      ["right", new Attr(right, 0)],
      ["wrong", new Attr(wrong, 0)],
    ]),
  );
});

definePrimOp("__groupBy", 2, ([f, xs], pos) => {
  const fn = forceFunction(f!, pos);
  const groups = new Map<string, Lazy[]>();
  for (const x of forceList(xs!, pos)) {
    const name = forceStringNoCtx(call(fn, [x], pos), pos);
    let g = groups.get(name);
    if (g === undefined) groups.set(name, (g = []));
    g.push(x);
  }
  const m = new Map<string, Attr>();
  for (const [k, g] of groups) m.set(k, new Attr(g, 0));
  return new NixAttrs(m);
});

definePrimOp("__concatMap", 2, ([f, xs], pos) => {
  const fn = forceFunction(f!, pos);
  const lists: Lazy[][] = [];
  // The error points at the function, with a trace naming concatMap (as CppNix).
  const errPos = fn instanceof NixLambda ? fn.expr.pos : pos;
  for (const x of forceList(xs!, pos)) {
    const r = call(fn, [x], pos);
    try {
      lists.push(forceList(r, errPos));
    } catch (err) {
      if (err instanceof NixTypeError) err.addTrace(pos, "while invoking 'concatMap'");
      throw err;
    }
  }
  // concatMap always builds a new list.
  return concat(lists, false);
});
