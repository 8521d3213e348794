/**
 * Attribute-set builtins (CppNix 2.8 primops.cc, "Sets"). Values stay lazy; only
 * the names CppNix needs are forced.
 */
import { resolvePos, sourceOf } from "../syntax/index.js";
import {
  NixAttrs,
  sameArray,
  NixTypeError,
  printIdentifier,
  definePrimOp,
  force,
  forceAttrs,
  forceFunction,
  forceList,
  forceStringNoCtx,
  lazyApply2,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { copied, cutTo } from "./common.js";

/**
 * CppNix's getAttr helper for builtins that require an attribute: its index in
 * `attrs`, else `attribute 'x' missing` with the frame `ctx`.
 */
export function requireAttr(attrs: NixAttrs, name: string, ctx: string): number {
  const i = attrs.find(name);
  if (i < 0) throw new NixTypeError(`attribute '${printIdentifier(name)}' missing`).addTrace(0, ctx);
  return i;
}

/** One names array for every position set (sorted), so `pos.file` sites hit their lookup cache. */
const POS_NAMES: readonly string[] = ["column", "file", "line"];

/**
 * `{ file; line; column; }` for a position, null when there is none (CppNix's
 * mkPos). CppNix 2.8 names an `-E` or stdin source by its whole text.
 */
export function posValue(pos: number): Value {
  const p = pos === 0 ? undefined : resolvePos(pos);
  if (p === undefined) return null;
  const source = sourceOf(pos)!;
  const file = source.origin === "file" ? p.file : source.text;
  return NixAttrs.fromSorted(POS_NAMES, [p.column, file, p.line]);
}

definePrimOp("__isAttrs", 1, ([x], pos) => force(x!, pos) instanceof NixAttrs);


definePrimOp("__attrNames", 1, ([s]) => forceAttrs(s!, 0, "while evaluating the argument passed to builtins.attrNames").names.slice());

definePrimOp("__attrValues", 1, ([s]) => {
  return forceAttrs(s!, 0, "while evaluating the argument passed to builtins.attrValues").values.slice();
});

definePrimOp("__getAttr", 2, ([name, s]) => {
  const n = forceStringNoCtx(name!, 0, "while evaluating the first argument passed to builtins.getAttr");
  const attrs = forceAttrs(s!, 0, "while evaluating the second argument passed to builtins.getAttr");
  return copied(force(attrs.values[requireAttr(attrs, n, "in the attribute set under consideration")]!));
});

definePrimOp("__unsafeGetAttrPos", 2, ([name, s]) => {
  const n = forceStringNoCtx(name!, 0, "while evaluating the first argument passed to builtins.unsafeGetAttrPos");
  const attrs = forceAttrs(s!, 0, "while evaluating the second argument passed to builtins.unsafeGetAttrPos");
  const i = attrs.find(n);
  return i < 0 ? null : posValue(attrs.positions[i]!);
});

definePrimOp("__hasAttr", 2, ([name, s]) => {
  const n = forceStringNoCtx(name!, 0, "while evaluating the first argument passed to builtins.hasAttr");
  return forceAttrs(s!, 0, "while evaluating the second argument passed to builtins.hasAttr").has(n);
});

definePrimOp("removeAttrs", 2, ([s, names]) => {
  const attrs = forceAttrs(s!, 0, "while evaluating the first argument passed to builtins.removeAttrs");
  const list = forceList(names!, 0, "while evaluating the second argument passed to builtins.removeAttrs");
  const drop = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) drop[i] = forceStringNoCtx(list[i]!, 0, "while evaluating the values of the second argument passed to builtins.removeAttrs");
  const last = lastRemove;
  if (last !== null && sameArray(attrs.names, last.names) && sameArray(drop, last.drop)) {
    // The same names as last time (`removeAttrs attrs [ "meta" ]` for every package): the kept names and positions are shared.
    const keep = last.keep;
    const kept = new Array<Lazy>(keep.length);
    for (let j = 0; j < keep.length; j++) kept[j] = attrs.values[keep[j]!]!;
    if (!sameArray(attrs.positions, last.positions)) {
      last.positions = attrs.positions;
      last.keptPositions = keep.map((i) => attrs.positions[i]!);
    }
    return NixAttrs.fromSorted(last.keptNames, kept, last.keptPositions);
  }
  // Usually a few names: a scan each (a Set only for long lists).
  const dropSet = drop.length > 8 ? new Set(drop) : null;
  const n = attrs.names.length;
  const keptNames = new Array<string>(n);
  const kept = new Array<Lazy>(n);
  const keptPositions = new Array<number>(n);
  const keep = new Array<number>(n);
  let w = 0;
  for (let i = 0; i < n; i++) {
    const k = attrs.names[i]!;
    if (dropSet !== null ? dropSet.has(k) : drop.includes(k)) continue;
    keptNames[w] = k;
    kept[w] = attrs.values[i]!;
    keep[w] = i;
    keptPositions[w++] = attrs.positions[i]!;
  }
  // Nothing removed: a new set (its identity shows in printing, `«repeated»`) sharing the immutable arrays.
  if (w === n) return NixAttrs.fromSorted(attrs.names, attrs.values, attrs.positions);
  const result = NixAttrs.fromSorted(cutTo(keptNames, w), cutTo(kept, w), cutTo(keptPositions, w));
  if (w <= 64) lastRemove = { names: attrs.names, drop, keep: cutTo(keep, w), keptNames: result.names, positions: attrs.positions, keptPositions: result.positions };
  return result;
});

