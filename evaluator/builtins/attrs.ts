/**
 * Attribute-set builtins (CppNix 2.8 primops.cc, "Sets"). Values stay lazy; only
 * the names CppNix needs are forced.
 */
import { resolvePos, sourceOf } from "../syntax/index.js";
import {
  Attr,
  NixAttrs,
  NixTypeError,
  definePrimOp,
  force,
  forceAttrs,
  forceFunction,
  forceList,
  forceStringNoCtx,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { copied, lazyCall } from "./common.js";

/** CppNix's getAttr helper for builtins that require an attribute. */
export function requireAttr(attrs: NixAttrs, name: string, funcName: string, pos: number): Attr {
  const a = attrs.getAttr(name);
  if (a === undefined) {
    const err = new NixTypeError(`attribute '${name}' missing for call to '${funcName}'`, attrs.pos !== 0 ? attrs.pos : pos);
    if (attrs.pos !== 0) err.addTrace(pos, `while invoking '${funcName}'`);
    throw err;
  }
  return a;
}

/**
 * `{ file; line; column; }` for a position, null when there is none (CppNix's
 * mkPos). CppNix 2.8 names an `-E` or stdin source by its whole text.
 */
export function posValue(pos: number): Value {
  const p = pos === 0 ? undefined : resolvePos(pos);
  if (p === undefined) return null;
  const source = sourceOf(pos)!;
  const file = source.origin === "file" ? p.file : source.text;
  return NixAttrs.of({ column: BigInt(p.column), file, line: BigInt(p.line) });
}

definePrimOp("__isAttrs", 1, ([x], pos) => force(x!, pos) instanceof NixAttrs);

definePrimOp("__attrNames", 1, ([s], pos) => forceAttrs(s!, pos).names.slice());

definePrimOp("__attrValues", 1, ([s], pos) => {
  return forceAttrs(s!, pos).attrs.map((a) => a.value);
});

definePrimOp("__getAttr", 2, ([name, s], pos) => {
  const n = forceStringNoCtx(name!, pos);
  const a = requireAttr(forceAttrs(s!, pos), n, "getAttr", pos);
  return copied(force(a.value, pos));
});

definePrimOp("__unsafeGetAttrPos", 2, ([name, s], pos) => {
  const n = forceStringNoCtx(name!, pos);
  const a = forceAttrs(s!, pos).getAttr(n);
  return a === undefined ? null : posValue(a.pos);
});

definePrimOp("__hasAttr", 2, ([name, s], pos) => {
  const n = forceStringNoCtx(name!, pos);
  return forceAttrs(s!, pos).has(n);
});

definePrimOp("removeAttrs", 2, ([s, names], pos) => {
  const attrs = forceAttrs(s!, pos);
  const list = forceList(names!, pos);
  const drop = new Set<string>();
  for (const n of list) drop.add(forceStringNoCtx(n, pos));
  const keptNames: string[] = [];
  const kept: Attr[] = [];
  for (let i = 0; i < attrs.names.length; i++) {
    const k = attrs.names[i]!;
    if (drop.has(k)) continue;
    keptNames.push(k);
    kept.push(attrs.attrs[i]!);
  }
  return NixAttrs.fromSorted(keptNames, kept);
});

definePrimOp("__listToAttrs", 1, ([xs], pos) => {
  const m = new Map<string, Attr>();
  for (const item of forceList(xs!, pos)) {
    const entry = forceAttrs(item, pos);
    const nameAttr = requireAttr(entry, "name", "listToAttrs", pos);
    const name = forceStringNoCtx(nameAttr.value, nameAttr.pos !== 0 ? nameAttr.pos : pos);
    if (m.has(name)) continue; // the first occurrence wins
    const valueAttr = requireAttr(entry, "value", "listToAttrs", pos);
    m.set(name, valueAttr);
  }
  return new NixAttrs(m);
});

definePrimOp("__intersectAttrs", 2, ([a, b], pos) => {
  const x = forceAttrs(a!, pos);
  const y = forceAttrs(b!, pos);
  // Both name lists are sorted: a merge join keeps the result sorted.
  const names: string[] = [];
  const attrs: Attr[] = [];
  let i = 0;
  let j = 0;
  while (i < x.names.length && j < y.names.length) {
    const p = x.names[i]!;
    const q = y.names[j]!;
    if (p === q) {
      names.push(q);
      attrs.push(y.attrs[j]!);
      i++;
      j++;
    } else if (p < q) i++;
    else j++;
  }
  return NixAttrs.fromSorted(names, attrs);
});

definePrimOp("__catAttrs", 2, ([name, xs], pos) => {
  const n = forceStringNoCtx(name!, pos);
  const out: Lazy[] = [];
  for (const item of forceList(xs!, pos)) {
    const a = forceAttrs(item, pos).getAttr(n);
    if (a !== undefined) out.push(a.value);
  }
  return out;
});

definePrimOp("__mapAttrs", 2, ([f, s], pos) => {
  const attrs = forceAttrs(s!, pos);
  const mapped = attrs.attrs.map((a, i) => new Attr(lazyCall(f!, [attrs.names[i]!, a.value], pos), 0));
  return NixAttrs.fromSorted(attrs.names, mapped);
});

definePrimOp("__zipAttrsWith", 2, ([f, xs], pos) => {
  forceFunction(f!, pos);
  const list = forceList(xs!, pos);
  const groups = new Map<string, Lazy[]>();
  const sets = list.map((item) => {
    try {
      return forceAttrs(item, 0);
    } catch (err) {
      if (err instanceof NixTypeError) err.addTrace(pos, "while invoking 'zipAttrsWith'");
      throw err;
    }
  });
  for (const attrs of sets) {
    for (let i = 0; i < attrs.names.length; i++) {
      const k = attrs.names[i]!;
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = []));
      g.push(attrs.attrs[i]!.value);
    }
  }
  const m = new Map<string, Attr>();
  for (const [k, g] of groups) m.set(k, new Attr(lazyCall(f!, [k, g], pos), 0));
  return new NixAttrs(m);
});
