/**
 * The compiler: turns a scope-resolved AST into JS closures, once per node, so
 * evaluation is a chain of direct calls V8 can inline instead of a `switch` over
 * node kinds on every step. `compile(e)` gives `(env) => Value` (the value in weak
 * head normal form); `compileLazy(e)` gives `(env) => Lazy`, the cheapest
 * suspended form of `e` (a constant, an already bound variable, or a Thunk).
 * Semantics, error texts and positions are those of CppNix 2.8's `Expr*::eval`.
 */
import type { AttrName, AttrsExpr, BinaryExpr, CallExpr, ConcatStringsExpr, Expr, LambdaExpr, SelectExpr, VarExpr } from "../../syntax/ast.js";
import {
  AttrSiteCache,
  UpdateSite,
  Env,
  NixAttrs,
  NixFloat,
  NixLambda,
  NixPath,
  PrimOp,
  PrimOpApp,
  Thunk,
  mkInt,
  setThunkCompiler,
  type CompiledLambda,
  type Lazy,
  type ThunkCode,
  type Value,
} from "../value.js";
import { EvalError, inFrame, tracedPos, typeError, typeErrorAt } from "../errors.js";
import { assertionFailure } from "../assert-eq.js";
import { printIdentifier } from "../error-format.js";
import { eqValues, forceStringNoCtx, addInts, subIntsCall, divInts } from "../operations.js";
import { showExpr } from "../../syntax/show.js";
import {
  callFunction,
  callLambda,
  callLambda2,
  curPos,
  evalAttrsRest,
  evalConcat,
  addNumbers,
  forceThunk,
  layoutOf,
  lookupWith,
  missingAttr,
  traceCallsOn,
  callPrimOp,
  callPrimOpLazily,
  concatPart,
  type LazyListHook,
  primOpFailed,
} from "../interpreter.js";
import { getPrimOp } from "../primops.js";
import { calls, callDepthExceeded } from "../call-depth.js";

/** Evaluates to weak head normal form. */
export type Code = (env: Env) => Value;
/** Evaluates to a possibly suspended value. */
export type LazyCode = (env: Env) => Lazy;

const codes = new WeakMap<Expr, Code>();

/**
 * The compiled form of `e` (compiled on first use, then shared). Entry points
 * (files, `new Thunk(expr, env)`) go through this cache; inner nodes are built
 * once with their parent.
 */
export function compile(e: Expr): Code {
  let c = codes.get(e);
  if (c === undefined) {
    c = build(e);
    codes.set(e, c);
  }
  return c;
}

setThunkCompiler((e) => compile(e) as ThunkCode);

function constant(v: Value): Code {
  return () => v;
}

/** The value of a literal (the parser keeps ints as bigint and floats as number). */
function literalValue(e: Expr & { kind: "int" | "float" | "string" }): Value {
  if (e.kind === "int") return mkInt(e.value);
  if (e.kind === "float") return (e.cache ??= new NixFloat(e.value)) as NixFloat;
  return e.value;
}

function pathValue(e: Expr & { kind: "path" }): NixPath {
  // One object per node, as the interpreter did (identity shows in `==` of lists).
  return (e.cache ??= new NixPath(e.value)) as NixPath;
}

