/**
 * The tree-walking interpreter: `evalExpr` evaluates a scope-resolved AST node in
 * an environment, `force` evaluates thunks (with blackholing), `callFunction`
 * applies lambdas, primops and functors. Semantics follow CppNix 2.8's
 * `Expr*::eval` and `EvalState::callFunction`.
 */
import type { AttrDef, AttrName, AttrsExpr, ConcatStringsExpr, Expr, LambdaExpr, SelectExpr } from "../syntax/ast.js";
import { resolvePos, showPos, sourceOf } from "../syntax/source.js";
import { canonPath } from "../syntax/paths.js";
import {
  Attr,
  Env,
  NixAttrs,
  NixLambda,
  NixPath,
  NixString,
  PrimOp,
  PrimOpApp,
  Thunk,
  mergeContext,
  EMPTY_CONTEXT,
  showType,
  type Lazy,
  type Value,
} from "./value.js";
import { AssertionError, EvalError, InfiniteRecursionError, NixTypeError, StackOverflowError, UndefinedVarError, typeError } from "./errors.js";
import { coerceToString, eqValues, forceStringNoCtx, addInts } from "./operations.js";
import { evalState } from "./state.js";
import { showExpr } from "../syntax/show.js";
import { compareSymbols } from "./scope.js";

// ---------------------------------------------------------------- forcing

/** Forces a value: evaluates a thunk (once) and returns the result. */
export function force(v: Lazy, pos = 0): Value {
  return v instanceof Thunk ? forceThunk(v, pos) : v;
}

export function forceThunk(t: Thunk, pos: number): Value {
  const done = t.value;
  if (done !== undefined) return done;
  const expr = t.expr;
  if (expr !== null) {
    const env = t.env!;
    t.expr = null; // blackhole
    t.env = null;
    try {
      const v = evalExpr(expr, env);
      t.value = v;
      return v;
    } catch (e) {
      t.expr = expr;
      t.env = env;
      throw e;
    }
  }
  const deferred = t.deferred;
  if (deferred !== null) {
    t.deferred = null;
    try {
      const v = deferred();
      t.value = v;
      return v;
    } catch (e) {
      t.deferred = deferred;
      throw e;
    }
  }
  throw new InfiniteRecursionError(pos);
}

/** A value for `expr` in `env` without evaluating it, when that is cheap and safe. */
export function maybeThunk(expr: Expr, env: Env): Lazy {
  switch (expr.kind) {
    case "int":
    case "float":
    case "string":
      return expr.value;
    case "path":
      return (expr.cache ??= new NixPath(expr.value)) as NixPath;
    case "var":
      if (!expr.fromWith) {
        let e = env;
        for (let l = expr.level; l > 0; l--) e = e.up!;
        const v = e.vars[expr.displ];
        // Not yet initialised (a later binding of the same rec/let): defer.
        if (v !== undefined) return v;
      }
      return new Thunk(expr, env);
    default:
      // Lambdas too: CppNix thunks them (observable in printing and `==`).
      return new Thunk(expr, env);
  }
}

// ---------------------------------------------------------------- evaluation

/**
 * CppNix has no tail calls: its stack overflows long before this many nested
 * calls, so a longer chain of our tail calls is an endless recursion to report.
 */
const MAX_TAIL_CALLS = 1_000_000;

/** With `--show-trace`, calls keep a JS frame so that they can add trace lines. */
let traceCalls = false;

export function setTraceCalls(on: boolean): void {
  traceCalls = on;
}

/**
 * Evaluates `e` in `env`. Tail positions (if branches, let/with/assert bodies,
 * and the body of a called lambda) loop instead of recursing, so deep Nix
 * recursion uses few JS frames.
 */
