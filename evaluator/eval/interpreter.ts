/**
 * The evaluator's runtime: `evalExpr` evaluates a scope-resolved AST node in an
 * environment (through its compiled closures, see compile/compile.ts), `force`
 * evaluates thunks (with blackholing), `callFunction` applies lambdas, primops and
 * functors, plus the helpers compiled code calls for the rarer node forms.
 * Semantics follow CppNix 2.8's `Expr*::eval` and `EvalState::callFunction`.
 */
import type { AttrDef, AttrName, AttrsExpr, ConcatStringsExpr, Expr, LambdaExpr } from "../syntax/ast.js";
import { resolvePos, showPos, sourceOf } from "../syntax/source.js";
import { canonPath } from "../syntax/paths.js";
import {
  Env,
  NixAttrs,
  NixFloat,
  NixLambda,
  NixPath,
  NixString,
  PrimOp,
  PrimOpApp,
  Thunk,
  THUNK_DONE,
  LAZY_LIST_CODE,
  LazyList,
  type LazyApp2,
  mergeContext,
  EMPTY_CONTEXT,
  showType,
  setApplyCode,
  type Lazy,
  type NixInt,
  type Value,
} from "./value.js";
import { EvalError, InfiniteRecursionError, NixTypeError, UndefinedVarError, cloneEvalError, inFrame, typeError } from "./errors.js";
import { printErrorValue, printIdentifier } from "./error-format.js";
import { coerceToString, forceList, forceStringNoCtx, addInts } from "./operations.js";
import { evalState } from "./state.js";
import { compile, compileLambdaBody, compileLazy, defCodesOf, inheritSources, lambdaCodeOf, type LambdaCode } from "./compile/compile.js";
import { compareSymbols } from "./scope.js";
import { calls, callDepthExceeded } from "./call-depth.js";

// ---------------------------------------------------------------- forcing

/** Forces a value: evaluates a thunk (once) and returns the result. */
export function force(v: Lazy, pos = 0): Value {
  return v instanceof Thunk ? forceThunk(v, pos) : v;
}

export function forceThunk(t: Thunk, pos: number): Value {
  const code = t.code;
  if (code === THUNK_DONE) return t.env as Value;
  if (code === null) throw new InfiniteRecursionError(pos, t);
  const env = t.env;
  t.code = null; // blackhole
  t.env = null;
  try {
    const v = code(env as never, t);
    t.env = v;
    t.code = THUNK_DONE;
    return v;
  } catch (e) {
    // Current CppNix's failed values: an evaluation error is kept, and forcing again
    // throws a copy of it (outer frames added to the copy only) without evaluating
    // again. Anything else (a JS stack overflow, retried iteratively) leaves the thunk pending.
    if (e instanceof EvalError && code !== FAILED_CODE) {
      t.code = FAILED_CODE;
      t.env = e;
    } else {
      t.code = code;
      t.env = env;
    }
    // Current CppNix marks where the cycle starts (shown even in a truncated trace).
    if (e instanceof InfiniteRecursionError && e.thunk === t) e.addTrace(0, "entering the infinite recursion", true);
    throw e;
  }
}

/** `Thunk.code` of a thunk whose evaluation failed, the error in `env`. */
const FAILED_CODE = (err: EvalError): never => {
  throw cloneEvalError(err);
};

/**
 * A compiled call's `lazyList` property (two-argument calls): evaluates the call
 * as its code does, except that a list builtin with a `lazyImpl` (map, genList)
 * may give a LazyList.
 */
export type LazyListHook = (env: Env) => Value | LazyList;

/**
 * forceList for builtins that walk a list once (foldl', map's source, length,
 * elemAt, filter, any, all): a pending thunk of `map f xs` or `genList f n` becomes a list whose
 * elements are made on demand (see LazyList), which the caller reads with
 * `elem(i)`; anything else is forced as forceList does. The builtin's own checks
 * and errors happen now either way, in the same order.
 */