function build(e: Expr): Code {
  switch (e.kind) {
    case "int":
    case "float":
    case "string":
      return constant(literalValue(e));
    case "path":
      return constant(pathValue(e));
    case "var":
      return compileVar(e);
    case "call":
      return compileCall(e);
    case "select":
      return compileSelect(e);
    case "if": {
      const cond = compileBool(e.cond, "while evaluating a branch condition");
      // Each branch is compiled when first taken (many are error paths never run).
      const thenExpr = e.then;
      const elseExpr = e.else;
      let then: Code | null = null;
      let otherwise: Code | null = null;
      return (env) => (cond(env) ? (then ??= build(thenExpr))(env) : (otherwise ??= build(elseExpr))(env));
    }
    case "concatStrings":
      return compileConcat(e);
    case "attrs":
      return compileAttrs(e);
    case "lambda":
      return compileLambda(e);
    case "list": {
      // buildLazy, not the cached compileLazy: a parent compiles each child once.
      const elems = e.elems.map((x) => buildLazy(x));
      const n = elems.length;
      if (n === 0) return () => [];
      return (env) => {
        const out = new Array<Lazy>(n);
        for (let i = 0; i < n; i++) out[i] = elems[i]!(env);
        return out;
      };
    }
    case "let": {
      const makeEnv = compileLetEnv(e.attrs);
      const body = build(e.body);
      return (env) => body(makeEnv(env));
    }
    case "binary":
      return compileBinary(e);
    case "not": {
      const cond = compileBool(e.expr, "in the argument of '!'");
      return (env) => !cond(env);
    }
    case "hasAttr":
      return compileHasAttr(e.expr, e.path);
    case "with": {
      const attrs = buildLazy(e.attrs);
      const body = build(e.body);
      const prevWith = e.prevWith;
      return (env) => body(Env.with(env, attrs(env), prevWith));
    }
    case "assert": {
      const cond = compileBool(e.cond, "in the condition of the assert statement");
      const body = build(e.body);
      const pos = e.pos;
      const condExpr = e.cond;
      return (env) => {
        if (!cond(env)) {
          // Failure path only: `a == b` is evaluated again to say where the sides differ.
          const eq = condExpr.kind === "binary" && condExpr.op === "==" ? { left: () => build(condExpr.left)(env), right: () => build(condExpr.right)(env), pos: condExpr.pos } : undefined;
          throw assertionFailure(showExpr(condExpr), pos, eq);
        }
        return body(env);
      };
    }
    case "curPos": {
      const pos = e.pos;
      return () => curPos(pos);
    }
  }
}

// ---------------------------------------------------------------- variables

function compileVar(e: VarExpr): Code {
  const pos = e.pos;
  const level = e.level;
  if (e.fromWith) {
    const name = e.name;
    return (env) => {
      let en = env;
      for (let l = level; l > 0; l--) en = en.up!;
      const v = lookupWith(en, name, pos);
      return v instanceof Thunk ? forceThunk(v, pos) : v;
    };
  }
  const displ = e.displ;
  // Slot 0 is read from `v0` (see Env); one closure per case keeps each monomorphic.
  if (displ === 0) {
    switch (level) {
      case 0:
        return (env) => {
          const v = env.v0!;
          return v instanceof Thunk ? forceThunk(v, pos) : v;
        };
      case 1:
        return (env) => {
          const v = env.up!.v0!;
          return v instanceof Thunk ? forceThunk(v, pos) : v;
        };
      case 2:
        return (env) => {
          const v = env.up!.up!.v0!;
          return v instanceof Thunk ? forceThunk(v, pos) : v;
        };
      default:
        return (env) => {
          let en = env;
          for (let l = level; l > 0; l--) en = en.up!;
          const v = en.v0!;
          return v instanceof Thunk ? forceThunk(v, pos) : v;
        };
    }
  }
  switch (level) {
    case 0:
      return (env) => {
        const v = env.vars[displ]!;
        return v instanceof Thunk ? forceThunk(v, pos) : v;
      };
    case 1:
      return (env) => {
        const v = env.up!.vars[displ]!;
        return v instanceof Thunk ? forceThunk(v, pos) : v;
      };
    case 2:
      return (env) => {
        const v = env.up!.up!.vars[displ]!;
        return v instanceof Thunk ? forceThunk(v, pos) : v;
      };
    default:
      return (env) => {
        let en = env;
        for (let l = level; l > 0; l--) en = en.up!;
        const v = en.vars[displ]!;
        return v instanceof Thunk ? forceThunk(v, pos) : v;
      };
  }
}

/** `e` suspended: constants and bound variables as they are, anything else as a thunk. */
export function compileLazy(e: Expr): LazyCode {
  let c = lazyCodes.get(e);
  if (c === undefined) {
    c = buildLazy(e);
    lazyCodes.set(e, c);
  }
  return c;
}

const lazyCodes = new WeakMap<Expr, LazyCode>();

