/**
 * Instantiation that writes into Lading's local store. The evaluation (synchronous,
 * in a deep-stack worker) stages every path it creates in a private directory; then
 * the staged paths are committed to the LocalStore one by one, references before
 * referrers. Each commit is atomic and checks that the path's references are already
 * valid, so a crash at any point leaves valid paths closed under references and only
 * a staging directory to clean up (done by the next run).
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { dumpNar, parseContentAddress, parseHash, parseStorePath, type StorePath } from "../../store/index.js";
import type { LocalStore } from "../../builder/index.js";
import { callInWorker, instantiateDrvsStaged, type InstantiateOptions, type StagedInstantiation, type StagedPath, type StagingOptions } from "../../evaluator/index.js";

const STACK_MB = 1024;

/** `paths` ordered so every path comes after the staged paths it refers to. */
export function referencesFirst(paths: readonly StagedPath[]): StagedPath[] {
  const byPath = new Map(paths.map((p) => [p.path, p]));
  const state = new Map<string, "visiting" | "done">();
  const out: StagedPath[] = [];
  const visit = (p: StagedPath): void => {
    const seen = state.get(p.path);
    if (seen === "done") return;
    if (seen === "visiting") throw new Error(`reference cycle through '${p.path}'`);
    state.set(p.path, "visiting");
    for (const ref of p.references) {
      const staged = byPath.get(ref);
      if (staged !== undefined && ref !== p.path) visit(staged);
    }
    state.set(p.path, "done");
    out.push(p);
  };
  for (const p of paths) visit(p);
  return out;
}

/** Registers the staged paths the store does not hold yet; returns the paths registered now. */
export async function commitStaged(store: LocalStore, staged: readonly StagedPath[]): Promise<StorePath[]> {
  const added: StorePath[] = [];
  for (const p of referencesFirst(staged)) {
    const path = parseStorePath(p.path, store.storeDir);
    if (store.isValid(path)) continue;
    const narHash = parseHash(p.narHash, "sha256");
    const stagedNar = await store.stageNar(dumpNar(Buffer.from(p.file, "latin1")));
    await store.commit(stagedNar, {
      path,
      narHash,
      narSize: p.narSize,
      references: p.references.map((r) => parseStorePath(r, store.storeDir)),
      ca: parseContentAddress(p.ca),
      ultimate: true,
    });
    added.push(path);
  }
  return added;
}

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
  if (process.env.LADING_EVAL_IN_MAIN) return Promise.resolve(instantiateDrvsStaged(options, staging));
  const url = new URL("../../evaluator/index.js", import.meta.url).href;
  return callInWorker<StagedInstantiation>(url, "instantiateDrvsStaged", [{ ...options, cwd: process.cwd() }, staging], { stackMb: STACK_MB });
}

/**
 * Evaluates `options` (nix-instantiate without --eval) and writes what it created
 * into `store`. The result's stdout lists the .drv paths as nix-instantiate prints them.
 */
export async function instantiateIntoStore(store: LocalStore, dataDir: string, options: InstantiateOptions): Promise<StagedInstantiation> {
  const stagingDir = await makeStagingDir(dataDir);
  try {
    const validPaths = store.allValidPaths().map((p) => p.render(store.storeDir));
    const staged = await stage(options, { stagingDir, validPaths, storeDir: store.storeDir });
    if (staged.result.exitCode === 0) await commitStaged(store, staged.staged);
    return staged;
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}
