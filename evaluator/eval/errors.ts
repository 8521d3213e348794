/**
 * Evaluation errors, shaped after CppNix 2.8's hierarchy:
 *
 *   EvalError ─┬─ AssertionError ── ThrownError      (both caught by tryEval)
 *              ├─ AbortError                          (never caught)
 *              ├─ NixTypeError
 *              ├─ MissingArgumentError
 *              └─ InfiniteRecursionError
 *   UndefinedVarError (a static error of the scope pass, also an EvalError here)
 *
 * `message` is CppNix's text without position; `pos` is a global position
 * (0 = none); `traces` are the "… while evaluating …" frames shown by
 * `--show-trace`, innermost first.
 */
import { showType, type Lazy } from "./value.js";
import { printErrorValue } from "./error-format.js";

export interface TraceFrame {
  /** Global position, 0 = none. */
  readonly pos: number;
  readonly message: string;
  /** Shown even when the trace is truncated (CppNix's TracePrint::Always). */
  readonly always?: boolean;
}

export class EvalError extends Error {
  /** Global position where the error happened (0 = none). */
  pos: number;
  readonly traces: TraceFrame[] = [];
  /** "Did you mean …?" suggestions (already ranked). */
  suggestions: string[] = [];

  constructor(message: string, pos = 0) {
    super(message);
    this.pos = pos;
  }

  /** Adds an outer frame (CppNix's addTrace): frames are added innermost first. */
  addTrace(pos: number, message: string, always?: boolean): this {
    pos = tracedPos(pos);
    this.traces.push(always ? { pos, message, always } : { pos, message });
    return this;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Attribute positions that frames never show: CppNix adds no trace at the attributes
 * its `derivation` wrapper file defines (`unsafeGetAttrPos` still finds them).
 */
const untracedPositions = new Set<number>();

export function hideFromTraces(pos: number): void {
  untracedPositions.add(pos);
}

/** `pos` as a frame shows it: 0 (nowhere) for a position hidden from traces. */
export function tracedPos(pos: number): number {
  return untracedPositions.has(pos) ? 0 : pos;
}

/** A copy of an error with its own frames (a failed thunk's error, thrown again). */
export function cloneEvalError<T extends EvalError>(err: T): T {
  const copy = Object.create(Object.getPrototypeOf(err) as object, Object.getOwnPropertyDescriptors(err)) as T;
  Object.defineProperty(copy, "traces", { value: err.traces.slice(), writable: true, enumerable: true, configurable: true });
  return copy;
}

/** `assert` failure; caught by `builtins.tryEval`. */
export class AssertionError extends EvalError {}

/** `throw "msg"`; caught by `builtins.tryEval`. */
export class ThrownError extends AssertionError {}

/** `abort "msg"`: `evaluation aborted with the following error message: 'msg'`. */
export class AbortError extends EvalError {}

/** Wrong type of value: `value is an integer while a set was expected`. */
export class NixTypeError extends EvalError {}

export class MissingArgumentError extends EvalError {}

/** CppNix's UsageError (e.g. an unknown hash algorithm): its report ends with a pointer to `--help`. */
export class UsageError extends EvalError {}

export class InfiniteRecursionError extends EvalError {
  constructor(
    pos = 0,
    /** The thunk found under evaluation: where it was first forced gets the "entering the infinite recursion" frame. */
    readonly thunk?: object,
  ) {
    super("infinite recursion encountered", pos);
  }
}

export class UndefinedVarError extends EvalError {}

/** Nesting too deep for the stack (CppNix reports its own stack overflow the same way). */
export class StackOverflowError extends EvalError {
  constructor(pos = 0) {
    super("stack overflow (possible infinite recursion)", pos);
  }
}

/**
 * `expected a list but found an integer: 1` (current CppNix). With `ctx` (e.g.
 * "while evaluating the first argument passed to builtins.length") the position
 * goes to that frame, as CppNix's `withTrace(pos, errorCtx)`; otherwise to the error.
 */
export function typeError(value: Lazy, expected: string, pos = 0, ctx?: string): NixTypeError {
  const msg = `expected ${expected} but found ${showType(value)}: ${printErrorValue(value)}`;
  if (ctx === undefined) return new NixTypeError(msg, pos);
  return new NixTypeError(msg, 0).addTrace(pos, ctx);
}

/** A type error at `pos`, with the caller's frame `ctx` at the same position (CppNix's `atPos(pos)` + `addTrace(pos, errorCtx)`). */
export function typeErrorAt(value: Lazy, expected: string, pos: number, ctx?: string): NixTypeError {
  const err = new NixTypeError(`expected ${expected} but found ${showType(value)}: ${printErrorValue(value)}`, pos);
  return ctx === undefined ? err : err.addTrace(pos, ctx);
}

/** Adds the frame `ctx` at `pos` to an evaluation error (any other error passes through); returns it for `throw`. */
export function inFrame(err: unknown, pos: number, ctx: string): unknown {
  if (err instanceof EvalError) err.addTrace(pos, ctx);
  return err;
}

/** True for the errors `builtins.tryEval` turns into `{ success = false; }`. */
export function isCatchable(err: unknown): boolean {
  return err instanceof AssertionError;
}