function buildLazy(e: Expr): LazyCode {
  switch (e.kind) {
    case "int":
    case "float":
    case "string": {
      const v = literalValue(e);
      return () => v;
    }
    case "path": {
      const p = pathValue(e);
      return () => p;
    }
    case "var": {
      if (e.fromWith) break;
      const level = e.level;
      const displ = e.displ;
      let code: ThunkCode | null = null;
      // Not yet initialised (a later binding of the same rec/let): defer.
      const defer = (env: Env): Thunk => new Thunk((code ??= build(e) as ThunkCode), env);
      if (displ === 0) {
        if (level === 0) return (env) => env.v0 ?? defer(env);
        if (level === 1) return (env) => env.up!.v0 ?? defer(env);
      } else {
        if (level === 0) return (env) => env.vars[displ] ?? defer(env);
        if (level === 1) return (env) => env.up!.vars[displ] ?? defer(env);
      }
      return (env) => {
        let en = env;
        for (let l = level; l > 0; l--) en = en.up!;
        return en.slot(displ) ?? defer(env);
      };
    }
    default:
      break;
  }
  // Lambdas too: CppNix thunks them (observable in printing and `==`).
  if (e.kind === "call" && e.args.length === 2) {
    // Compiled now: forceListLazily looks for its `lazyList` hook on the thunk's code.
    const code = build(e) as ThunkCode;
    return (env) => new Thunk(code, env);
  }
  // Compiled when first forced: in lib code about half the thunk sites that get
  // compiled are never forced (attributes nobody reads), and their code would cost
  // compile time and memory every scavenge copies. Thunks made before that point
  // start through `compileThenRun`; later ones get the code itself.
  let code: ThunkCode | null = null;
  const compileThenRun: ThunkCode = (env, thunk) => (code ??= build(e) as ThunkCode)(env, thunk);
  return (env) => new Thunk(code ?? compileThenRun, env);
}

/** A condition (current CppNix's evalBool): any error gets the frame `ctx` at the expression's position. */
function compileBool(e: Expr, ctx: string): (env: Env) => boolean {
  const code = build(e);
  const pos = posOf(e);
  return (env) => {
    let v: Value;
    try {
      v = code(env);
    } catch (err) {
      throw inFrame(err, pos, ctx);
    }
    if (typeof v !== "boolean") throw typeErrorAt(v, "a Boolean", pos, ctx);
    return v;
  };
}

/** An expression's position (CppNix's getPos: literals have none). */
function posOf(e: Expr): number {
  return "pos" in e ? e.pos : 0;
}

/** An operand: any error gets the frame `ctx` at the operand's position (current CppNix's Expr::eval with errorCtx). */
/** The arguments of a partial application followed by one or two more. */
function withArgs(have: readonly Lazy[], a: Lazy, b?: Lazy): Lazy[] {
  const n = have.length;
  const out = new Array<Lazy>(b === undefined ? n + 1 : n + 2);
  for (let i = 0; i < n; i++) out[i] = have[i]!;
  out[n] = a;
  if (b !== undefined) out[n + 1] = b;
  return out;
}

function evalIn(code: Code, env: Env, pos: number, ctx: string): Value {
  try {
    return code(env);
  } catch (err) {
    throw inFrame(err, pos, ctx);
  }
}

// ---------------------------------------------------------------- calls

let subOp: PrimOp | undefined;
let lessThanOp: PrimOp | undefined;
let mulOp: PrimOp | undefined;
let divOp: PrimOp | undefined;

/**
 * The desugared `*` and `/` (`__mul a b`, `__div a b`): the operands forced as the
 * primop forces them (same depth count and error frames), two ints computed here
 * without an argument array; anything else (floats, overflow, division by zero)
 * goes through the primop with the forced operands.
 */
/**
 * An argument of a strict primop call, forced: its code run directly where the
 * lazy form would make a fresh thunk (forcing that thunk at once runs the same
 * code), else the lazy form (a constant or a variable's slot) forced at `pos`.
 */
function strictArg(e: Expr, lazyCode: LazyCode, pos: number): Code {
  const thunked = !(e.kind === "int" || e.kind === "float" || e.kind === "string" || e.kind === "path" || (e.kind === "var" && !e.fromWith));
  if (thunked) return build(e);
  return (env) => {
    const v = lazyCode(env);
    return v instanceof Thunk ? forceThunk(v, pos) : v;
  };
}

function mulOrDiv(op: PrimOp, a: Code, b: Code, env: Env, pos: number): Value {
  if (calls.depth > calls.max) throw callDepthExceeded(pos);
  calls.depth++;
  let x: Value;
  let y: Value;
  try {
    x = a(env);
    y = b(env);
  } catch (err) {
    throw primOpFailed(op, err, pos);
  }
  calls.depth--;
  if (typeof x === "number" && typeof y === "number") {
    if (op === mulOp) {
      const r = x * y;
      if (r <= Number.MAX_SAFE_INTEGER && r >= -Number.MAX_SAFE_INTEGER) return r === 0 ? 0 : r; // no -0
    } else if (y !== 0) return divInts(x, y);
  }
  return callPrimOp(op, [x, y], pos);
}