export function evalExpr(e: Expr, env: Env): Value {
  let tailCalls = 0;
  for (;;) {
    switch (e.kind) {
      case "var": {
        let en = env;
        for (let l = e.level; l > 0; l--) en = en.up!;
        const v = e.fromWith ? lookupWith(en, e.name, e.pos) : en.vars[e.displ]!;
        return v instanceof Thunk ? forceThunk(v, e.pos) : v;
      }
      case "call": {
        const fn = evalExpr(e.fn, env);
        const argExprs = e.args;
        if (++tailCalls > MAX_TAIL_CALLS) throw new StackOverflowError();
        if (argExprs.length === 1 && fn instanceof NixLambda && !traceCalls) {
          env = bindLambda(fn, maybeThunk(argExprs[0]!, env), e.pos);
          e = fn.expr.body;
          continue;
        }
        const args = new Array<Lazy>(argExprs.length);
        for (let i = 0; i < argExprs.length; i++) args[i] = maybeThunk(argExprs[i]!, env);
        // Saturated primop call (the desugared operators): no dispatch loop.
        if (fn instanceof PrimOp && fn.arity === args.length) return fn.impl(args, e.pos);
        if (traceCalls || args.length === 1) return callFunction(fn, args, e.pos);
        // `f a b`: apply all but the last argument, then tail-call a lambda.
        const last = args.pop()!;
        const g = callFunction(fn, args, e.pos);
        if (!(g instanceof NixLambda)) return callFunction(g, [last], e.pos);
        env = bindLambda(g, last, e.pos);
        e = g.expr.body;
        continue;
      }
      case "select":
        return evalSelect(e, env);
      case "if":
        e = evalBool(e.cond, env, e.pos) ? e.then : e.else;
        continue;
      case "concatStrings": {
        const first = evalExpr(e.parts[0]!, env);
        // Fast path for `int + int` (no extra frames for arithmetic recursion).
        if (!e.forceString && typeof first === "bigint" && e.parts.length === 2) {
          const second = evalExpr(e.parts[1]!, env);
          if (typeof second === "bigint") return addInts(first, second, e.partPos[1] ?? e.pos);
          return addNumbers(first, e, env, second);
        }
        return evalConcat(e, env, first);
      }
      case "int":
      case "float":
      case "string":
        return e.value;
      case "attrs":
        return evalAttrs(e, env);
      case "lambda":
        return new NixLambda(e, env);
      case "list":
        return evalList(e.elems, env);
      case "let":
        env = letEnv(e.attrs, env);
        e = e.body;
        continue;
      case "binary":
        return evalBinary(e.op, e.left, e.right, e.pos, env);
      case "not":
        return !evalBool(e.expr, env, 0);
      case "hasAttr":
        return evalHasAttr(e.expr, e.path, env);
      case "with":
        env = new Env(env, [maybeThunk(e.attrs, env)], e.prevWith);
        e = e.body;
        continue;
      case "path":
        return (e.cache ??= new NixPath(e.value)) as NixPath;
      case "assert":
        if (!evalBool(e.cond, env, e.pos)) throw new AssertionError(`assertion '${showExpr(e.cond)}' failed`, e.pos);
        e = e.body;
        continue;
      case "curPos":
        return curPos(e.pos);
    }
  }
}

function evalList(elems: Expr[], env: Env): Lazy[] {
  const out = new Array<Lazy>(elems.length);
  for (let i = 0; i < elems.length; i++) out[i] = maybeThunk(elems[i]!, env);
  return out;
}

function letEnv(attrs: AttrsExpr, env: Env): Env {
  const vars = new Array<Lazy>(attrs.defs.size);
  const env2 = new Env(env, vars);
  let i = 0;
  for (const def of attrs.defs.values()) vars[i++] = maybeThunk(def.value, def.kind === "inherit" ? env : env2);
  return env2;
}

function evalHasAttr(expr: Expr, path: AttrName[], env: Env): boolean {
  let v = evalExpr(expr, env);
  for (let i = 0; i < path.length; i++) {
    if (i > 0) v = force(v);
    if (!(v instanceof NixAttrs)) return false;
    const a = v.getAttr(attrName(path[i]!, env));
    if (a === undefined) return false;
    v = a.value as Value; // forced (only) if the path goes on
  }
  return true;
}