/** The last removeAttrs that removed something, for the next one with the same names (see there). */
let lastRemove: {
  names: readonly string[];
  drop: readonly string[];
  keep: readonly number[];
  keptNames: readonly string[];
  positions: readonly number[];
  keptPositions: readonly number[];
} | null = null;

definePrimOp("__listToAttrs", 1, ([xs]) => {
  // All names first, then the `value` of each first occurrence in name order
  // (current CppNix's order of errors).
  const list = forceList(xs!, 0, "while evaluating the argument passed to builtins.listToAttrs");
  const pair = "in a {name=...; value=...;} pair";
  const names: string[] = [];
  const entries: NixAttrs[] = [];
  // Duplicates are found by a scan in short lists, by a Set in long ones.
  const seen = list.length > 8 ? new Set<string>() : null;
  for (let i = 0; i < list.length; i++) {
    const entry = forceAttrs(list[i]!, 0, "while evaluating an element of the list passed to builtins.listToAttrs");
    const nameAt = requireAttr(entry, "name", pair);
    const name = forceStringNoCtx(entry.values[nameAt]!, entry.positions[nameAt]!, "while evaluating the `name` attribute of an element of the list passed to builtins.listToAttrs");
    // The first occurrence wins.
    if (seen !== null) {
      if (seen.has(name)) continue;
      seen.add(name);
    } else if (names.includes(name)) continue;
    names.push(name);
    entries.push(entry);
  }
  const order = sortedOrder(names);
  const n = names.length;
  const sortedNames = new Array<string>(n);
  const values = new Array<Lazy>(n);
  const positions = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const i = order === null ? k : order[k]!;
    sortedNames[k] = names[i]!;
    const entry = entries[i]!;
    const at = requireAttr(entry, "value", pair);
    values[k] = entry.values[at]!;
    positions[k] = entry.positions[at]!;
  }
  return NixAttrs.fromSorted(sortedNames, values, positions);
});

/** The indices of distinct `names` in byte order, null when they are in order already (genAttrs over sorted names). */
function sortedOrder(names: readonly string[]): Int32Array | null {
  let sorted = true;
  for (let i = 1; i < names.length && sorted; i++) if (names[i - 1]! > names[i]!) sorted = false;
  if (sorted) return null;
  const order = new Int32Array(names.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  // Names are distinct, so any sort gives the one order; strings are bytes, so `<` is byte order.
  return order.sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
}

definePrimOp("__intersectAttrs", 2, ([a, b]) => {
  const x = forceAttrs(a!, 0, "while evaluating the first argument passed to builtins.intersectAttrs");
  const y = forceAttrs(b!, 0, "while evaluating the second argument passed to builtins.intersectAttrs");
  // Both name lists are sorted: a merge join keeps the result sorted.
  const cap = Math.min(x.names.length, y.names.length);
  const names = new Array<string>(cap);
  const values = new Array<Lazy>(cap);
  const positions = new Array<number>(cap);
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < x.names.length && j < y.names.length) {
    const p = x.names[i]!;
    const q = y.names[j]!;
    if (p === q) {
      names[w] = q;
      values[w] = y.values[j]!;
      positions[w++] = y.positions[j]!;
      i++;
      j++;
    } else if (p < q) i++;
    else j++;
  }
  return NixAttrs.fromSorted(cutTo(names, w), cutTo(values, w), cutTo(positions, w));
});

definePrimOp("__catAttrs", 2, ([name, xs]) => {
  const n = forceStringNoCtx(name!, 0, "while evaluating the first argument passed to builtins.catAttrs");
  const list = forceList(xs!, 0, "while evaluating the second argument passed to builtins.catAttrs");
  const out = new Array<Lazy>(list.length);
  let w = 0;
  for (let i = 0; i < list.length; i++) {
    const a = forceAttrs(list[i]!, 0, "while evaluating an element in the list passed as second argument to builtins.catAttrs").get(n);
    if (a !== undefined) out[w++] = a;
  }
  return cutTo(out, w);
});

definePrimOp("__mapAttrs", 2, ([f, s]) => {
  const attrs = forceAttrs(s!, 0, "while evaluating the second argument passed to builtins.mapAttrs");
  const names = attrs.names;
  const values = attrs.values;
  const mapped = new Array<Lazy>(names.length);
  for (let i = 0; i < names.length; i++) mapped[i] = lazyApply2(f!, names[i]!, values[i]!);
  return NixAttrs.fromSorted(names, mapped);
});

definePrimOp("__zipAttrsWith", 2, ([f, xs]) => {
  forceFunction(f!, 0, "while evaluating the first argument passed to builtins.zipAttrsWith");
  const list = forceList(xs!, 0, "while evaluating the second argument passed to builtins.zipAttrsWith");
  const groups = new Map<string, Lazy[]>();
  for (let s = 0; s < list.length; s++) {
    const attrs = forceAttrs(list[s]!, 0, "while evaluating a value of the list passed as second argument to builtins.zipAttrsWith");
    for (let i = 0; i < attrs.names.length; i++) {
      const k = attrs.names[i]!;
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = []));
      g.push(attrs.values[i]!);
    }
  }
  // Names are strings of bytes: the default sort is byte order.
  const names = [...groups.keys()].sort();
  const values = new Array<Lazy>(names.length);
  for (let i = 0; i < names.length; i++) values[i] = lazyApply2(f!, names[i]!, groups.get(names[i]!)!);
  return NixAttrs.fromSorted(names, values);
});