/** The forced value of a bound variable's slot (small: V8 inlines it where compiled code reads a variable itself). */
function slotValue(env: Env, level: number, displ: number, pos: number): Value {
  let en = env;
  for (let l = level; l > 0; l--) en = en.up!;
  const v = displ === 0 ? en.v0! : en.vars[displ]!;
  return v instanceof Thunk ? forceThunk(v, pos) : v;
}

function compileCall(e: CallExpr): Code {
  const fnCode = build(e.fn);
  const args = e.args.map((x) => buildLazy(x));
  const pos = e.pos;
  // `f x` with `f` a bound variable (the common case) reads its slot directly.
  const fv = e.fn.kind === "var" && !e.fn.fromWith ? e.fn : null;
  const fLevel = fv === null ? -1 : fv.level;
  const fDispl = fv === null ? 0 : fv.displ;
  const fPos = fv === null ? 0 : fv.pos;
  if (args.length === 1) {
    const arg0 = args[0]!;
    return (env) => {
      const fn = fLevel >= 0 ? slotValue(env, fLevel, fDispl, fPos) : fnCode(env);
      const a = arg0(env);
      if (fn instanceof NixLambda) {
        // `x: …` already compiled: bind and enter the body here (one JS frame
        // less per Nix call, so deeper recursion fits the stack).
        const c = fn.compiled;
        if (c !== null && c.plain && !traceCallsOn()) {
          // max-call-depth, as in callLambda (no finally: see call-depth.ts).
          if (calls.depth > calls.max) throw callDepthExceeded(pos);
          calls.depth++;
          const r = c.body!(Env.one(fn.env, a));
          calls.depth--;
          return r;
        }
        return callLambda(fn, a, pos);
      }
      if (fn instanceof PrimOp) {
        if (fn.arity === 1) return callPrimOp(fn, [a], pos);
      } else if (fn instanceof PrimOpApp && fn.primop.arity === fn.args.length + 1) {
        // The last argument of a partial application (`elem x`, `hasAttr n`): one array, no concat/slice.
        return callPrimOp(fn.primop, withArgs(fn.args, a), pos);
      }
      return callFunction(fn, [a], pos);
    };
  }
  if (args.length === 2) {
    const arg0 = args[0]!;
    const arg1 = args[1]!;
    subOp ??= getPrimOp("__sub");
    lessThanOp ??= getPrimOp("__lessThan");
    mulOp ??= getPrimOp("__mul");
    divOp ??= getPrimOp("__div");
    // The arithmetic primops force both arguments at once: an argument that would
    // be a fresh thunk (`x.key * 7`) is evaluated directly instead (the same code in
    // the same order, so the same value and errors) and no thunk is allocated.
    const strict0 = strictArg(e.args[0]!, arg0, pos);
    const strict1 = strictArg(e.args[1]!, arg1, pos);
    const code: Code = (env) => {
      const fn = fLevel >= 0 ? slotValue(env, fLevel, fDispl, fPos) : fnCode(env);
      if (fn instanceof PrimOp) {
        // The desugared `-` and `<` on two integers: no argument array.
        if (fn === subOp || fn === lessThanOp) {
          const x = strict0(env);
          const y = strict1(env);
          if (typeof x === "number" && typeof y === "number") return fn === subOp ? subIntsCall(x, y, pos) : x < y;
          return callPrimOp(fn, [x, y], pos);
        }
        if (fn === mulOp || fn === divOp) return mulOrDiv(fn, strict0, strict1, env, pos);
      }
      const a = arg0(env);
      const b = arg1(env);
      if (fn instanceof PrimOp && fn.arity === 2) return callPrimOp(fn, [a, b], pos);
      if (fn instanceof NixLambda) return callLambda2(fn, a, b, pos);
      if (fn instanceof PrimOpApp && fn.primop.arity === fn.args.length + 2) return callPrimOp(fn.primop, withArgs(fn.args, a, b), pos);
      return callFunction(fn, [a, b], pos);
    };
    // For forceListLazily: the same evaluation (the fast paths above are only faster forms of callFunction).
    const lazyList: LazyListHook = (env) => {
      const fn = fLevel >= 0 ? slotValue(env, fLevel, fDispl, fPos) : fnCode(env);
      const a = arg0(env);
      const b = arg1(env);
      if (fn instanceof PrimOp && fn.lazyImpl !== null && fn.arity === 2) return callPrimOpLazily(fn, [a, b], pos);
      return callFunction(fn, [a, b], pos);
    };
    return Object.assign(code, { lazyList });
  }
  const n = args.length;
  return (env) => {
    const fn = fnCode(env);
    const vals = new Array<Lazy>(n);
    for (let i = 0; i < n; i++) vals[i] = args[i]!(env);
    if (fn instanceof PrimOp && fn.arity === n) return callPrimOp(fn, vals, pos);
    return callFunction(fn, vals, pos);
  };
}