export function forceListLazily(v: Lazy, pos: number, ctx: string): Lazy[] | LazyList {
  if (v instanceof Thunk) {
    const code = v.code;
    if (code === LAZY_LIST_CODE) return v.env as LazyList;
    if (code !== null && code !== THUNK_DONE) {
      const hook = (code as { lazyList?: LazyListHook }).lazyList;
      if (hook !== undefined) {
        const r = startLazyList(v, code, hook);
        if (r instanceof LazyList) return r;
      }
    }
  }
  return forceList(v, pos, ctx);
}

/** forceThunk through the call's lazyList hook: the thunk is left pending with LAZY_LIST_CODE when it gives a LazyList. */
function startLazyList(t: Thunk, code: ThunkCodeOf, hook: LazyListHook): Value | LazyList {
  const env = t.env;
  t.code = null; // blackhole while the call is evaluated
  t.env = null;
  try {
    const r = hook(env as Env);
    if (r instanceof LazyList) {
      t.code = LAZY_LIST_CODE;
      t.env = r;
    } else {
      t.env = r;
      t.code = THUNK_DONE;
    }
    return r;
  } catch (e) {
    t.code = code;
    t.env = env;
    if (e instanceof InfiniteRecursionError && e.thunk === t) e.addTrace(0, "entering the infinite recursion", true);
    throw e;
  }
}

type ThunkCodeOf = NonNullable<Thunk["code"]>;

/** callPrimOp through the primop's lazyImpl (a LazyList or a value). */
export function callPrimOpLazily(op: PrimOp, args: Lazy[], pos: number): Value | LazyList {
  if (calls.depth > calls.max) throw callDepthExceeded(pos);
  calls.depth++;
  try {
    const r = op.lazyImpl!(args, pos);
    calls.depth--;
    return r;
  } catch (err) {
    throw primOpFailed(op, err, pos);
  }
}

/** Lazy application thunks (`lazyApply`): a one-argument one has the argument as `env`. */
setApplyCode(
  (fn: Lazy) => (arg: Lazy) => {
    const f = fn instanceof Thunk ? forceThunk(fn, 0) : fn;
    // `map f xs`, `genList f n`: a lambda is entered without an argument array.
    return f instanceof NixLambda ? callLambda(f, arg, 0) : callFunction(f, [arg], 0);
  },
  (fn: Lazy, args: Lazy[], pos: number) => callFunction(force(fn, pos), args, pos),
  // `f name value` of mapAttrs: a curried lambda is entered without the intermediate closure.
  (app: LazyApp2) => {
    const f = app.fn instanceof Thunk ? forceThunk(app.fn, 0) : app.fn;
    return f instanceof NixLambda ? callLambda2(f, app.a, app.b, 0) : callFunction(f, [app.a, app.b], 0);
  },
);

/** A value for `expr` in `env` without evaluating it, when that is cheap and safe. */
export function maybeThunk(expr: Expr, env: Env): Lazy {
  return compileLazy(expr)(env);
}

// ---------------------------------------------------------------- evaluation

/** With `--show-trace`, calls keep a JS frame so that they can add trace lines. */
let traceCalls = false;

export function setTraceCalls(on: boolean): void {
  traceCalls = on;
}

export function traceCallsOn(): boolean {
  return traceCalls;
}

/** Evaluates `e` in `env` to weak head normal form (compiling `e` on first use). */
export function evalExpr(e: Expr, env: Env): Value {
  return compile(e)(env);
}

