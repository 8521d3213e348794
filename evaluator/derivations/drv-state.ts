/**
 * Per-evaluation derivation state: the store evaluation writes to (or only
 * computes with) and the hashDerivationModulo memo shared by all derivations of
 * the evaluation. Keyed by EvalState so a new evaluation starts clean.
 */
import { DerivationHasher } from "../../store/index.js";
import { evalState, type EvalState } from "../eval/index.js";
import { CachingEvalStore, ComputingEvalStore, isEvalStore, type EvalStore } from "./eval-store.js";

/** A context element taken apart: a plain path, an output of a derivation, or a derivation with all its outputs. */
export interface ContextElement {
  readonly kind: "path" | "output" | "all";
  readonly path: string;
  readonly output: string;
}

export interface DrvState {
  readonly store: EvalStore;
  readonly hasher: DerivationHasher;
  /** Context elements taken apart, their paths checked to be store paths (they recur across derivations). */
  readonly contextElements: Map<string, ContextElement>;
  /** Nothing is written (--eval, --readonly-mode): only paths already on disk are valid, as in CppNix. */
  readonly readOnly: boolean;
}

const states = new WeakMap<EvalState, DrvState>();

/** The store for an evaluation: the caller's writing store unless read-only, else a computing one. */
function storeFor(state: EvalState): EvalStore {
  if (!state.readOnly && isEvalStore(state.store)) return new CachingEvalStore(state.store);
  return new CachingEvalStore(new ComputingEvalStore(state.store.storeDir, false));
}

/** The last state asked for (one evaluation at a time asks thousands of times). */
let lastState: EvalState | undefined;
let lastDrvState: DrvState | undefined;

export function drvState(state: EvalState = evalState()): DrvState {
  if (state === lastState) return lastDrvState!;
  let s = states.get(state);
  if (s === undefined) {
    const store = storeFor(state);
    s = { store, hasher: new DerivationHasher((p) => store.readDerivation(p)), contextElements: new Map(), readOnly: state.readOnly };
    states.set(state, s);
  }
  lastState = state;
  lastDrvState = s;
  return s;
}
