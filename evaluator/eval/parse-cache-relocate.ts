/**
 * Shifts every position of a parsed tree by `delta` (parse-cache.ts: a stored tree
 * loaded at another base of the global position space). `NO_POS` (0) stays 0.
 * Each node is visited once: the only nodes the parser shares are the sources of
 * `inherit (src) a b;`, reached here through `inheritFrom` and not through the
 * `Select(src, [a])` values made for each name.
 */
import type { AttrName, AttrsExpr, Expr } from "../syntax/index.js";

const shift = (pos: number, delta: number): number => (pos === 0 ? 0 : pos + delta);

export function relocateExpr(e: Expr, delta: number): void {
  switch (e.kind) {
    case "int":
    case "float":
    case "string":
    case "path":
      return;
    case "var":
    case "curPos":
      (e as { pos: number }).pos = shift(e.pos, delta);
      return;
    case "select":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateExpr(e.expr, delta);
      relocatePath(e.path, delta);
      if (e.default !== null) relocateExpr(e.default, delta);
      return;
    case "hasAttr":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateExpr(e.expr, delta);
      relocatePath(e.path, delta);
      return;
    case "attrs":
      relocateAttrs(e, delta);
      return;
    case "list":
      for (const x of e.elems) relocateExpr(x, delta);
      return;
    case "lambda":
      (e as { pos: number }).pos = shift(e.pos, delta);
      if (e.formals !== null) {
        for (const f of e.formals.entries) {
          (f as { pos: number }).pos = shift(f.pos, delta);
          if (f.default !== null) relocateExpr(f.default, delta);
        }
      }
      relocateExpr(e.body, delta);
      return;
    case "call":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateExpr(e.fn, delta);
      for (const x of e.args) relocateExpr(x, delta);
      return;
    case "let":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateAttrs(e.attrs, delta);
      relocateExpr(e.body, delta);
      return;
    case "with":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateExpr(e.attrs, delta);
      relocateExpr(e.body, delta);
      return;
    case "if":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateExpr(e.cond, delta);
      relocateExpr(e.then, delta);
      relocateExpr(e.else, delta);
      return;
    case "assert":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateExpr(e.cond, delta);
      relocateExpr(e.body, delta);
      return;
    case "not":
      relocateExpr(e.expr, delta);
      return;
    case "binary":
      (e as { pos: number }).pos = shift(e.pos, delta);
      relocateExpr(e.left, delta);
      relocateExpr(e.right, delta);
      return;
    case "concatStrings": {
      (e as { pos: number }).pos = shift(e.pos, delta);
      for (const x of e.parts) relocateExpr(x, delta);
      const partPos = e.partPos;
      for (let i = 0; i < partPos.length; i++) partPos[i] = shift(partPos[i]!, delta);
      return;
    }
  }
}

function relocatePath(path: AttrName[], delta: number): void {
  for (const name of path) if (typeof name !== "string") relocateExpr(name, delta);
}

function relocateAttrs(e: AttrsExpr, delta: number): void {
  (e as { pos: number }).pos = shift(e.pos, delta);
  for (const src of e.inheritFrom) relocateExpr(src, delta);
  for (const def of e.defs.values()) {
    (def as { pos: number }).pos = shift(def.pos, delta);
    if (def.kind !== "inheritFrom") relocateExpr(def.value, delta);
    else if (def.value.kind === "select") (def.value as { pos: number }).pos = shift(def.value.pos, delta);
    else relocateExpr(def.value, delta);
  }
  for (const d of e.dynamic) {
    (d as { pos: number }).pos = shift(d.pos, delta);
    relocateExpr(d.name, delta);
    relocateExpr(d.value, delta);
  }
}