/** `with` lookup: innermost `with` first, then the enclosing ones. */
export function lookupWith(env: Env, name: string, pos: number): Lazy {
  for (;;) {
    const attrs = force(env.v0!, pos);
    // CppNix's evalAttrs reports this without a position.
    if (!(attrs instanceof NixAttrs)) throw typeError(attrs, "a set");
    const a = attrs.get(name);
    if (a !== undefined) return a;
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

export function missingAttr(name: string, attrs: NixAttrs, pos: number): EvalError {
  const err = new EvalError(`attribute '${printIdentifier(name)}' missing`, pos);
  err.suggestions = bestMatches(attrs.keys(), name);
  return err;
}

/** Per set expression: its static names in byte order and where each def goes. */
interface AttrsLayout {
  readonly names: readonly string[];
  /** `slot[k]`: position in `names` of the k-th def (defs order = env displacement). */
  readonly slot: Int32Array;
  readonly defs: readonly AttrDef[];
  /** `positions[i]`: where `names[i]` is defined (shared by every set the expression makes). */
  readonly positions: readonly number[];
}

const layouts = new WeakMap<AttrsExpr, AttrsLayout>();

export function layoutOf(e: AttrsExpr): AttrsLayout {
  let l = layouts.get(e);
  if (l === undefined) {
    // Built for every set expression the first time it is compiled (each parse):
    // plain loops, and no name→index Map for the common small sets.
    const n = e.defs.size;
    const defNames = new Array<string>(n);
    const defs = new Array<AttrDef>(n);
    let k = 0;
    for (const [name, d] of e.defs) {
      defNames[k] = name;
      defs[k++] = d;
    }
    const names = defNames.slice().sort();
    const slot = new Int32Array(n);
    if (n <= 16) {
      for (k = 0; k < n; k++) slot[k] = names.indexOf(defNames[k]!);
    } else {
      const index = new Map<string, number>();
      for (k = 0; k < n; k++) index.set(names[k]!, k);
      for (k = 0; k < n; k++) slot[k] = index.get(defNames[k]!)!;
    }
    const positions = new Array<number>(n);
    for (k = 0; k < n; k++) positions[slot[k]!] = defs[k]!.pos;
    l = { names, slot, defs, positions };
    layouts.set(e, l);
  }
  return l;
}

/** A set with dynamic attributes or `__overrides` (the rare forms; see compile.ts for the rest). */
export function evalAttrsRest(e: AttrsExpr, env: Env): NixAttrs {
  const layout = layoutOf(e);
  const defs = layout.defs;
  const slot = layout.slot;
  const n = defs.length;
  let names = layout.names;
  let attrs = new Array<Lazy>(n);
  let positions = layout.positions;
  let dynamicEnv = env;
  if (e.rec) {
    const vars = new Array<Lazy>(n);
    const env2 = new Env(env, vars);
    dynamicEnv = env2;
    const hasOverrides = e.defs.has("__overrides");
    const { values, sources } = defCodesOf(e);
    const envFrom = sources === null ? env2 : inheritSources(sources, env2);
    for (let k = 0; k < n; k++) {
      const def = defs[k]!;
      const v =
        def.kind === "inheritFrom"
          ? values[k]!(envFrom)
          : hasOverrides && def.kind !== "inherit"
            ? new Thunk(def.value, env2)
            : maybeThunk(def.value, def.kind === "inherit" ? env : env2);
      vars[k] = v;
      if (k === 0) env2.v0 = v;
      attrs[slot[k]!] = v;
    }
    if (hasOverrides) {
      const overrides = force(attrs[slot[[...e.defs.keys()].indexOf("__overrides")]!]!, e.pos);
      // Current CppNix reports this with a frame and no position.
      if (!(overrides instanceof NixAttrs)) throw typeError(overrides, "a set", 0, "while evaluating the `__overrides` attribute");
      const defNames = [...e.defs.keys()];
      for (let i = 0; i < overrides.names.length; i++) {
        const name = overrides.names[i]!;
        const a = overrides.values[i]!;
        const displ = defNames.indexOf(name);
        if (displ >= 0) vars[displ] = a;
        if (displ === 0) env2.v0 = a;
      }
      const merged = new NixAttrs(names, attrs, positions).update(overrides);
      names = merged.names;
      attrs = merged.values.slice();
      positions = merged.positions;
    }
  } else {
    const { values, sources } = defCodesOf(e);
    const envFrom = sources === null ? env : inheritSources(sources, env);
    for (let k = 0; k < n; k++) {
      const def = defs[k]!;
      attrs[slot[k]!] = def.kind === "inheritFrom" ? values[k]!(envFrom) : maybeThunk(def.value, env);
    }
  }
  if (e.dynamic.length === 0) return new NixAttrs(names, attrs, positions, e.pos);
  const dynNames = names.slice();
  const dynPositions = positions.slice();
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
      throw new EvalError(`dynamic attribute '${printIdentifier(name)}' already defined at ${showPos(dynPositions[lo]!)}`, d.pos);
    }
    dynNames.splice(lo, 0, name);
    dynPositions.splice(lo, 0, d.pos);
    attrs.splice(lo, 0, maybeThunk(d.value, dynamicEnv));
  }
  return new NixAttrs(dynNames, attrs, dynPositions, e.pos);
}