// ---------------------------------------------------------------- lambdas

/** A lambda's compiled parts, shared by its closures. */
export interface LambdaCode extends CompiledLambda {
  /** Default values of the formals (null where there is none); filled with `body`. */
  defaults: (LazyCode | null)[];
  /** For a body that is itself a lambda (`a: b: …`), its code (callLambda2); filled with `body`. */
  inner: LambdaCode | null;
  /**
   * Where the formals are in arguments with these names (sets made by one
   * expression share their names array, e.g. a `callPackage`'s): `argIndex[k]`
   * the index of formal k, -1 if absent. Kept once seen twice in a row.
   */
  argNames: readonly string[] | null;
  argIndex: Int32Array | null;
  /** The names array of the last argument that missed `argNames`. */
  lastNames: readonly string[] | null;
}

/** The shared compiled form of a lambda expression (its body compiles on the first call). */
export function lambdaCodeOf(e: LambdaExpr): LambdaCode {
  return (e.code ??= { body: null, defaults: [], plain: false, inner: null, argNames: null, argIndex: null, lastNames: null }) as LambdaCode;
}

/** Compiles a lambda's body and defaults (once). */
export function compileLambdaBody(e: LambdaExpr, c: LambdaCode): Code {
  if (e.formals !== null) c.defaults = e.formals.entries.map((f) => (f.default === null ? null : buildLazy(f.default)));
  const body = build(e.body);
  c.body = body;
  c.inner = e.body.kind === "lambda" ? lambdaCodeOf(e.body) : null;
  c.plain = e.formals === null;
  return body;
}

function compileLambda(e: LambdaExpr): Code {
  const c = lambdaCodeOf(e);
  return (env) => new NixLambda(e, env, c);
}

// ---------------------------------------------------------------- let / attrs

/** Which environment a def's value is built in (see `DefCodes`). */
const OWN = 0; // the set's own scope: the enclosing one for a non-rec set, the new frame for rec sets and let
const OUTER = 1; // `inherit a;`: always the enclosing scope
const FROM = 2; // `inherit (src) a;` with a shared source: the frame of the sources

/**
 * The compiled values of a set's or let's static defs (in defs order). Current
 * CppNix evaluates the source of `inherit (src) a b;` once per instantiation of
 * the set (2.8 once per name): each such source (other than a plain variable,
 * already shared) becomes one thunk in a frame on top of the source scope, and
 * the selections read it from there.
 */
export interface DefCodes {
  readonly values: readonly LazyCode[];
  readonly where: readonly number[];
  /** The shared `inherit (src)` sources, null if none. */
  readonly sources: readonly LazyCode[] | null;
}

export function defCodesOf(attrs: AttrsExpr): DefCodes {
  let c = attrs.code as DefCodes | null;
  if (c !== null) return c;
  const defs = layoutOf(attrs).defs;
  const slotOf = new Map<number, number>();
  const sources: LazyCode[] = [];
  // A plain array: a small typed array costs an ArrayBuffer and a backing store.
  const where = new Array<number>(defs.length).fill(OWN);
  const values = defs.map((d, k): LazyCode => {
    if (d.kind === "inherit") {
      where[k] = OUTER;
      return buildLazy(d.value);
    }
    const src = attrs.inheritFrom[d.fromIndex];
    if (d.kind !== "inheritFrom" || src === undefined || (src.kind === "var" && !src.fromWith)) return buildLazy(d.value);
    let j = slotOf.get(d.fromIndex);
    if (j === undefined) {
      j = sources.push(buildLazy(src)) - 1;
      slotOf.set(d.fromIndex, j);
    }
    where[k] = FROM;
    const slot = j;
    const srcPos = posOf(src);
    const code = compileSelect(d.value as SelectExpr, (env) => {
      const v = env.slot(slot)!;
      return v instanceof Thunk ? forceThunk(v, srcPos) : v;
    }) as ThunkCode;
    return (env) => new Thunk(code, env);
  });
  c = { values, where, sources: sources.length === 0 ? null : sources };
  attrs.code = c;
  return c;
}

