/**
 * List builtins (CppNix 2.8 primops.cc, "Lists"). Element results stay lazy
 * where CppNix builds `mkApp` thunks (map, genList); the rest force exactly what
 * CppNix forces, in the same order, so errors and traces surface the same way.
 */
import {
  EvalError,
  NixAttrs,
  PrimOp,
  Thunk,
  definePrimOp,
  force,
  forceBool,
  forceFunction,
  forceInt,
  forceList,
  forceStringNoCtx,
  forceListLazily,
  getPrimOp,
  lazyApplyCode,
  LazyList,
  lessThan,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { call1, call2, copied, cutTo, eqLazy, valuePos } from "./common.js";
import { stableSort } from "./stable-sort.js";

definePrimOp("__isList", 1, ([x], pos) => Array.isArray(force(x!, pos)));

definePrimOp("__length", 1, ([xs]) => forceListLazily(xs!, 0, "while evaluating the first argument passed to builtins.length").length);

/** Element `i` of a list from forceListLazily. */
function elemOf(list: Lazy[] | LazyList, i: number): Lazy {
  return list instanceof LazyList ? list.elem(i) : list[i]!;
}

/** CppNix passes the index through a C `int`: only the low 32 bits count. */
definePrimOp("__elemAt", 2, ([xs, n]) => {
  const i = forceInt(n!, 0, "while evaluating the second argument passed to 'builtins.elemAt'");
  const list = forceListLazily(xs!, 0, "while evaluating the first argument passed to 'builtins.elemAt'");
  if (i < 0 || i >= list.length) throw new EvalError(`'builtins.elemAt' called with index ${i} on a list of size ${list.length}`);
  return copied(force(elemOf(list, Number(i))));
});

definePrimOp("__head", 1, ([xs]) => {
  const list = forceListLazily(xs!, 0, "while evaluating the first argument passed to 'builtins.head'");
  if (list.length === 0) throw new EvalError("'builtins.head' called on an empty list");
  return copied(force(elemOf(list, 0)));
});

definePrimOp("__tail", 1, ([xs]) => {
  const list = forceList(xs!, 0, "while evaluating the first argument passed to 'builtins.tail'");
  if (list.length === 0) throw new EvalError("'builtins.tail' called on an empty list");
  return list.slice(1);
});

/** A LazyList as an array (the eager form of a list builtin). */
function finished(v: Value | LazyList): Value {
  return v instanceof LazyList ? v.finish() : v;
}

/** `map f xs`: element `i` is the lazy application `f xs[i]`. */
function mapLazily(f: Lazy, xs: Lazy): Value | LazyList {
  const list = forceListLazily(xs, 0, "while evaluating the second argument passed to builtins.map");
  if (list.length === 0) return list as Lazy[]; // never an empty LazyList
  forceFunction(f, 0, "while evaluating the first argument passed to builtins.map");
  const code = lazyApplyCode(f);
  if (list instanceof LazyList) return new LazyList(list.length, (i) => new Thunk(code, list.elem(i)), list);
  return new LazyList(list.length, (i) => new Thunk(code, list[i]!), null);
}

const mapOp = definePrimOp("map", 2, ([f, xs]) => finished(mapLazily(f!, xs!)));
mapOp.lazyImpl = ([f, xs]) => mapLazily(f!, xs!);

definePrimOp("__filter", 2, ([f, xs]) => {
  const list = forceListLazily(xs!, 0, "while evaluating the second argument passed to builtins.filter");
  if (list.length === 0) return list as Lazy[]; // never an empty LazyList
  const fn = forceFunction(f!, 0, "while evaluating the first argument passed to builtins.filter");
  const ctx = "while evaluating the return value of the filtering function passed to builtins.filter";
  // Sized for all elements and cut at the end (see cutTo).
  const out = new Array<Lazy>(list.length);
  let w = 0;
  if (list instanceof LazyList) {
    for (let i = 0; i < list.length; i++) {
      const keep = forceBool(call1(fn, list.elem(i), 0), 0, ctx);
      list.settle(i);
      if (keep) out[w++] = list.out[i]!;
    }
    return w === list.length ? copied(list.finish()) : cutTo(out, w);
  }
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!;
    if (forceBool(call1(fn, x, 0), 0, ctx)) out[w++] = x;
  }
  return w === list.length ? copied(list) : cutTo(out, w);
});