/** `+` and string interpolation (CppNix's ExprConcatStrings). */
export function evalConcat(e: ConcatStringsExpr, parts: readonly ((env: Env) => Value)[], env: Env, first: Value): Value {
  if (!e.forceString) {
    if (typeof first === "number" || typeof first === "bigint" || first instanceof NixFloat) return addNumbers(first, e, parts, env);
  }
  const state = evalState();
  let context: readonly string[] = EMPTY_CONTEXT;
  const isPath = !e.forceString && first instanceof NixPath;
  // Paths are copied to the store only when the result is a string.
  const copyToStore = e.forceString || typeof first === "string" || first instanceof NixString;
  let s = "";
  for (let i = 0; i < parts.length; i++) {
    const v = i === 0 ? first : concatPart(e, parts, i, env);
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
      const r = coerceToString(v, e.partPos[i] ?? e.pos, { coerceMore: false, copyToStore, ctx: "while evaluating a path segment" });
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

/** Part `i` of a concatenation; an error gets current CppNix's "in an operand of '+'" frame. */
export function concatPart(e: ConcatStringsExpr, parts: readonly ((env: Env) => Value)[], i: number, env: Env): Value {
  try {
    return parts[i]!(env);
  } catch (err) {
    const part = e.parts[i]!;
    throw inFrame(err, "pos" in part ? part.pos : 0, "in an operand of '+'");
  }
}

/** `+` over numbers; `second` is the already evaluated second part, if any. */
export function addNumbers(
  first: NixInt | NixFloat,
  e: ConcatStringsExpr,
  parts: readonly ((env: Env) => Value)[],
  env: Env,
  second?: Value,
): Value {
  let n: NixInt = 0;
  let f = 0;
  let isFloat = first instanceof NixFloat;
  if (first instanceof NixFloat) f = first.value;
  else n = first;
  for (let i = 1; i < e.parts.length; i++) {
    const v = i === 1 && second !== undefined ? second : concatPart(e, parts, i, env);
    const pos = e.partPos[i] ?? e.pos;
    if (!isFloat) {
      if (typeof v === "number" || typeof v === "bigint") n = addInts(n, v, pos);
      else if (v instanceof NixFloat) {
        isFloat = true;
        f = Number(n) + v.value;
      } else throw new EvalError(`cannot add ${showType(v)} to an integer`, pos);
    } else {
      if (typeof v === "number" || typeof v === "bigint") f += Number(v);
      else if (v instanceof NixFloat) f += v.value;
      else throw new EvalError(`cannot add ${showType(v)} to a float`, pos);
    }
  }
  return isFloat ? new NixFloat(f) : n;
}

export function curPos(pos: number): Value {
  const p = resolvePos(pos);
  if (p === undefined) return null;
  // CppNix 2.8 names an `-E`/stdin source by its whole text.
  const src = sourceOf(pos)!;
  const file = src.origin === "file" ? p.file : src.text;
  return NixAttrs.of({ file, line: p.line, column: p.column });
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
      // Callers hand over a fresh array: a partial application from the start keeps it.
      if (left < arity) return new PrimOpApp(cur, i === 0 ? args : args.slice(i));
      cur = callPrimOp(cur, i === 0 && arity === n ? args : args.slice(i, i + arity), pos);
      i += arity;
    } else if (cur instanceof PrimOpApp) {
      const op = cur.primop;
      const have = cur.args.length;
      const need = op.arity - have;
      const left = n - i;
      if (left < need) return new PrimOpApp(op, cur.args.concat(i === 0 ? args : args.slice(i)));
      // The held arguments and the `need` next ones, in one array (no concat + slice).
      const all = new Array<Lazy>(op.arity);
      for (let k = 0; k < have; k++) all[k] = cur.args[k]!;
      for (let k = 0; k < need; k++) all[have + k] = args[i + k]!;
      cur = callPrimOp(op, all, pos);
      i += need;
    } else if (cur instanceof NixAttrs && cur.has("__functor")) {
      const functor = force(cur.get("__functor")!, pos);
      cur = callFunction(functor, [cur, args[i]!], pos);
      i++;
    } else {
      throw new NixTypeError(`attempt to call something which is not a function but ${showType(cur)}: ${printErrorValue(cur)}`, pos);
    }
  }
  return cur;
}