/** The frame of a set's shared `inherit (src)` sources on top of `env` (their scope). */
export function inheritSources(sources: readonly LazyCode[], env: Env): Env {
  const vars = new Array<Lazy>(sources.length);
  for (let i = 0; i < sources.length; i++) vars[i] = sources[i]!(env);
  return new Env(env, vars);
}

function compileLetEnv(attrs: AttrsExpr): (env: Env) => Env {
  const { values, where, sources } = defCodesOf(attrs);
  const n = values.length;
  return (env) => {
    const vars = new Array<Lazy>(n);
    const env2 = new Env(env, vars);
    const envFrom = sources === null ? env2 : inheritSources(sources, env2);
    for (let i = 0; i < n; i++) {
      const w = where[i];
      const v = values[i]!(w === OWN ? env2 : w === OUTER ? env : envFrom);
      vars[i] = v;
      if (i === 0) env2.v0 = v;
    }
    return env2;
  };
}

function compileAttrs(e: AttrsExpr): Code {
  const layout = layoutOf(e);
  const slot = layout.slot;
  const names = layout.names;
  const pos = e.pos;
  const positions = layout.positions;
  const needsRest = e.dynamic.length > 0 || (e.rec && e.defs.has("__overrides"));
  if (needsRest) return (env) => evalAttrsRest(e, env);
  const { values, where, sources } = defCodesOf(e);
  const n = values.length;
  if (e.rec) {
    return (env) => {
      const vars = new Array<Lazy>(n);
      const env2 = new Env(env, vars);
      const envFrom = sources === null ? env2 : inheritSources(sources, env2);
      const attrs = new Array<Lazy>(n);
      for (let k = 0; k < n; k++) {
        const w = where[k];
        const v = values[k]!(w === OWN ? env2 : w === OUTER ? env : envFrom);
        vars[k] = v;
        if (k === 0) env2.v0 = v;
        attrs[slot[k]!] = v;
      }
      return new NixAttrs(names, attrs, positions, pos);
    };
  }
  if (sources !== null) {
    return (env) => {
      const envFrom = inheritSources(sources, env);
      const attrs = new Array<Lazy>(n);
      for (let k = 0; k < n; k++) attrs[slot[k]!] = values[k]!(where[k] === FROM ? envFrom : env);
      return new NixAttrs(names, attrs, positions, pos);
    };
  }
  return (env) => {
    const attrs = new Array<Lazy>(n);
    for (let k = 0; k < n; k++) attrs[slot[k]!] = values[k]!(env);
    return new NixAttrs(names, attrs, positions, pos);
  };
}

// ---------------------------------------------------------------- selection

/** The name of one attribute-path element (`a`, `${e}`, `"a${b}"`). */
type NameCode = string | Code;

function compileNames(path: AttrName[]): NameCode[] {
  return path.map((p) => (typeof p === "string" ? p : build(p)));
}

function nameOf(n: NameCode, env: Env, pos = 0): string {
  if (typeof n === "string") return n;
  const v = n(env);
  // A plain string is already forced and has no context.
  return typeof v === "string" ? v : forceStringNoCtx(v, pos, "while evaluating an attribute name");
}

/** `a.b."${e}"` as current CppNix names a selection in traces: dynamic names evaluated when they can be. */
function selectionPath(path: readonly AttrName[], names: readonly NameCode[], env: Env, upTo: number): string {
  let out = "";
  for (let i = 0; i < upTo; i++) {
    if (i > 0) out += ".";
    const p = path[i]!;
    // Each name as current CppNix prints a symbol (`"a b"` quoted).
    if (typeof p === "string") out += printIdentifier(p);
    else {
      try {
        out += printIdentifier(nameOf(names[i]!, env));
      } catch {
        out += `"\${${showExpr(p)}}"`;
      }
    }
  }
  return out;
}

/** Current CppNix's frames for a failed selection: where the attribute was defined, and the selection itself. */
function selectFailed(err: unknown, e: SelectExpr, names: readonly NameCode[], env: Env, attrPos: number, resolved: number): unknown {
  if (!(err instanceof EvalError)) return err;
  if (tracedPos(attrPos) !== 0) err.addTrace(attrPos, `from the definition of '${selectionPath(e.path, names, env, resolved)}'`);
  err.addTrace(e.pos, `while evaluating the attribute '${selectionPath(e.path, names, env, e.path.length)}'`);
  return err;
}

