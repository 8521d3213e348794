/**
 * `nix-instantiate` that writes: evaluation stages every path it creates (.drv
 * files, toFile texts, sources) in `stagingDir` and returns them with the usual
 * output, for the caller to commit to its store asynchronously. Runs in a worker as
 * well as on the main thread (arguments and result are plain data).
 */
import { DEFAULT_STORE_DIR } from "../../store/index.js";
import type { InstantiateOptions, InstantiateResult } from "../eval/index.js";
import { instantiateDrvs } from "./instantiate-drvs.js";
import { StagingStoreWriter, type StagedPath } from "./staging-writer.js";
import { WritingEvalStore } from "./writing-store.js";

export interface StagedInstantiation {
  readonly result: InstantiateResult;
  /** References before referrers. */
  readonly staged: StagedPath[];
}

export interface StagingOptions {
  /** An existing empty directory the staged copies go into. */
  readonly stagingDir: string;
  /** Paths the store already holds (full store paths); they are not staged again. */
  readonly validPaths: readonly string[];
  readonly storeDir?: string;
  /** Where the store keeps valid paths on disk (`<root><storeDir>`), for reading them during evaluation. */
  readonly realStoreDir?: string;
}

export function instantiateDrvsStaged(opts: InstantiateOptions, staging: StagingOptions): StagedInstantiation {
  const valid = new Set(staging.validPaths);
  const storeDir = staging.storeDir ?? DEFAULT_STORE_DIR;
  const writer = new StagingStoreWriter(storeDir, staging.stagingDir, (p) => valid.has(p), staging.realStoreDir ?? storeDir);
  const result = instantiateDrvs(opts, new WritingEvalStore(writer));
  return { result, staged: result.exitCode === 0 ? writer.stagedPaths() : [] };
}
