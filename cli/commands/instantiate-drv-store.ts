/**
 * Instantiation that writes into Lading's local store. The evaluation (synchronous,
 * on this thread or, when the stack runs out, in a deep-stack worker) stages every path it creates in a private directory; then
 * the staged paths are committed to the LocalStore one by one, references before
 * referrers. Each commit is atomic and checks that the path's references are already
 * valid, so a crash at any point leaves valid paths closed under references and only
 * a staging directory to clean up (done by the next run).
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LocalStore } from "../../builder/index.js";
import { withStackFallback } from "./stack-fallback.js";
import { callInWorker, commitStaged, instantiateDrvsStaged, type InstantiateOptions, type StagedInstantiation, type StagingOptions } from "../../evaluator/index.js";

const STACK_MB = 1024;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A fresh staging directory `<dataDir>/staging/<pid>-<n>`, after removing those of dead processes. */
async function makeStagingDir(dataDir: string): Promise<string> {
  const parent = join(dataDir, "staging");
  await mkdir(parent, { recursive: true });
  for (const name of await readdir(parent)) {
    const pid = Number.parseInt(name, 10);
    if (Number.isSafeInteger(pid) && pid !== process.pid && !isAlive(pid)) await rm(join(parent, name), { recursive: true, force: true });
  }
  for (let n = 0; ; n++) {
    const dir = join(parent, `${process.pid}-${n}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

function stage(options: InstantiateOptions, staging: StagingOptions): Promise<StagedInstantiation> {
  const url = new URL("../../evaluator/index.js", import.meta.url).href;
  return withStackFallback({
    main: () => instantiateDrvsStaged(options, staging),
    overflowed: (s) => s.result.stackOverflow === true,
    worker: () => callInWorker<StagedInstantiation>(url, "instantiateDrvsStaged", [{ ...options, cwd: process.cwd() }, staging], { stackMb: STACK_MB }),
    workerStackMb: STACK_MB,
    // The writer wants an empty directory: drop what the first attempt staged.
    reset: async () => {
      await rm(staging.stagingDir, { recursive: true, force: true });
      await mkdir(staging.stagingDir);
    },
  });
}

/**
 * Evaluates `options` (nix-instantiate without --eval) and writes what it created
 * into `store`. The result's stdout lists the .drv paths as nix-instantiate prints them.
 */
export async function instantiateIntoStore(store: LocalStore, dataDir: string, options: InstantiateOptions): Promise<StagedInstantiation> {
  const stagingDir = await makeStagingDir(dataDir);
  try {
    const validPaths = store.allValidPaths().map((p) => p.render(store.storeDir));
    const staged = await stage(options, { stagingDir, validPaths, storeDir: store.storeDir, realStoreDir: store.realStoreDir });
    if (staged.result.exitCode === 0) await commitStaged(store, staged.staged);
    return staged;
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}