/** `attribute 'x' missing` (current CppNix: the frames carry the position). */
function attrMissing(name: string, attrs: NixAttrs): EvalError {
  return missingAttr(name, attrs, 0);
}

/** `e`; `obj`: how to get the selected-from value (a shared `inherit (src)` source). */
function compileSelect(e: SelectExpr, shared: Code | null = null): Code {
  const obj = shared ?? build(e.expr);
  const names = compileNames(e.path);
  const dflt = e.default === null ? null : build(e.default);
  const pos = e.pos;
  const path = e.path;
  const n = names.length;
  const first = names[0]!;
  const objPos = posOf(e.expr);
  const selecting = "while selecting an attribute";
  const namePos = path.map((p) => (typeof p === "string" ? 0 : posOf(p)));
  if (n === 1 && typeof first === "string" && dflt === null) {
    // `x.a`: the common case, without the loop.
    const cache = new AttrSiteCache();
    const ve = e.expr;
    if (ve.kind === "var" && !ve.fromWith && shared === null) {
      // `x` a bound variable: its slot is read here (no call through the variable's
      // closure, a megamorphic call site both cold and warm).
      const level = ve.level;
      const displ = ve.displ;
      const vpos = ve.pos;
      return (env) => {
        let en = env;
        for (let l = level; l > 0; l--) en = en.up!;
        const slot = displ === 0 ? en.v0! : en.vars[displ]!;
        let v: Value;
        if (slot instanceof Thunk) {
          try {
            v = forceThunk(slot, vpos);
          } catch (err) {
            throw inFrame(err, objPos, selecting);
          }
        } else v = slot;
        let apos = 0;
        try {
          if (!(v instanceof NixAttrs)) throw typeError(v, "a set", pos, selecting);
          const s = v.isLayered() ? v.holderOf(first) : v;
          const i = cache.find(s, first);
          if (i < 0) throw attrMissing(first, v);
          const x = s.values[i]!;
          if (!(x instanceof Thunk)) return x;
          apos = s.positions[i]!;
          return forceThunk(x, apos !== 0 ? apos : pos);
        } catch (err) {
          throw selectFailed(err, e, names, env, apos, 1);
        }
      };
    }
    return (env) => {
      let v: Value;
      try {
        v = obj(env);
      } catch (err) {
        throw inFrame(err, objPos, selecting);
      }
      let apos = 0;
      try {
        if (!(v instanceof NixAttrs)) throw typeError(v, "a set", pos, selecting);
        const s = v.isLayered() ? v.holderOf(first) : v;
        const i = cache.find(s, first);
        if (i < 0) throw attrMissing(first, v);
        const x = s.values[i]!;
        if (!(x instanceof Thunk)) return x;
        apos = s.positions[i]!;
        return forceThunk(x, apos !== 0 ? apos : pos);
      } catch (err) {
        throw selectFailed(err, e, names, env, apos, 1);
      }
    };
  }
  const caches = names.map(() => new AttrSiteCache());
  return (env) => {
    let v: Value;
    try {
      v = obj(env);
    } catch (err) {
      throw inFrame(err, objPos, selecting);
    }
    let pos2 = 0;
    let resolved = 0;
    try {
      for (let i = 0; i < n; i++) {
        const name = nameOf(names[i]!, env, namePos[i]);
        if (!(v instanceof NixAttrs)) {
          if (dflt !== null) return dflt(env);
          throw typeError(v, "a set", pos, selecting);
        }
        const s = v.isLayered() ? v.holderOf(name) : v;
        const at = typeof names[i] === "string" ? caches[i]!.find(s, name) : s.find(name);
        if (at < 0) {
          if (dflt !== null) return dflt(env);
          throw attrMissing(name, v);
        }
        pos2 = s.positions[at]!;
        resolved = i + 1;
        const x = s.values[at]!;
        v = x instanceof Thunk ? forceThunk(x, pos2 !== 0 ? pos2 : pos) : x;
      }
      return v;
    } catch (err) {
      throw selectFailed(err, e, names, env, pos2, resolved);
    }
  };
}

function compileHasAttr(expr: Expr, path: AttrName[]): Code {
  const obj = build(expr);
  const names = compileNames(path);
  const n = names.length;
  const caches = names.map(() => new AttrSiteCache());
  return (env) => {
    let v: Lazy = obj(env);
    for (let i = 0; i < n; i++) {
      if (i > 0 && v instanceof Thunk) v = forceThunk(v, 0);
      if (!(v instanceof NixAttrs)) return false;
      const name = names[i]!;
      const key = typeof name === "string" ? name : nameOf(name, env);
      const s: NixAttrs = v.isLayered() ? v.holderOf(key) : v;
      const at: number = typeof name === "string" ? caches[i]!.find(s, key) : s.find(key);
      if (at < 0) return false;
      v = s.values[at]!; // forced (only) if the path goes on
    }
    return true;
  };
}