definePrimOp("__elem", 2, ([x, xs]) => {
  const list = forceList(xs!, 0, "while evaluating the second argument passed to builtins.elem");
  const n = list.length;
  if (n === 0) return false;
  // `lib.unique` calls elem once per element on a growing list: compare an int or
  // plain string needle with `===` against elements of its own type, forced in
  // order as eqValues would; anything else takes the general equality.
  // A forced int or plain string element is unwrapped in its slot (invisible: such
  // values have no identity), so the next scan of this list, or of `acc ++ [e]`
  // built from it, compares without going through the thunk.
  const needle = force(x!, 0);
  const kind = typeof needle;
  if (kind === "number" || kind === "string") {
    for (let i = 0; i < n; i++) {
      let y = list[i]!;
      if (y instanceof Thunk) {
        const v = y.value !== undefined ? y.value : force(y, 0);
        if (typeof v !== kind) {
          if (eqLazy(x!, y, 0)) return true;
          continue;
        }
        list[i] = y = v as number | string; // typeof v === kind
      }
      if (typeof y === kind ? y === needle : eqLazy(x!, y, 0)) return true;
    }
    return false;
  }
  for (let i = 0; i < n; i++) if (eqLazy(x!, list[i]!, 0)) return true;
  return false;
});

definePrimOp("__concatLists", 1, ([xss]) => {
  const ctx = "while evaluating a value of the list passed to builtins.concatLists";
  return copied(concat(forceList(xss!, 0, "while evaluating the first argument passed to builtins.concatLists").map((l) => forceList(l, 0, ctx))));
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

definePrimOp("__foldl'", 3, ([f, nul, xs]) => {
  const fn = forceFunction(f!, 0, "while evaluating the first argument passed to builtins.foldlStrict");
  const lazyList = forceListLazily(xs!, 0, "while evaluating the third argument passed to builtins.foldlStrict");
  if (lazyList.length === 0) return copied(force(nul!));
  let acc: Lazy = nul!;
  if (lazyList instanceof LazyList) {
    // Each element made just before its step and settled after it (see LazyList).
    for (let i = 0; i < lazyList.length; i++) {
      acc = call2(fn, acc, lazyList.elem(i), 0);
      lazyList.settle(i);
    }
    return force(acc);
  }
  const list = lazyList;
  // Each step is a real call, so every intermediate accumulator is in weak head normal form.
  for (const x of list) acc = call2(fn, acc, x, 0);
  return force(acc);
});

// The error contexts as constants: any/all run often (lib.systems.inspect), and
// building these strings per call cost more than the calls' own bookkeeping.
const ANY_ALL_CTX = {
  any: ["while evaluating the first argument passed to builtins.any", "while evaluating the second argument passed to builtins.any", "while evaluating the return value of the function passed to builtins.any"],
  all: ["while evaluating the first argument passed to builtins.all", "while evaluating the second argument passed to builtins.all", "while evaluating the return value of the function passed to builtins.all"],
} as const;

function anyOrAll(any: boolean, f: Lazy, xs: Lazy): boolean {
  const ctx = any ? ANY_ALL_CTX.any : ANY_ALL_CTX.all;
  const fn = forceFunction(f, 0, ctx[0]);
  const list = forceListLazily(xs, 0, ctx[1]);
  if (list instanceof LazyList) {
    for (let i = 0; i < list.length; i++) {
      const r = forceBool(call1(fn, list.elem(i), 0), 0, ctx[2]);
      list.settle(i);
      if (r === any) return any;
    }
    return !any;
  }
  for (let i = 0; i < list.length; i++) if (forceBool(call1(fn, list[i]!, 0), 0, ctx[2]) === any) return any;
  return !any;
}

definePrimOp("__any", 2, ([f, xs]) => anyOrAll(true, f!, xs!));
definePrimOp("__all", 2, ([f, xs]) => anyOrAll(false, f!, xs!));

/** `genList f n`: element `i` is the lazy application `f i`. */
function genListLazily(f: Lazy, n: Lazy): Value | LazyList {
  const len = forceInt(n, 0, "while evaluating the second argument passed to builtins.genList");
  if (len < 0) throw new EvalError(`cannot create list of size ${len}`);
  if (len > 0xffffffff) throw new EvalError(`cannot create list of size ${len}`);
  forceFunction(f, 0, "while evaluating the first argument passed to builtins.genList");
  if (len === 0) return [];
  const code = lazyApplyCode(f);
  return new LazyList(Number(len), (i) => new Thunk(code, i), null);
}

const genListOp = definePrimOp("__genList", 2, ([f, n]) => finished(genListLazily(f!, n!)));
genListOp.lazyImpl = ([f, n]) => genListLazily(f!, n!);

definePrimOp("__sort", 2, ([f, xs]) => {
  const list = forceList(xs!, 0, "while evaluating the second argument passed to builtins.sort");
  if (list.length === 0) return list;
  const fn = forceFunction(f!, 0, "while evaluating the first argument passed to builtins.sort");
  for (const x of list) force(x);
  // CppNix compares directly (no call) when the comparator is `lessThan` itself.
  const isLessThan = fn instanceof PrimOp && fn === getPrimOp("__lessThan");
  const ctx = "while evaluating the return value of the sorting function passed to builtins.sort";
  const less = isLessThan
    ? (a: Lazy, b: Lazy) => lessThan(force(a), force(b), 0)
    : (a: Lazy, b: Lazy) => forceBool(call2(fn, a, b, 0), 0, ctx);
  return stableSort(list, less);
});

definePrimOp("__partition", 2, ([f, xs]) => {
  const fn = forceFunction(f!, 0, "while evaluating the first argument passed to builtins.partition");
  const right: Lazy[] = [];
  const wrong: Lazy[] = [];
  const ctx = "while evaluating the return value of the partition function passed to builtins.partition";
  for (const x of forceList(xs!, 0, "while evaluating the second argument passed to builtins.partition")) {
    force(x);
    (forceBool(call1(fn, x, 0), 0, ctx) ? right : wrong).push(x);
  }
  return NixAttrs.fromMap(
    new Map<string, Lazy>([
      ["right", right],
      ["wrong", wrong],
    ]),
  );
});

definePrimOp("__groupBy", 2, ([f, xs]) => {
  const fn = forceFunction(f!, 0, "while evaluating the first argument passed to builtins.groupBy");
  const groups = new Map<string, Lazy[]>();
  const ctx = "while evaluating the return value of the grouping function passed to builtins.groupBy";
  for (const x of forceList(xs!, 0, "while evaluating the second argument passed to builtins.groupBy")) {
    const name = forceStringNoCtx(call1(fn, x, 0), 0, ctx);
    let g = groups.get(name);
    if (g === undefined) groups.set(name, (g = []));
    g.push(x);
  }
  const m = new Map<string, Lazy>();
  for (const [k, g] of groups) m.set(k, g);
  return NixAttrs.fromMap(m);
});

definePrimOp("__concatMap", 2, ([f, xs]) => {
  const fn = forceFunction(f!, 0, "while evaluating the first argument passed to builtins.concatMap");
  const lists: Lazy[][] = [];
  const ctx = "while evaluating the return value of the function passed to builtins.concatMap";
  for (const x of forceList(xs!, 0, "while evaluating the second argument passed to builtins.concatMap")) {
    const r = call1(fn, x, 0);
    // The frame points at the value when it has a position, else at the function (CppNix's determinePos).
    lists.push(Array.isArray(r) ? r : forceList(r, valuePos(r) || valuePos(fn), ctx));
  }
  // concatMap always builds a new list.
  return concat(lists, false);
});