function evalBool(e: Expr, env: Env, pos: number): boolean {
  const v = evalExpr(e, env);
  if (typeof v !== "boolean") throw typeError(v, "a Boolean", pos);
  return v;
}

/** `with` lookup: innermost `with` first, then the enclosing ones. */
function lookupWith(env: Env, name: string, pos: number): Lazy {
  for (;;) {
    const attrs = force(env.vars[0]!, pos);
    // CppNix's evalAttrs reports this without a position.
    if (!(attrs instanceof NixAttrs)) throw typeError(attrs, "a set");
    const a = attrs.getAttr(name);
    if (a !== undefined) return a.value;
    const up = env.prevWith;
    if (up <= 0) throw new UndefinedVarError(`undefined variable '${name}'`, pos);
    for (let l = up; l > 0; l--) env = env.up!;
  }
}

/** The name of one attribute-path element (`a`, `${e}`, `"a${b}"`). */
export function attrName(name: AttrName, env: Env): string {
  if (typeof name === "string") return name;
  return forceStringNoCtx(evalExpr(name, env), 0);
}

function evalSelect(e: SelectExpr, env: Env): Value {
  let v = evalExpr(e.expr, env);
  const path = e.path;
  let pos2 = 0;
  try {
    for (let i = 0; i < path.length; i++) {
      const name = attrName(path[i]!, env);
      if (!(v instanceof NixAttrs)) {
        if (e.default !== null) return evalExpr(e.default, env);
        throw typeError(v, "a set", e.pos);
      }
      const a = v.getAttr(name);
      if (a === undefined) {
        if (e.default !== null) return evalExpr(e.default, env);
        throw missingAttr(name, v, e.pos);
      }
      pos2 = a.pos;
      const x = a.value;
      v = x instanceof Thunk ? forceThunk(x, pos2 !== 0 ? pos2 : e.pos) : x;
    }
    return v;
  } catch (err) {
    if (pos2 !== 0 && err instanceof EvalError) {
      err.addTrace(pos2, `while evaluating the attribute '${path.map((p) => (typeof p === "string" ? p : "${…}")).join(".")}'`);
    }
    throw err;
  }
}

export function missingAttr(name: string, attrs: NixAttrs, pos: number): EvalError {
  const err = new EvalError(`attribute '${name}' missing`, pos);
  err.suggestions = bestMatches(attrs.keys(), name);
  return err;
}

/** Per set expression: its static names in byte order and where each def goes. */
interface AttrsLayout {
  readonly names: readonly string[];
  /** `slot[k]`: position in `names` of the k-th def (defs order = env displacement). */
  readonly slot: Int32Array;
  readonly defs: readonly AttrDef[];
}

const layouts = new WeakMap<AttrsExpr, AttrsLayout>();

function layoutOf(e: AttrsExpr): AttrsLayout {
  let l = layouts.get(e);
  if (l === undefined) {
    const defNames = [...e.defs.keys()];
    const names = [...defNames].sort();
    const index = new Map(names.map((n, i) => [n, i]));
    const slot = Int32Array.from(defNames, (n) => index.get(n)!);
    l = { names, slot, defs: [...e.defs.values()] };
    layouts.set(e, l);
  }
  return l;
}

