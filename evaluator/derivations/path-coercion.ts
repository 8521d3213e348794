/**
 * `"${./dir}"` copies through EvalState.store (the core's StoreBackend seam). When
 * the caller plugged in no store, the core's default `computingStore` is used; it
 * is routed here to the evaluation's EvalStore so interpolated paths, `builtins.path`
 * and derivations share one store, one cache and the full rendered store path.
 */
import { computingStore } from "../eval/index.js";
import { drvState } from "./drv-state.js";

(computingStore as { addPathToStore(path: string, readOnly: boolean): string }).addPathToStore = (path: string): string =>
  drvState().store.addPathToStore(path, true);
