/**
 * Commits what a StagingStoreWriter staged to a real (asynchronous) store,
 * references before referrers. The store is described structurally
 * (Lading's LocalStore fits) so the evaluator does not depend on the builder.
 * With a store whose single-path commit is atomic and refuses a path whose
 * references are not valid, a crash at any point leaves the valid paths closed
 * under references.
 */
import {
  parseContentAddress,
  parseHash,
  parseStorePath,
  type ContentAddress,
  type Hash,
  type StorePath,
} from "../../store/index.js";
import type { StagedPath } from "./staging-writer.js";

/**
 * A staged object as LocalStore.commit takes it (its StagedNar): `contentPath` is
 * renamed into the store, then `dir` is removed whatever happened — here the staged
 * object itself, so nothing else in the staging directory is touched. A text not
 * written during evaluation goes as its `contents` instead, which the store writes
 * straight into place (no staging copy to create, canonicalise and rename).
 */
export interface StagedObject {
  readonly dir: string;
  readonly contentPath: string;
  readonly narHash: Hash;
  readonly narSize: number;
  readonly contents?: Uint8Array;
}

/** The registration of one staged object. */
export interface StagedInfo {
  path: StorePath;
  narHash: Hash;
  narSize: number;
  references: StorePath[];
  ca?: ContentAddress;
  ultimate?: boolean;
}

/**
 * What committing needs from a store: LocalStore's commit, and its commitMany (one
 * batch, references inside the batch allowed, two fsyncs in all) when it has one.
 */
export interface StagedCommitTarget {
  readonly storeDir: string;
  isValid(path: StorePath): boolean;
  commit(staged: StagedObject, info: StagedInfo): Promise<unknown>;
  commitMany?(items: readonly { staged: StagedObject; info: StagedInfo }[]): Promise<unknown>;
}

function stagedObject(p: StagedPath, narHash: Hash = parseHash(p.narHash, "sha256")): StagedObject {
  const object = { dir: p.file, contentPath: p.file, narHash, narSize: p.narSize };
  return p.contents === undefined ? object : { ...object, contents: Buffer.from(p.contents, "latin1") };
}

/** Parsed store paths by text: the same references recur across thousands of staged paths. */
type PathCache = Map<string, StorePath>;

function parsePath(store: StagedCommitTarget, path: string, cache: PathCache): StorePath {
  let parsed = cache.get(path);
  if (parsed === undefined) cache.set(path, (parsed = parseStorePath(path, store.storeDir)));
  return parsed;
}

function stagedInfo(store: StagedCommitTarget, p: StagedPath, cache: PathCache = new Map()): StagedInfo {
  return {
    path: parsePath(store, p.path, cache),
    narHash: parseHash(p.narHash, "sha256"),
    narSize: p.narSize,
    references: p.references.map((r) => parsePath(store, r, cache)),
    ca: parseContentAddress(p.ca),
    ultimate: true,
  };
}

/** Commits in flight at once: independent paths overlap their fsyncs. */
const PARALLEL_COMMITS = 16;

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

/**
 * Registers the staged paths the store does not hold yet (moving the staged copies
 * into the store); returns the paths registered now. With commitMany, as one batch;
 * otherwise a path is committed once every staged path it refers to is, and
 * independent paths are committed concurrently.
 */
export async function commitStaged(store: StagedCommitTarget, staged: readonly StagedPath[]): Promise<StorePath[]> {
  if (store.commitMany !== undefined) {
    const cache: PathCache = new Map();
    const items = referencesFirst(staged)
      .map((p) => {
        const info = stagedInfo(store, p, cache);
        return { staged: stagedObject(p, info.narHash), info };
      })
      .filter((item) => !store.isValid(item.info.path));
    if (items.length > 0) await store.commitMany(items);
    return items.map((item) => item.info.path);
  }
  const added: StorePath[] = [];
  const done = new Map<string, Promise<void>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    while (running >= PARALLEL_COMMITS) await new Promise<void>((wake) => waiting.push(wake));
    running++;
  };
  const release = (): void => {
    running--;
    waiting.shift()?.();
  };
  const commitOne = async (p: StagedPath): Promise<void> => {
    await Promise.all(p.references.filter((r) => r !== p.path).map((r) => done.get(r)));
    const info = stagedInfo(store, p);
    if (store.isValid(info.path)) return;
    await slot();
    try {
      await store.commit(stagedObject(p), info);
    } finally {
      release();
    }
    added.push(info.path);
  };
  // referencesFirst: every reference's promise exists before its referrer's is made.
  for (const p of referencesFirst(staged)) done.set(p.path, commitOne(p));
  const results = await Promise.allSettled(done.values());
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return added;
}
