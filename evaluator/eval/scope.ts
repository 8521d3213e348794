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
import { defaultPreInterned } from "../syntax/show.js";

/**
 * CppNix 2.8 orders symbols by their address, i.e. by when they were interned:
 * names its EvalState interns first, then the builtins, then names in the order
 * the lexer meets them. That order decides which missing/unexpected argument an
 * error names. We approximate it with ranks: pre-interned and global names get
 * negative ranks, source names the global position of their first occurrence.
 */
const symbolRanks = new Map<string, number>();

/** While recording (see `recordSymbols`): the names met, in order, with their positions. */
let symbolLog: (string | number)[] | null = null;

function seen(name: string, pos: number): void {
  if (symbolLog !== null) symbolLog.push(name, pos);
  // First occurrence wins: the walk meets names roughly in source order.
  if (!symbolRanks.has(name)) symbolRanks.set(name, pos > 0 ? pos : Number.MAX_SAFE_INTEGER);
}

/**
 * Runs `fn` (a `bindVars` walk) and returns the names it met, so that a cached
 * AST bound in an earlier EvalState can replay them (`replaySymbols`) and give
 * the same symbol order as a fresh parse.
 */
export function recordSymbols(fn: () => void): (string | number)[] {
  const outer = symbolLog;
  const log: (string | number)[] = [];
  symbolLog = log;
  try {
    fn();
  } finally {
    symbolLog = outer;
  }
  // Only a name's first occurrence can set its rank: the replay of a cached file
  // (once per EvalState and file) needs no more.
  const first: (string | number)[] = [];
  const met = new Set<string>();
  for (let i = 0; i < log.length; i += 2) {
    const name = log[i] as string;
    if (met.has(name)) continue;
    met.add(name);
    first.push(name, log[i + 1]!);
  }
  if (outer !== null) for (const x of first) outer.push(x);
  return first;
}

export function replaySymbols(log: readonly (string | number)[]): void {
  for (let i = 0; i < log.length; i += 2) seen(log[i] as string, log[i + 1] as number);
}

/** Starts a new symbol table (one per EvalState) with the global names, in slot order. */
export function rankGlobals(names: Iterable<string>): void {
  symbolRanks.clear();
  for (const [name, r] of defaultPreInterned) symbolRanks.set(name, r - 2_000_000_000);
  let i = 0;
  for (const n of names) if (!symbolRanks.has(n)) symbolRanks.set(n, i++ - 1_000_000_000);
}

/** Compares two names in CppNix's symbol (interning) order. */
export function compareSymbols(a: string, b: string): number {
  const ra = symbolRanks.get(a) ?? Number.MAX_SAFE_INTEGER;
  const rb = symbolRanks.get(b) ?? Number.MAX_SAFE_INTEGER;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class StaticScope {
  constructor(
    readonly up: StaticScope | null,
    /** Name → slot; empty for a `with` scope; null for a one-name scope (`single`) or a `names` one. */
    readonly vars: ReadonlyMap<string, number> | null,
    readonly isWith = false,
    /** The only name (slot 0) of a plain `x: …` lambda's scope, else "". */
    readonly single = "",
    /** The names in slot order, searched in place (small scopes: no Map to build), or null. */
    readonly names: readonly string[] | null = null,
  ) {}

  lookup(name: string): number | undefined {
    const names = this.names;
    if (names !== null) {
      // Names are interned, so a miss compares pointers and lengths only.
      const i = names.indexOf(name);
      return i < 0 ? undefined : i;
    }
    if (this.vars === null) return name === this.single ? 0 : undefined;
    return this.vars.get(name);
  }
}

/** Up to this many names a scope is searched linearly; a bigger one gets a Map. */
const LINEAR_SCOPE = 12;

/** A scope of `names` in slot order. */
function scopeOf(up: StaticScope, names: string[]): StaticScope {
  if (names.length <= LINEAR_SCOPE) return new StaticScope(up, null, false, "", names);
  const vars = new Map<string, number>();
  for (let d = 0; d < names.length; d++) vars.set(names[d]!, d);
  return new StaticScope(up, vars);
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
      seen(e.name, e.pos);
      let withLevel = -1;
      let level = 0;
      for (let s: StaticScope | null = scope; s !== null; s = s.up, level++) {
        if (s.isWith) {
          if (withLevel === -1) withLevel = level;
          continue;
        }
        const displ = s.lookup(e.name);
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
      for (const p of e.path) if (typeof p === "string") seen(p, e.pos);
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
      if (e.formals === null) {
        seen(e.arg, e.pos);
        bindVars(e.body, new StaticScope(scope, null, false, e.arg));
        return;
      }
      const names: string[] = [];
      if (e.arg !== "") names.push(e.arg);
      for (const f of e.formals.entries) {
        seen(f.name, f.pos);
        names.push(f.name);
      }
      if (e.arg !== "") seen(e.arg, e.pos);
      const inner = scopeOf(scope, names);
      if (e.formals !== null) for (const f of e.formals.entries) if (f.default !== null) bindVars(f.default, inner);
      bindVars(e.body, inner);
      return;
    }
    case "call":
      bindVars(e.fn, scope);
      for (const a of e.args) bindVars(a, scope);
      return;
    case "let": {
      seeDefs(e.attrs);
      const inner = scopeOf(scope, [...e.attrs.defs.keys()]);
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

function seeDefs(e: AttrsExpr): void {
  for (const [name, def] of e.defs) seen(name, def.pos);
}

function bindAttrs(e: AttrsExpr, scope: StaticScope): void {
  seeDefs(e);
  if (e.rec) {
    const inner = scopeOf(scope, [...e.defs.keys()]);
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
