/**
 * Why `assert a == b` failed, as current CppNix explains it: only when an
 * assertion has already failed are both sides compared again, step by step,
 * and the first difference raised with the attribute/list path that leads to
 * it ("while comparing attribute 'b'", "where left hand side is" …).
 */
import { AssertionError, EvalError, tracedPos } from "./errors.js";
import { printErrorValue, printIdentifier } from "./error-format.js";
import { force } from "./interpreter.js";
import { eqValues, isDerivation } from "./operations.js";
import { NixAttrs, NixFloat, NixLambda, NixPath, NixString, PrimOp, PrimOpApp, showType, type Lazy, type NixInt, type Value } from "./value.js";

function isNumber(v: Value): v is NixInt | NixFloat {
  return typeof v === "bigint" || typeof v === "number" || v instanceof NixFloat;
}

function isFunctionValue(v: Value): boolean {
  return v instanceof NixLambda || v instanceof PrimOp || v instanceof PrimOpApp;
}

function kind(v: Value): string {
  if (typeof v === "string" || v instanceof NixString) return "string";
  if (Array.isArray(v)) return "list";
  if (isFunctionValue(v)) return "function";
  if (v instanceof NixAttrs) return "set";
  if (v instanceof NixPath) return "path";
  return v === null ? "null" : typeof v;
}

/** C's `%f`. */
function fixed6(x: number): string {
  return x.toFixed(6);
}

/** Throws the AssertionError describing how `a` and `b` differ (returns if they are equal). */
export function assertEqValues(a: Lazy, b: Lazy, pos: number): void {
  if (a === b && typeof a === "object" && a !== null) return;
  const x = force(a, pos);
  const y = force(b, pos);
  const show = (v: Value): string => printErrorValue(v);
  if (isNumber(x) && isNumber(y)) {
    if (eqValues(x, y)) return;
    throw new AssertionError(`${showType(x)} with value '${show(x)}' is not equal to ${showType(y)} with value '${show(y)}'`);
  }
  if (kind(x) !== kind(y)) throw new AssertionError(`${showType(x)} of value '${show(x)}' is not equal to ${showType(y)} of value '${show(y)}'`);
  if (typeof x === "boolean") {
    if (x !== y) throw new AssertionError(`boolean '${show(x)}' is not equal to boolean '${show(y)}'`);
    return;
  }
  if (typeof x === "string" || x instanceof NixString) {
    if (!eqValues(x, y)) throw new AssertionError(`string '${show(x)}' is not equal to string '${show(y)}'`);
    return;
  }
  if (x instanceof NixPath) {
    if (x.path !== (y as NixPath).path) throw new AssertionError(`path '${show(x)}' is not equal to path '${show(y)}'`);
    return;
  }
  if (x === null) return;
  if (Array.isArray(x)) {
    const ys = y as Lazy[];
    if (x.length !== ys.length) {
      throw new AssertionError(`list of size '${x.length}' is not equal to list of size '${ys.length}', left hand side is '${show(x)}', right hand side is '${show(y)}'`);
    }
    for (let i = 0; i < x.length; i++) {
      try {
        assertEqValues(x[i]!, ys[i]!, pos);
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(pos, `while comparing list element ${i}`);
        throw err;
      }
    }
    return;
  }
  if (x instanceof NixAttrs) {
    const z = y as NixAttrs;
    if (isDerivation(x) && isDerivation(z)) {
      const p = x.get("outPath");
      const q = z.get("outPath");
      if (p !== undefined && q !== undefined) {
        try {
          assertEqValues(p, q, pos);
          return;
        } catch (err) {
          if (err instanceof EvalError) err.addTrace(pos, "while comparing a derivation by its 'outPath' attribute");
          throw err;
        }
      }
    }
    if (x.size !== z.size) throw new AssertionError(`attribute names of attribute set '${show(x)}' differs from attribute set '${show(y)}'`);
    for (let i = 0; i < x.names.length; i++) {
      const name = x.names[i]!;
      const other = z.names[i]!;
      if (name !== other) {
        if (!z.has(name)) throw new AssertionError(`attribute name '${name}' is contained in '${show(x)}', but not in '${show(y)}'`);
        throw new AssertionError(`attribute name '${other}' is missing in '${show(x)}', but is contained in '${show(y)}'`);
      }
      try {
        assertEqValues(x.values[i]!, z.values[i]!, pos);
      } catch (err) {
        if (err instanceof EvalError) {
          const lpos = tracedPos(x.positions[i]!);
          const rpos = tracedPos(z.positions[i]!);
          if (rpos !== 0) err.addTrace(rpos, "where right hand side is");
          if (lpos !== 0) err.addTrace(lpos, "where left hand side is");
          err.addTrace(pos, `while comparing attribute '${printIdentifier(name)}'`);
        }
        throw err;
      }
    }
    return;
  }
  if (isFunctionValue(x) || isFunctionValue(y)) throw new AssertionError("distinct functions and immediate comparisons of identical functions compare as unequal");
  if (x instanceof NixFloat) {
    if (x.value !== (y as NixFloat).value) throw new AssertionError(`float '${fixed6(x.value)}' is not equal to float '${fixed6((y as NixFloat).value)}'`);
  }
}

/**
 * The error of a failed `assert`: for `a == b` the first difference (evaluating
 * both sides again with `evalSide`), with the assertion named in a frame;
 * otherwise `assertion '…' failed`.
 */
export function assertionFailure(shown: string, pos: number, eq: { left: () => Value; right: () => Value; pos: number } | undefined): EvalError {
  if (eq !== undefined) {
    try {
      assertEqValues(eq.left(), eq.right(), eq.pos);
    } catch (err) {
      if (err instanceof AssertionError) return err.addTrace(pos, `while evaluating the condition of the assertion '${shown}'`);
      throw err;
    }
  }
  return new AssertionError(`assertion '${shown}' failed`, pos);
}