function evalAttrs(e: AttrsExpr, env: Env): NixAttrs {
  const layout = layoutOf(e);
  const defs = layout.defs;
  const slot = layout.slot;
  const n = defs.length;
  let names = layout.names;
  let attrs = new Array<Attr>(n);
  let dynamicEnv = env;
  if (e.rec) {
    const vars = new Array<Lazy>(n);
    const env2 = new Env(env, vars);
    dynamicEnv = env2;
    const hasOverrides = e.defs.has("__overrides");
    for (let k = 0; k < n; k++) {
      const def = defs[k]!;
      const v =
        hasOverrides && def.kind !== "inherit"
          ? new Thunk(def.value, env2)
          : maybeThunk(def.value, def.kind === "inherit" ? env : env2);
      vars[k] = v;
      attrs[slot[k]!] = new Attr(v, def.pos);
    }
    if (hasOverrides) {
      const overrides = force(attrs[slot[[...e.defs.keys()].indexOf("__overrides")]!]!.value, e.pos);
      if (!(overrides instanceof NixAttrs)) throw typeError(overrides, "a set", e.pos);
      const map = new Map<string, Attr>();
      for (let i = 0; i < names.length; i++) map.set(names[i]!, attrs[i]!);
      const defNames = [...e.defs.keys()];
      for (let i = 0; i < overrides.names.length; i++) {
        const name = overrides.names[i]!;
        const a = overrides.attrs[i]!;
        const displ = defNames.indexOf(name);
        if (displ >= 0) vars[displ] = a.value;
        map.set(name, a);
      }
      const merged = new NixAttrs(map);
      names = merged.names;
      attrs = merged.attrs as Attr[];
    }
  } else {
    for (let k = 0; k < n; k++) {
      const def = defs[k]!;
      attrs[slot[k]!] = new Attr(maybeThunk(def.value, env), def.pos);
    }
  }
  if (e.dynamic.length === 0) return new NixAttrs(names, attrs, e.pos);
  const dynNames = names.slice();
  for (const d of e.dynamic) {
    const nameVal = evalExpr(d.name, dynamicEnv);
    if (nameVal === null) continue;
    const name = forceStringNoCtx(nameVal); // CppNix: no position
    // Binary search for the insertion point.
    let lo = 0;
    let hi = dynNames.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (dynNames[mid]! < name) lo = mid + 1;
      else hi = mid;
    }
    if (dynNames[lo] === name) {
      throw new EvalError(`dynamic attribute '${name}' already defined at ${showPos(attrs[lo]!.pos)}`, d.pos);
    }
    dynNames.splice(lo, 0, name);
    attrs.splice(lo, 0, new Attr(maybeThunk(d.value, dynamicEnv), d.pos));
  }
  return new NixAttrs(dynNames, attrs, e.pos);
}

function evalBinary(op: string, left: Expr, right: Expr, pos: number, env: Env): Value {
  switch (op) {
    case "==":
      return eqValues(evalExpr(left, env), evalExpr(right, env));
    case "!=":
      return !eqValues(evalExpr(left, env), evalExpr(right, env));
    case "&&":
      return evalBool(left, env, pos) && evalBool(right, env, pos);
    case "||":
      return evalBool(left, env, pos) || evalBool(right, env, pos);
    case "->":
      return !evalBool(left, env, pos) || evalBool(right, env, pos);
    case "//": {
      // CppNix forces both sides without a position.
      const a = evalExpr(left, env);
      if (!(a instanceof NixAttrs)) throw typeError(a, "a set");
      const b = evalExpr(right, env);
      if (!(b instanceof NixAttrs)) throw typeError(b, "a set");
      return a.update(b);
    }
    case "++": {
      const a = evalExpr(left, env);
      if (!Array.isArray(a)) throw typeError(a, "a list", pos);
      const b = evalExpr(right, env);
      if (!Array.isArray(b)) throw typeError(b, "a list", pos);
      if (a.length === 0) return b;
      if (b.length === 0) return a;
      return a.concat(b);
    }
  }
  throw new Error(`unknown operator ${op}`);
}