/** Calls a saturated primop; an error gets current CppNix's "while calling the 'x' builtin" frame. */
export function callPrimOp(op: PrimOp, args: Lazy[], pos: number): Value {
  if (calls.depth > calls.max) throw callDepthExceeded(pos);
  calls.depth++;
  try {
    const r = op.impl(args, pos);
    calls.depth--;
    return r;
  } catch (err) {
    throw primOpFailed(op, err, pos);
  }
}

/** An error out of a primop called at `pos`, with current CppNix's "while calling the 'x' builtin" frame. */
export function primOpFailed(op: PrimOp, err: unknown, pos: number): unknown {
  if (err instanceof EvalError && op.name !== "__addErrorContext") {
    // Current CppNix's builtins report their own errors without a position: the frame has it.
    if (err.pos === pos && err.traces.length === 0) err.pos = 0;
    err.addTrace(pos, `while calling the '${op.name.replace(/^__/, "")}' builtin`);
  }
  return err;
}

/** Applies a one-argument call to a value (convenience for builtins). */
export function apply(fn: Lazy, arg: Lazy, pos = 0): Value {
  const f = fn instanceof Thunk ? forceThunk(fn, pos) : fn;
  return f instanceof NixLambda ? callLambda(f, arg, pos) : callFunction(f, [arg], pos);
}

/** The environment of a lambda's body for one argument (checks formals). */
function bindLambda(fn: NixLambda, c: LambdaCode, arg: Lazy, pos: number): Env {
  const lam = fn.expr;
  const formals = lam.formals;
  if (formals === null) return Env.one(fn.env, arg);
  const attrs = force(arg, pos);
  if (!(attrs instanceof NixAttrs)) throw withCallSite(typeError(attrs, "a set", lam.pos, "while evaluating the value passed for the lambda argument"), pos);
  const entries = formals.entries;
  const hasArg = lam.arg !== "";
  const vars = new Array<Lazy>(entries.length + (hasArg ? 1 : 0));
  const env2 = new Env(fn.env, vars);
  let d = 0;
  if (hasArg) env2.v0 = vars[d++] = attrs;
  let used = 0;
  const names = attrs.names;
  let index: Int32Array | null = null;
  if (names === c.argNames) index = c.argIndex;
  else if (names === c.lastNames) {
    index = Int32Array.from(entries, (f) => attrs.find(f.name));
    c.argNames = names;
    c.argIndex = index;
  } else c.lastNames = names;
  const values = attrs.values;
  for (let k = 0; k < entries.length; k++) {
    const i = index === null ? attrs.find(entries[k]!.name) : index[k]!;
    let v: Lazy;
    if (i < 0) {
      if (entries[k]!.default === null) throw missingArgument(lam, attrs, pos);
      v = c.defaults[k]!(env2);
    } else {
      used++;
      v = values[i]!;
    }
    if (d === 0) env2.v0 = v;
    vars[d++] = v;
  }
  if (!formals.ellipsis && used !== attrs.size) throw unexpectedArgument(lam, attrs, pos);
  return env2;
}

