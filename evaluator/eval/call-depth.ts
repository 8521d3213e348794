/**
 * Current CppNix's `max-call-depth`: a counter of nested calls (lambda and primop
 * calls, and each level of deep forcing, toJSON/toXML, string coercion and equality)
 * that ends a too deep evaluation with "stack overflow; max-call-depth exceeded"
 * instead of running on. The hot paths bump `calls.depth` inline: incremented before,
 * decremented after a normal return only (no try/finally); code that catches an
 * error and evaluates on restores the depth it saved before the attempt.
 */
import { StackOverflowError } from "./errors.js";

/** CppNix's default `max-call-depth`. */
export const DEFAULT_MAX_CALL_DEPTH = 10_000;

/** The depth of the evaluation in progress and its limit (reset by each EvalState). */
export const calls = { depth: 0, max: DEFAULT_MAX_CALL_DEPTH };

/** Starts a new evaluation at depth 0 with the given limit. */
export function resetCallDepth(max = DEFAULT_MAX_CALL_DEPTH): void {
  calls.depth = 0;
  calls.max = max;
}

/** The error thrown when the depth would exceed the limit. */
export function callDepthExceeded(pos: number): StackOverflowError {
  const err = new StackOverflowError(pos);
  err.message = "stack overflow; max-call-depth exceeded";
  return err;
}

/** Enters one level (CppNix's addCallDepth): the check happens before counting. */
export function enterCall(pos: number): void {
  if (calls.depth > calls.max) throw callDepthExceeded(pos);
  calls.depth++;
}

/** Leaves a level entered by enterCall (after a normal return only). */
export function leaveCall(): void {
  calls.depth--;
}

/** The current depth, for code that may catch an error and evaluate on. */
export function saveCallDepth(): number {
  return calls.depth;
}

/** Back to a saved depth after a caught error (the levels it unwound were never left). */
export function restoreCallDepth(depth: number): void {
  calls.depth = depth;
}