/** `+` and string interpolation (CppNix's ExprConcatStrings). */
function evalConcat(e: ConcatStringsExpr, env: Env, first: Value): Value {
  const parts = e.parts;
  if (!e.forceString) {
    if (typeof first === "bigint" || typeof first === "number") return addNumbers(first, e, env);
  }
  const state = evalState();
  let context: readonly string[] = EMPTY_CONTEXT;
  const isPath = !e.forceString && first instanceof NixPath;
  // Paths are copied to the store only when the result is a string.
  const copyToStore = e.forceString || typeof first === "string" || first instanceof NixString;
  let s = "";
  for (let i = 0; i < parts.length; i++) {
    const v = i === 0 ? first : evalExpr(parts[i]!, env);
    if (typeof v === "string") s += v;
    else if (v instanceof NixString) {
      s += v.s;
      context = mergeContext(context, v.context);
    } else if (v instanceof NixPath) {
      // The first part of `./a + …` is not canonicalised (CppNix does the same).
      const p = i === 0 ? v.path : canonPath(v.path);
      if (!copyToStore) s += p;
      else {
        const dst = state.copyPathToStore(p);
        s += dst;
        context = mergeContext(context, [dst]);
      }
    } else {
      const r = coerceToString(v, e.partPos[i] ?? e.pos, { coerceMore: false, copyToStore });
      if (typeof r === "string") s += r;
      else {
        s += r.s;
        context = mergeContext(context, r.context);
      }
    }
  }
  if (isPath) {
    if (context.length !== 0) throw new EvalError("a string that refers to a store path cannot be appended to a path", e.pos);
    return new NixPath(canonPath(s));
  }
  return context.length === 0 ? s : new NixString(s, context);
}

/** `+` over numbers; `second` is the already evaluated second part, if any. */
function addNumbers(first: bigint | number, e: ConcatStringsExpr, env: Env, second?: Value): Value {
  let n: bigint = 0n;
  let f = 0;
  let isFloat = typeof first === "number";
  if (typeof first === "bigint") n = first;
  else f = first;
  for (let i = 1; i < e.parts.length; i++) {
    const v = i === 1 && second !== undefined ? second : evalExpr(e.parts[i]!, env);
    const pos = e.partPos[i] ?? e.pos;
    if (!isFloat) {
      if (typeof v === "bigint") n = addInts(n, v, pos);
      else if (typeof v === "number") {
        isFloat = true;
        f = Number(n) + v;
      } else throw new EvalError(`cannot add ${showType(v)} to an integer`, pos);
    } else {
      if (typeof v === "bigint") f += Number(v);
      else if (typeof v === "number") f += v;
      else throw new EvalError(`cannot add ${showType(v)} to a float`, pos);
    }
  }
  return isFloat ? f : n;
}

function curPos(pos: number): Value {
  const p = resolvePos(pos);
  if (p === undefined) return null;
  // CppNix 2.8 names an `-E`/stdin source by its whole text.
  const src = sourceOf(pos)!;
  const file = src.origin === "file" ? p.file : src.text;
  return NixAttrs.of({ file, line: BigInt(p.line), column: BigInt(p.column) });
}

// ---------------------------------------------------------------- calls

/** Applies `fn` to `args` (CppNix's callFunction); `pos` is the call site. */
export function callFunction(fn: Value, args: Lazy[], pos: number): Value {
  let cur = fn;
  let i = 0;
  const n = args.length;
  while (i < n) {
    if (cur instanceof NixLambda) {
      cur = callLambda(cur, args[i]!, pos);
      i++;
    } else if (cur instanceof PrimOp) {
      const arity = cur.arity;
      const left = n - i;
      if (left < arity) return new PrimOpApp(cur, args.slice(i));
      cur = cur.impl(i === 0 && arity === n ? args : args.slice(i, i + arity), pos);
      i += arity;
    } else if (cur instanceof PrimOpApp) {
      const op = cur.primop;
      const have = cur.args.length;
      const need = op.arity - have;
      const left = n - i;
      if (left < need) return new PrimOpApp(op, cur.args.concat(args.slice(i)));
      cur = op.impl(cur.args.concat(args.slice(i, i + need)), pos);
      i += need;
    } else if (cur instanceof NixAttrs && cur.has("__functor")) {
      const functor = force(cur.get("__functor")!, pos);
      cur = callFunction(functor, [cur, args[i]!], pos);
      i++;
    } else {
      throw new NixTypeError(`attempt to call something which is not a function but ${showType(cur)}`, pos);
    }
  }
  return cur;
}

