/**
 * Derivations and the store as the evaluator sees it. Importing this module
 * registers `derivationStrict`, `derivation`, `toFile`, `path`, `filterSource`,
 * `storePath` and the fetchers.
 */
import "./derivation-strict.js";
import "./derivation-nix.js";
import "./sources.js";
import "./fetchers.js";
import "./realise-path.js";

export { instantiateDerivation } from "./derivation-strict.js";
export { CachingEvalStore, ComputingEvalStore, isEvalStore, type EvalStore } from "./eval-store.js";
export { drvState, type DrvState } from "./drv-state.js";
export type { PathFilter } from "./filtered-nar.js";
export { COREPKGS_PREFIX } from "./derivation-nix.js";
export { instantiateDrvs, setDefaultEvalStore } from "./instantiate-drvs.js";
export { HashMismatchError } from "./fetchers.js";
export { WritingEvalStore, type StoreWriter } from "./writing-store.js";
export { StagingStoreWriter, textNarHash, type StagedPath } from "./staging-writer.js";
export { commitStaged, referencesFirst, type StagedCommitTarget, type StagedInfo, type StagedObject } from "./commit-staged.js";
export { instantiateDrvsStaged, type StagedInstantiation, type StagingOptions } from "./instantiate-staged.js";
