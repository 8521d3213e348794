/**
 * The registry of built-in functions and constants.
 *
 * Builtin files (under evaluator/builtins/) call `definePrimOp` / `defineConstant`
 * at module load; the evaluator builds the `builtins` set and the global scope from
 * the registry when an `EvalState` is created, so every builtin file must have been
 * imported before that (evaluator/builtins/index.ts imports them all).
 *
 * Naming follows CppNix: a name registered as `__foo` is `builtins.foo` and the
 * global `__foo`; a name registered without the prefix (`map`, `throw`, `import`,
 * `toString`, …) is `builtins.map` AND the global `map`.
 *
 * The evaluator core registers the names the language itself depends on (see
 * CORE_PRIMOPS in core-primops.ts): the desugared operators `__sub __mul __div
 * __lessThan`, `import scopedImport __findFile __nixPath throw abort __tryEval
 * __addErrorContext builtins true false null`. A second registration of a name is
 * an error, so duplicates surface at start-up.
 */
import { PrimOp, type PrimOpImpl, type Lazy, type Value } from "./value.js";

export interface ConstantDef {
  readonly name: string;
  /** The value, or a function computing it once per EvalState (e.g. currentTime). */
  readonly value: Value | (() => Value);
}

const primops = new Map<string, PrimOp>();
const constants = new Map<string, ConstantDef>();

/**
 * Registers a built-in function. `impl` gets exactly `arity` unevaluated
 * arguments and the call position; it returns a forced value (or a list/set whose
 * elements may be thunks).
 */
export function definePrimOp(name: string, arity: number, impl: PrimOpImpl): PrimOp {
  if (primops.has(name) || constants.has(name)) throw new Error(`builtin '${name}' registered twice`);
  if (arity < 1) throw new Error(`builtin '${name}': arity must be at least 1 (use defineConstant)`);
  const op = new PrimOp(name, arity, impl);
  primops.set(name, op);
  return op;
}

/** Registers a constant such as `__nixVersion` or `__currentSystem`. */
export function defineConstant(name: string, value: Value | (() => Value)): void {
  if (primops.has(name) || constants.has(name)) throw new Error(`builtin '${name}' registered twice`);
  constants.set(name, { name, value });
}

/** True when a builtin of that (registered) name exists. */
export function isRegistered(name: string): boolean {
  return primops.has(name) || constants.has(name);
}

/** The name inside `builtins` of a registered name (`__foo` → `foo`). */
export function builtinName(registered: string): string {
  return registered.startsWith("__") ? registered.slice(2) : registered;
}

/** All registered primops and constants (read by the EvalState constructor). */
export function registeredBuiltins(): { primops: ReadonlyMap<string, PrimOp>; constants: ReadonlyMap<string, ConstantDef> } {
  return { primops, constants };
}

/** The PrimOp registered under a name, for builtins that call other builtins. */
export function getPrimOp(name: string): PrimOp | undefined {
  return primops.get(name);
}

export type { Lazy };
