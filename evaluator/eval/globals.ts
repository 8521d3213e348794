/**
 * The global scope and the `builtins` set, built from the primop registry once
 * per EvalState (CppNix's createBaseEnv): a name registered as `__foo` is global
 * `__foo` and `builtins.foo`; `map`, `import`, … are global under their own name.
 */
import { Env, NixAttrs, type Lazy, type Value } from "./value.js";
import { builtinName, registeredBuiltins } from "./primops.js";
import { StaticScope, rankGlobals } from "./scope.js";
import type { EvalState } from "./state.js";
import "./core-primops.js";

const scopes = new WeakMap<EvalState, StaticScope>();

/** Builds `state.baseEnv`, `state.builtins` and the static base scope (once). */
export function initGlobals(state: EvalState): void {
  if (scopes.has(state)) return;
  const { primops, constants } = registeredBuiltins();
  const names = new Map<string, number>();
  const values: Lazy[] = [];
  const builtinsMap = new Map<string, Lazy>();
  const add = (registered: string, v: Lazy): void => {
    names.set(registered, values.length);
    values.push(v);
    builtinsMap.set(builtinName(registered), v);
  };
  for (const [name, op] of primops) add(name, op);
  for (const [name, def] of constants) {
    const v: Value = typeof def.value === "function" ? def.value() : def.value;
    add(name, v);
  }
  // `builtins.builtins` is `builtins` itself, as in CppNix (its set holds every global
  // constant, this one included): a placeholder, replaced once the set exists.
  builtinsMap.set("builtins", null);
  const builtins = NixAttrs.fromMap(builtinsMap);
  (builtins.values as Lazy[])[builtins.indexOf("builtins")] = builtins;
  names.set("builtins", values.length);
  values.push(builtins);
  state.builtins = builtins;
  state.globalNames = names;
  state.baseEnv = new Env(null, values);
  scopes.set(state, new StaticScope(null, names));
  rankGlobals(["builtins", ...names.keys()]);
}

/** The static scope of the global names. */
export function baseScope(state: EvalState): StaticScope {
  initGlobals(state);
  return scopes.get(state)!;
}