/** Applies a lambda to one argument. */
export function callLambda(fn: NixLambda, arg: Lazy, pos: number): Value {
  // `x: …` already compiled, no trace frames: small enough for V8 to inline into callers.
  const c = fn.compiled;
  if (c !== null && c.plain && !traceCalls) {
    if (calls.depth > calls.max) throw callDepthExceeded(pos);
    calls.depth++;
    const r = c.body!(Env.one(fn.env, arg));
    calls.depth--;
    return r;
  }
  return callLambdaGeneral(fn, arg, pos);
}

/**
 * `fn a b` for a lambda: a curried `a: b: …` whose two parts are plain and compiled
 * is entered without making the intermediate closure (foldl', sort comparators,
 * `f x y` call sites); the same depth count as two calls.
 */
export function callLambda2(fn: NixLambda, a: Lazy, b: Lazy, pos: number): Value {
  const c = fn.compiled as LambdaCode | null;
  if (c !== null && c.plain && !traceCalls) {
    const inner = c.inner;
    if (inner !== null && inner.plain) {
      if (calls.depth > calls.max) throw callDepthExceeded(pos);
      const env1 = Env.one(fn.env, a);
      calls.depth++;
      const r = inner.body!(Env.one(env1, b));
      calls.depth--;
      return r;
    }
  }
  const g = callLambda(fn, a, pos);
  return g instanceof NixLambda ? callLambda(g, b, pos) : callFunction(g, [b], pos);
}

/** callLambda for formals, the first call, and `--show-trace`. */
function callLambdaGeneral(fn: NixLambda, arg: Lazy, pos: number): Value {
  const lam = fn.expr;
  const c = (fn.compiled ??= lambdaCodeOf(lam)) as LambdaCode;
  const body = c.body ?? compileLambdaBody(lam, c);
  const env2 = bindLambda(fn, c, arg, pos);
  // max-call-depth: counted around the body; an error leaves it to whoever catches (call-depth.ts).
  if (calls.depth > calls.max) throw callDepthExceeded(pos);
  calls.depth++;
  if (!traceCalls) {
    const r = body(env2);
    calls.depth--;
    return r;
  }
  try {
    const r = body(env2);
    calls.depth--;
    return r;
  } catch (err) {
    if (err instanceof EvalError) {
      err.addTrace(lam.pos, `while calling ${lam.name !== "" ? `'${lam.name}'` : "anonymous lambda"}`);
      if (pos !== 0) err.addTrace(pos, "from call site");
    }
    throw err;
  }
}

/** `'f' at file:1:2` or `anonymous function at file:1:2`, as CppNix names a lambda. */
export function showLambda(lam: LambdaExpr): string {
  return `${lam.name !== "" ? `'${lam.name}'` : "anonymous function"} at ${showPos(lam.pos)}`;
}

function lambdaName(lam: LambdaExpr): string {
  return lam.name !== "" ? lam.name : "anonymous lambda";
}

function withCallSite(err: EvalError, pos: number): EvalError {
  return pos !== 0 ? err.addTrace(pos, "from call site") : err;
}

function missingArgument(lam: LambdaExpr, attrs: NixAttrs, pos: number): EvalError {
  // CppNix checks formals in symbol order.
  const sorted = [...lam.formals!.entries].sort((a, b) => compareSymbols(a.name, b.name) || a.pos - b.pos);
  const missing = sorted.find((f) => f.default === null && !attrs.has(f.name))!;
  return withCallSite(new NixTypeError(`function '${lambdaName(lam)}' called without required argument '${missing.name}'`, lam.pos), pos);
}

function unexpectedArgument(lam: LambdaExpr, attrs: NixAttrs, pos: number): EvalError {
  const names = new Set(lam.formals!.entries.map((f) => f.name));
  // CppNix reports the first in its Bindings order, which is symbol order.
  const bad = [...attrs.keys()].sort(compareSymbols).find((k) => !names.has(k))!;
  const err = withCallSite(new NixTypeError(`function '${lambdaName(lam)}' called with unexpected argument '${printIdentifier(bad)}'`, lam.pos), pos);
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