// ---------------------------------------------------------------- operators

function compileBinary(e: BinaryExpr): Code {
  const pos = e.pos;
  switch (e.op) {
    case "==": {
      const l = build(e.left);
      const r = build(e.right);
      const lp = posOf(e.left);
      const rp = posOf(e.right);
      return (env) => eqValues(evalIn(l, env, lp, "in the left operand of '=='"), evalIn(r, env, rp, "in the right operand of '=='"));
    }
    case "!=": {
      const l = build(e.left);
      const r = build(e.right);
      const lp = posOf(e.left);
      const rp = posOf(e.right);
      return (env) => !eqValues(evalIn(l, env, lp, "in the left operand of '!='"), evalIn(r, env, rp, "in the right operand of '!='"));
    }
    case "&&": {
      const l = compileBool(e.left, "in the left operand of '&&'");
      const r = compileBool(e.right, "in the right operand of '&&'");
      return (env) => l(env) && r(env);
    }
    case "||": {
      const l = compileBool(e.left, "in the left operand of '||'");
      const r = compileBool(e.right, "in the right operand of '||'");
      return (env) => l(env) || r(env);
    }
    case "->": {
      const l = compileBool(e.left, "in the left operand of '->'");
      const r = compileBool(e.right, "in the right operand of '->'");
      return (env) => !l(env) || r(env);
    }
    case "//": {
      const l = build(e.left);
      const r = build(e.right);
      const lp = posOf(e.left);
      const rp = posOf(e.right);
      const site = new UpdateSite();
      return (env) => {
        // Current CppNix evaluates the right side first; a non-set gets the operand's frame.
        const b = evalIn(r, env, rp, "in the right operand of '//'");
        if (!(b instanceof NixAttrs)) throw typeError(b, "a set", rp, "in the right operand of '//'");
        const a = evalIn(l, env, lp, "in the left operand of '//'");
        if (!(a instanceof NixAttrs)) throw typeError(a, "a set", lp, "in the left operand of '//'");
        return site.update(a, b);
      };
    }
    case "++": {
      const l = build(e.left);
      const r = build(e.right);
      const lp = posOf(e.left);
      const rp = posOf(e.right);
      const ctx = "while evaluating one of the elements to concatenate";
      return (env) => {
        const a = evalIn(l, env, lp, "in the left operand of '++'");
        const b = evalIn(r, env, rp, "in the right operand of '++'");
        if (!Array.isArray(a)) throw typeError(a, "a list", pos, ctx);
        if (!Array.isArray(b)) throw typeError(b, "a list", pos, ctx);
        if (a.length === 0) return b;
        if (b.length === 0) return a;
        return a.concat(b);
      };
    }
  }
}

function compileConcat(e: ConcatStringsExpr): Code {
  const parts = e.parts.map(compile);
  if (!e.forceString && parts.length === 2) {
    const pos1 = e.partPos[1] ?? e.pos;
    const p0 = parts[0]!;
    const p1 = parts[1]!;
    const pos0Frame = posOf(e.parts[0]!);
    const pos1Frame = posOf(e.parts[1]!);
    const ctx = "in an operand of '+'";
    // `a + b`: integers without the general loop, and the operands' error frames
    // (concatPart) inline: one JS frame less per `n + f (n - 1)` level of recursion.
    return (env) => {
      let x: Value;
      try {
        x = p0(env);
      } catch (err) {
        throw inFrame(err, pos0Frame, ctx);
      }
      if (typeof x === "number") {
        let y: Value;
        try {
          y = p1(env);
        } catch (err) {
          throw inFrame(err, pos1Frame, ctx);
        }
        if (typeof y === "number") {
          const r = x + y;
          if (r <= Number.MAX_SAFE_INTEGER && r >= -Number.MAX_SAFE_INTEGER) return r;
          return addInts(x, y, pos1);
        }
        return addNumbers(x, e, parts, env, y);
      }
      return evalConcat(e, parts, env, x);
    };
  }
  return (env) => evalConcat(e, parts, env, concatPart(e, parts, 0, env));
}
