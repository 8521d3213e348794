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
import { lazyCall } from "./common.js";

/** CppNix's getAttr helper for builtins that require an attribute. */
export function requireAttr(attrs: NixAttrs, name: string, funcName: string, pos: number): Attr {
  const a = attrs.map.get(name);
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

definePrimOp("__attrNames", 1, ([s], pos) => forceAttrs(s!, pos).keys().slice());

definePrimOp("__attrValues", 1, ([s], pos) => {
  const attrs = forceAttrs(s!, pos);
  return attrs.keys().map((k) => attrs.map.get(k)!.value);
});

definePrimOp("__getAttr", 2, ([name, s], pos) => {
  const n = forceStringNoCtx(name!, pos);
  const a = requireAttr(forceAttrs(s!, pos), n, "getAttr", pos);
  return force(a.value, pos);
});

definePrimOp("__unsafeGetAttrPos", 2, ([name, s], pos) => {
  const n = forceStringNoCtx(name!, pos);
  const a = forceAttrs(s!, pos).map.get(n);
  return a === undefined ? null : posValue(a.pos);
});

definePrimOp("__hasAttr", 2, ([name, s], pos) => {
  const n = forceStringNoCtx(name!, pos);
  return forceAttrs(s!, pos).map.has(n);
});

definePrimOp("removeAttrs", 2, ([s, names], pos) => {
  const attrs = forceAttrs(s!, pos);
  const list = forceList(names!, pos);
  const drop = new Set<string>();
  for (const n of list) drop.add(forceStringNoCtx(n, pos));
  let any = false;
  for (const n of drop) if (attrs.map.has(n)) any = true;
  if (!any) return attrs;
  const m = new Map<string, Attr>();
  for (const [k, a] of attrs.map) if (!drop.has(k)) m.set(k, a);
  return new NixAttrs(m, attrs.pos);
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
  const m = new Map<string, Attr>();
  for (const k of x.map.keys()) {
    const at = y.map.get(k);
    if (at !== undefined) m.set(k, at);
  }
  return new NixAttrs(m);
});

definePrimOp("__catAttrs", 2, ([name, xs], pos) => {
  const n = forceStringNoCtx(name!, pos);
  const out: Lazy[] = [];
  for (const item of forceList(xs!, pos)) {
    const a = forceAttrs(item, pos).map.get(n);
    if (a !== undefined) out.push(a.value);
  }
  return out;
});

definePrimOp("__mapAttrs", 2, ([f, s], pos) => {
  const attrs = forceAttrs(s!, pos);
  const m = new Map<string, Attr>();
  for (const [k, a] of attrs.map) m.set(k, new Attr(lazyCall(f!, [k, a.value], pos), 0));
  return new NixAttrs(m);
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
    for (const k of attrs.keys()) {
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = []));
      g.push(attrs.map.get(k)!.value);
    }
  }
  const m = new Map<string, Attr>();
  for (const [k, g] of groups) m.set(k, new Attr(lazyCall(f!, [k, g], pos), 0));
  return new NixAttrs(m);
});