/** Applies a one-argument call to a value (convenience for builtins). */
export function apply(fn: Lazy, arg: Lazy, pos = 0): Value {
  return callFunction(force(fn, pos), [arg], pos);
}

/** The environment of a lambda's body for one argument (checks formals). */
function bindLambda(fn: NixLambda, arg: Lazy, pos: number): Env {
  const lam = fn.expr;
  const formals = lam.formals;
  if (formals === null) return new Env(fn.env, [arg]);
  const attrs = force(arg, pos);
  if (!(attrs instanceof NixAttrs)) throw typeError(attrs, "a set", pos);
  const entries = formals.entries;
  const hasArg = lam.arg !== "";
  const vars = new Array<Lazy>(entries.length + (hasArg ? 1 : 0));
  const env2 = new Env(fn.env, vars);
  let d = 0;
  if (hasArg) vars[d++] = attrs;
  let used = 0;
  for (let k = 0; k < entries.length; k++) {
    const f = entries[k]!;
    const a = attrs.getAttr(f.name);
    if (a === undefined) {
      if (f.default === null) throw missingArgument(lam, attrs, pos);
      vars[d++] = maybeThunk(f.default, env2);
    } else {
      used++;
      vars[d++] = a.value;
    }
  }
  if (!formals.ellipsis && used !== attrs.size) throw unexpectedArgument(lam, attrs, pos);
  return env2;
}

function callLambda(fn: NixLambda, arg: Lazy, pos: number): Value {
  const env2 = bindLambda(fn, arg, pos);
  const lam = fn.expr;
  if (!traceCalls) return evalExpr(lam.body, env2);
  try {
    return evalExpr(lam.body, env2);
  } catch (err) {
    if (err instanceof EvalError) {
      err.addTrace(lam.pos, `while evaluating ${lam.name !== "" ? `'${lam.name}'` : "anonymous lambda"}`);
      err.addTrace(pos, "from call site");
    }
    throw err;
  }
}

/** `'f' at file:1:2` or `anonymous function at file:1:2`, as CppNix names a lambda. */
export function showLambda(lam: LambdaExpr): string {
  return `${lam.name !== "" ? `'${lam.name}'` : "anonymous function"} at ${showPos(lam.pos)}`;
}

function missingArgument(lam: LambdaExpr, attrs: NixAttrs, pos: number): EvalError {
  // CppNix checks formals in symbol order.
  const sorted = [...lam.formals!.entries].sort((a, b) => compareSymbols(a.name, b.name) || a.pos - b.pos);
  const missing = sorted.find((f) => f.default === null && !attrs.has(f.name))!;
  return new NixTypeError(`${showLambda(lam)} called without required argument '${missing.name}'`, pos);
}

function unexpectedArgument(lam: LambdaExpr, attrs: NixAttrs, pos: number): EvalError {
  const names = new Set(lam.formals!.entries.map((f) => f.name));
  // CppNix reports the first in its Bindings order, which is symbol order.
  const bad = [...attrs.keys()].sort(compareSymbols).find((k) => !names.has(k))!;
  const err = new NixTypeError(`${showLambda(lam)} called with unexpected argument '${bad}'`, pos);
  err.suggestions = bestMatches([...names], bad);
  return err;
}

// ---------------------------------------------------------------- suggestions

/** CppNix's Suggestions::bestMatches + trim: up to 5 names within edit distance 2, closest first. */
export function bestMatches(names: readonly string[], query: string): string[] {
  const scored: [number, string][] = [];
  for (const n of names) {
    const d = levenshtein(query, n);
    if (d <= 2) scored.push([d, n]);
  }
  scored.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return scored.slice(0, 5).map((s) => s[1]);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
