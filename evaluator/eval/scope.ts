/**
 * Static scope resolution (CppNix's bindVars): fills every Var node's
 * `level`/`displ`/`fromWith` and every With node's `prevWith`, and reports
 * `undefined variable 'x'` for names bound nowhere — even in code that is never
 * evaluated, as CppNix does. Slots are assigned in the order the interpreter fills
 * environments: a rec set / let in `defs` order; a lambda's `@`-name first, then its
 * formals in source order.
 */
import type { AttrName, AttrsExpr, Expr } from "../syntax/ast.js";
import { UndefinedVarError } from "./errors.js";

export class StaticScope {
  constructor(
    readonly up: StaticScope | null,
    /** Name → slot; empty for a `with` scope. */
    readonly vars: ReadonlyMap<string, number>,
    readonly isWith = false,
  ) {}
}

export function bindVars(e: Expr, scope: StaticScope): void {
  switch (e.kind) {
    case "int":
    case "float":
    case "string":
    case "path":
    case "curPos":
      return;
    case "var": {
      let withLevel = -1;
      let level = 0;
      for (let s: StaticScope | null = scope; s !== null; s = s.up, level++) {
        if (s.isWith) {
          if (withLevel === -1) withLevel = level;
          continue;
        }
        const displ = s.vars.get(e.name);
        if (displ !== undefined) {
          e.fromWith = false;
          e.level = level;
          e.displ = displ;
          return;
        }
      }
      if (withLevel === -1) throw new UndefinedVarError(`undefined variable '${e.name}'`, e.pos);
      e.fromWith = true;
      e.level = withLevel;
      e.displ = 0;
      return;
    }
    case "select":
      bindVars(e.expr, scope);
      bindPath(e.path, scope);
      if (e.default !== null) bindVars(e.default, scope);
      return;
    case "hasAttr":
      bindVars(e.expr, scope);
      bindPath(e.path, scope);
      return;
    case "attrs":
      bindAttrs(e, scope);
      return;
    case "list":
      for (const x of e.elems) bindVars(x, scope);
      return;
    case "lambda": {
      const vars = new Map<string, number>();
      let d = 0;
      if (e.arg !== "") vars.set(e.arg, d++);
      if (e.formals !== null) for (const f of e.formals.entries) vars.set(f.name, d++);
      const inner = new StaticScope(scope, vars);
      if (e.formals !== null) for (const f of e.formals.entries) if (f.default !== null) bindVars(f.default, inner);
      bindVars(e.body, inner);
      return;
    }
    case "call":
      bindVars(e.fn, scope);
      for (const a of e.args) bindVars(a, scope);
      return;
    case "let": {
      const inner = new StaticScope(scope, slotsOf(e.attrs));
      for (const def of e.attrs.defs.values()) bindVars(def.value, def.kind === "inherit" ? scope : inner);
      bindVars(e.body, inner);
      return;
    }
    case "with": {
      let prevWith = 0;
      let level = 1;
      for (let s: StaticScope | null = scope; s !== null; s = s.up, level++) {
        if (s.isWith) {
          prevWith = level;
          break;
        }
      }
      e.prevWith = prevWith;
      bindVars(e.attrs, scope);
      bindVars(e.body, new StaticScope(scope, EMPTY, true));
      return;
    }
    case "if":
      bindVars(e.cond, scope);
      bindVars(e.then, scope);
      bindVars(e.else, scope);
      return;
    case "assert":
      bindVars(e.cond, scope);
      bindVars(e.body, scope);
      return;
    case "not":
      bindVars(e.expr, scope);
      return;
    case "binary":
      bindVars(e.left, scope);
      bindVars(e.right, scope);
      return;
    case "concatStrings":
      for (const p of e.parts) bindVars(p, scope);
      return;
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();

function slotsOf(attrs: AttrsExpr): Map<string, number> {
  const vars = new Map<string, number>();
  let d = 0;
  for (const name of attrs.defs.keys()) vars.set(name, d++);
  return vars;
}

function bindAttrs(e: AttrsExpr, scope: StaticScope): void {
  if (e.rec) {
    const inner = new StaticScope(scope, slotsOf(e));
    for (const def of e.defs.values()) bindVars(def.value, def.kind === "inherit" ? scope : inner);
    for (const d of e.dynamic) {
      bindVars(d.name, inner);
      bindVars(d.value, inner);
    }
  } else {
    for (const def of e.defs.values()) bindVars(def.value, scope);
    for (const d of e.dynamic) {
      bindVars(d.name, scope);
      bindVars(d.value, scope);
    }
  }
}

function bindPath(path: AttrName[], scope: StaticScope): void {
  for (const p of path) if (typeof p !== "string") bindVars(p, scope);
}
