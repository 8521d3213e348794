import { closeSync, fchmodSync, fsyncSync, futimesSync, lstatSync, openSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readlink, rename, symlink, unlink, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import {
  DEFAULT_STORE_DIR,
  HashSink,
  StorePath,
  computeTextPath,
  dumpNar,
  hashBytes,
  makeSourcePath,
  maybeParseStorePath,
  parseStorePath,
  restoreNar,
  sortStorePaths,
  type ByteSource,
  type Hash,
} from "../../store/index.js";
import { canonicaliseTree, fsyncPath, isErrno, removeTree, treeSize, uniqueName } from "./fs-util.js";
import { KeyedMutex, SharedExclusiveLock, acquireOwnerLock } from "./locks.js";
import { MetadataDb } from "./metadata-db.js";
import { referencesWithoutSelf, type NewPathInfo, type PathInfo } from "./path-info.js";

export interface LocalStoreOptions {
  /** Physical root, like CppNix's `local?root=`: objects live in `<root><storeDir>/`. */
  root: string;
  /** The logical store directory paths are named in; it never changes hashes. */
  storeDir?: string;
  /** fsync every restored file before its path is registered (power-loss safety). */
  fsyncContents?: boolean;
  /**
   * Another process has the store open: wait for it (called once with its pid), as the
   * CLI does, instead of failing at once (the server's choice: a second server is a mistake).
   */
  waitForLock?: (owner: number) => void;
  /** Test hook: runs after an object is renamed into place and before its metadata commits. */
  afterContentRename?: (path: StorePath) => void | Promise<void>;
}

/** A NAR unpacked under a temporary name, hashed, not yet a store path. */
export interface StagedNar {
  readonly dir: string;
  readonly contentPath: string;
  readonly narHash: Hash;
  readonly narSize: number;
  /**
   * A regular, non-executable file given by its bytes instead (a .drv, a text):
   * written straight into place when committed, so `dir` and `contentPath` are
   * not read. The caller vouches for narHash and narSize.
   */
  readonly contents?: Uint8Array;
}

export interface StageOptions {
  /** Called with the count of NAR bytes read so far, after each chunk. */
  onBytes?: (narBytes: number) => void;
}

export interface GcOptions {
  /** Roots in addition to the symlinks in the roots directory. */
  roots?: Iterable<StorePath>;
  /** Report what would be deleted without deleting. */
  dryRun?: boolean;
}

export interface GcResult {
  /** Valid paths deleted (or that would be, in a dry run), referrers before their references. */
  deleted: StorePath[];
  /** Leftovers removed: objects without metadata and staging directories of dead processes. */
  leftovers: string[];
  bytesFreed: number;
}

/** Per-path steps of a batch commit in flight at once. */
const BATCH_CONCURRENCY = 32;

/** Items per event-loop turn in forEachChunk: short enough not to stall a server's other requests. */
const SYNC_CHUNK = 32;

/** Runs `fn` (synchronous file-system steps) over `items` one after another, yielding to the event loop between chunks. */
async function forEachChunk<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % SYNC_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
    await fn(items[i]!);
  }
}

/** Store objects carry mtime 1 (as canonicaliseTree makes them). */
const CANONICAL_MTIME = 1;

/** Whether the umask leaves 0444 as it is (then a created file needs no chmod). */
const UMASK_KEEPS_READ = (process.umask() & 0o444) === 0;

/**
 * Creates a store object (a regular, non-executable file) from its bytes at
 * `target`: read-only, mtime 1, as canonicaliseTree would leave it — all on the
 * open descriptor, with no staging copy to write, canonicalise and rename. An
 * unregistered leftover of a crash at `target` is removed first.
 */
async function writeObjectFile(target: string, contents: Uint8Array, fsyncContents: boolean): Promise<void> {
  let fd: number;
  try {
    fd = openSync(target, "wx", 0o444);
  } catch (err) {
    if (!isErrno(err, "EEXIST")) throw err;
    await removeTree(target);
    fd = openSync(target, "wx", 0o444);
  }
  try {
    writeFileSync(fd, contents);
    if (!UMASK_KEEPS_READ) fchmodSync(fd, 0o444);
    futimesSync(fd, CANONICAL_MTIME, CANONICAL_MTIME);
    if (fsyncContents) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Runs `fn` over `items` with at most `limit` running; the first failure is thrown after the running ones settle. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

export class PathNotValidError extends Error {
  override name = "PathNotValidError";
}

export class HashMismatchError extends Error {
  override name = "HashMismatchError";
}

/**
 * A Nix store on the local file system. Paths are valid exactly when their metadata
 * file `<root>/nix/var/lading/db/<base>.json` exists. Registration writes the object
 * under a temporary name, makes it read-only, renames it into place and only then
 * commits the metadata atomically, after every reference is valid: a crash never
 * leaves a path that looks valid but is not, and the store directory's leftovers are
 * removed when the store is next opened or collected.
 */
export class LocalStore {
  readonly storeDir: string;
  readonly root: string;
  /** Where objects physically are: `<root><storeDir>`. */
  readonly realStoreDir: string;
  private readonly dbDir: string;
  private readonly db: MetadataDb;
  private readonly tmpDir: string;
  readonly rootsDir: string;
  private readonly index = new Map<string, PathInfo>();
  private readonly byHashPart = new Map<string, StorePath>();
  private referrersIndex: Map<string, Set<string>> | undefined;
  private readonly gcLock = new SharedExclusiveLock();
  private readonly pathMutex = new KeyedMutex();
  private readonly tempRoots = new Map<string, number>();
  private processTmp: string | undefined;
  private processTmpReady: Promise<string> | undefined;
  private releaseLock: (() => Promise<void>) | undefined;

  private constructor(private readonly options: LocalStoreOptions) {
    this.storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
    this.root = resolve(options.root);
    this.realStoreDir = join(this.root, this.storeDir);
    const varDir = join(this.root, "nix", "var", "lading");
    this.dbDir = join(varDir, "db");
    this.db = new MetadataDb(this.dbDir, this.storeDir);
    this.tmpDir = join(varDir, "tmp");
    this.rootsDir = join(varDir, "gcroots");
  }

  /** Opens (creating if needed) the store, takes its owner lock and recovers from any crash. */
  static async open(options: LocalStoreOptions): Promise<LocalStore> {
    const store = new LocalStore(options);
    for (const dir of [store.realStoreDir, store.dbDir, store.tmpDir, store.rootsDir]) {
      await mkdir(dir, { recursive: true });
    }
    store.releaseLock = await acquireOwnerLock(join(store.root, "nix", "var", "lading", "lock"), options.waitForLock);
    try {
      await store.loadIndex();
      await store.removeLeftovers(false);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async close(): Promise<void> {
    if (this.processTmp) await removeTree(this.processTmp).catch(() => {});
    this.processTmp = undefined;
    this.processTmpReady = undefined;
    await this.releaseLock?.();
    this.releaseLock = undefined;
  }

  // ---- queries -------------------------------------------------------------

  realPath(path: StorePath): string {
    return join(this.realStoreDir, path.baseName);
  }

  isValid(path: StorePath): boolean {
    return this.index.has(path.baseName);
  }

  queryPathInfo(path: StorePath): PathInfo | undefined {
    return this.index.get(path.baseName);
  }

  /** The valid path with this hash part, as for a `<hash>.narinfo` request. */
  queryPathFromHashPart(hashPart: string): StorePath | undefined {
    return this.byHashPart.get(hashPart);
  }

  allValidPaths(): StorePath[] {
    return sortStorePaths([...this.index.values()].map((i) => i.path));
  }

  queryReferences(path: StorePath): StorePath[] {
    return this.requireInfo(path).references;
  }

  /** Valid paths that refer to `path` (itself excluded). */
  queryReferrers(path: StorePath): StorePath[] {
    if (!this.referrersIndex) {
      const map = new Map<string, Set<string>>();
      for (const info of this.index.values()) {
        for (const ref of referencesWithoutSelf(info)) {
          let set = map.get(ref.baseName);
          if (!set) map.set(ref.baseName, (set = new Set()));
          set.add(info.path.baseName);
        }
      }
      this.referrersIndex = map;
    }
    return sortStorePaths([...(this.referrersIndex.get(path.baseName) ?? [])].map((b) => StorePath.fromBaseName(b)));
  }

  /** The closure (requisites) of `paths`: everything they reference, transitively, themselves included. */
  computeClosure(paths: Iterable<StorePath>): StorePath[] {
    const seen = new Map<string, StorePath>();
    const stack = [...paths];
    while (stack.length > 0) {
      const path = stack.pop()!;
      if (seen.has(path.baseName)) continue;
      seen.set(path.baseName, path);
      for (const ref of this.requireInfo(path).references) if (!seen.has(ref.baseName)) stack.push(ref);
    }
    return sortStorePaths(seen.values());
  }

  /** `paths` ordered so each comes after the paths it references (registration order). */
  topoSort(paths: Iterable<StorePath>): StorePath[] {
    const wanted = new Map(sortStorePaths(paths).map((p) => [p.baseName, p]));
    const done = new Set<string>();
    const out: StorePath[] = [];
    const visit = (path: StorePath, depth: number): void => {
      if (done.has(path.baseName)) return;
      if (depth > wanted.size) throw new Error(`reference cycle through '${path.render(this.storeDir)}'`);
      for (const ref of referencesWithoutSelf(this.requireInfo(path))) {
        if (wanted.has(ref.baseName)) visit(ref, depth + 1);
      }
      done.add(path.baseName);
      out.push(path);
    };
    for (const p of wanted.values()) visit(p, 0);
    return out;
  }

  private requireInfo(path: StorePath): PathInfo {
    const info = this.index.get(path.baseName);
    if (!info) throw new PathNotValidError(`path '${path.render(this.storeDir)}' is not valid`);
    return info;
  }

  // ---- adding paths --------------------------------------------------------

  /** Unpacks a NAR under a temporary name while hashing it; nothing is registered yet. */
  async stageNar(source: ByteSource, options: StageOptions = {}): Promise<StagedNar> {
    const dir = join(await this.ensureProcessTmp(), uniqueName("stage-"));
    await mkdir(dir);
    const contentPath = join(dir, "object");
    const hasher = new HashSink("sha256");
    const onBytes = options.onBytes;
    // The source's own failure (a broken download, bad compressed data) is the real cause
    // even when the NAR parser reports it as a malformed archive.
    let sourceError: unknown;
    async function* hashing(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of source as AsyncIterable<Uint8Array>) {
          hasher.update(chunk);
          onBytes?.(hasher.size);
          yield chunk;
        }
      } catch (err) {
        sourceError = err;
        throw err;
      }
    }
    try {
      await restoreNar(hashing(), contentPath);
    } catch (err) {
      await removeTree(dir).catch(() => {});
      throw sourceError ?? err;
    }
    return { dir, contentPath, narHash: hasher.finish(), narSize: hasher.size };
  }

  /**
   * A fresh directory on the store's file system, inside this process's staging area:
   * what is built there can be renamed into place, and a crash leaves nothing that
   * the next open does not remove.
   */
  async makeScratchDir(prefix: string): Promise<string> {
    const dir = join(await this.ensureProcessTmp(), uniqueName(prefix));
    await mkdir(dir);
    return dir;
  }

  async discard(staged: StagedNar): Promise<void> {
    await removeTree(staged.dir);
  }

  /**
   * Registers a staged object as `info.path` after checking its NAR hash and size and
   * that every reference is already valid. If the path became valid meanwhile, the
   * staged copy is dropped and the existing registration returned.
   */
  async commit(staged: StagedNar, newInfo: NewPathInfo): Promise<PathInfo> {
    return this.gcLock.withShared(() => this.commitLocked(staged, newInfo));
  }

  private async commitLocked(staged: StagedNar, newInfo: NewPathInfo): Promise<PathInfo> {
    const path = newInfo.path;
    const where = path.render(this.storeDir);
    try {
      if (!staged.narHash.equals(newInfo.narHash) || staged.narSize !== newInfo.narSize) {
        throw new HashMismatchError(
          `hash mismatch importing path '${where}';\n  specified: ${newInfo.narHash.format("base32")} (${newInfo.narSize} bytes)\n  got:       ${staged.narHash.format("base32")} (${staged.narSize} bytes)`,
        );
      }
      for (const ref of referencesWithoutSelf(newInfo)) {
        if (!this.isValid(ref)) {
          throw new PathNotValidError(`cannot register '${where}': its reference '${ref.render(this.storeDir)}' is not valid`);
        }
      }
      return await this.pathMutex.run(path.baseName, async () => {
        const existing = this.index.get(path.baseName);
        if (existing) return existing;
        const target = this.realPath(path);
        if (staged.contents !== undefined) await writeObjectFile(target, staged.contents, this.options.fsyncContents === true);
        else {
          await canonicaliseTree(staged.contentPath, this.options.fsyncContents);
          await removeTree(target); // an unregistered leftover of a crash, if any
          await rename(staged.contentPath, target);
        }
        await fsyncPath(this.realStoreDir);
        await this.options.afterContentRename?.(path);
        const info = completePathInfo(newInfo);
        await this.db.writeOne(info, this.recordOf);
        this.remember(info);
        return info;
      });
    } finally {
      await removeTree(staged.dir).catch(() => {});
    }
  }

  /**
   * Registers many staged objects at once, each checked as `commit` checks it; a
   * reference may be valid already or in the batch. One fsync of the store directory
   * and one of the metadata directory serve the whole batch instead of three per path.
   * A crash midway is safe for the same reason as in `commit`: opening the store drops
   * metadata that does not parse, whose object is missing, or whose references are not
   * valid, so the order in which the batch becomes durable does not matter.
   */
  async commitMany(items: readonly { staged: StagedNar; info: NewPathInfo }[]): Promise<PathInfo[]> {
    try {
      return await this.gcLock.withShared(() => this.commitManyLocked(items));
    } finally {
      // Usually already gone (renamed into the store): one synchronous lstat each, not a thread-pool trip.
      const left = items.filter((i) => i.staged.contents === undefined && lstatSync(i.staged.dir, { throwIfNoEntry: false }) !== undefined);
      await Promise.all(left.map((i) => removeTree(i.staged.dir).catch(() => {})));
    }
  }

  private async commitManyLocked(items: readonly { staged: StagedNar; info: NewPathInfo }[]): Promise<PathInfo[]> {
    const inBatch = new Set(items.map((i) => i.info.path.baseName));
    for (const { staged, info } of items) {
      const where = info.path.render(this.storeDir);
      if (!staged.narHash.equals(info.narHash) || staged.narSize !== info.narSize) {
        throw new HashMismatchError(
          `hash mismatch importing path '${where}';\n  specified: ${info.narHash.format("base32")} (${info.narSize} bytes)\n  got:       ${staged.narHash.format("base32")} (${staged.narSize} bytes)`,
        );
      }
      for (const ref of referencesWithoutSelf(info)) {
        if (!this.isValid(ref) && !inBatch.has(ref.baseName)) {
          throw new PathNotValidError(`cannot register '${where}': its reference '${ref.render(this.storeDir)}' is not valid`);
        }
      }
    }
    // Every path's mutex, all taken at once.
    return this.pathMutex.runAll([...inBatch], async () => {
      const results = new Map<string, PathInfo>();
      const fresh: { staged: StagedNar; info: PathInfo }[] = [];
      for (const { staged, info: newInfo } of items) {
        const existing = this.index.get(newInfo.path.baseName) ?? results.get(newInfo.path.baseName);
        if (existing) {
          results.set(newInfo.path.baseName, existing);
          continue;
        }
        const info = completePathInfo(newInfo);
        results.set(info.path.baseName, info);
        fresh.push({ staged, info });
      }
      // Paths of a checked batch are independent: their steps overlap (each is a few
      // thread-pool round trips; one path after another left the disk idle most of the time).
      // Single files (.drv files and other texts, thousands per instantiation) take
      // synchronous steps, a chunk at a time between event-loop turns: a thread-pool
      // round trip per step cost more CPU than the step. Trees keep concurrent steps.
      const isFile = fresh.map(({ staged }) => staged.contents !== undefined || lstatSync(staged.contentPath).isFile());
      const files = fresh.filter((_, i) => isFile[i]);
      const trees = fresh.filter((_, i) => !isFile[i]);
      await forEachChunk(files, async ({ staged, info }) => {
        const target = this.realPath(info.path);
        if (staged.contents !== undefined) return writeObjectFile(target, staged.contents, this.options.fsyncContents === true);
        await canonicaliseTree(staged.contentPath, this.options.fsyncContents); // one file: no await inside
        if (lstatSync(target, { throwIfNoEntry: false }) !== undefined) await removeTree(target);
        renameSync(staged.contentPath, target);
      });
      await forEachConcurrently(trees, BATCH_CONCURRENCY, async ({ staged, info }) => {
        await canonicaliseTree(staged.contentPath, this.options.fsyncContents);
        const target = this.realPath(info.path);
        await removeTree(target);
        await rename(staged.contentPath, target);
      });
      if (fresh.length > 0) await fsyncPath(this.realStoreDir);
      for (const { info } of fresh) await this.options.afterContentRename?.(info.path);
      // Metadata only once every object of the batch is durable in place (the fsync above):
      // one file for the batch.
      if (fresh.length === 1) await this.db.writeOne(fresh[0]!.info, this.recordOf);
      else await this.db.writeBatch(fresh.map(({ info }) => info));
      for (const { info } of fresh) this.remember(info);
      return items.map((i) => results.get(i.info.path.baseName)!);
    });
  }

  /** Adds a path from its NAR (as `nix-store --import` does, one path): verify, unpack, register. */
  async addNar(info: NewPathInfo, source: ByteSource, options: StageOptions = {}): Promise<PathInfo> {
    const existing = this.queryPathInfo(info.path);
    if (existing) return existing;
    return this.commit(await this.stageNar(source, options), info);
  }

  /** A text path, as `builtins.toFile name contents` creates. */
  async addText(name: string, contents: string | Uint8Array, references: Iterable<StorePath> = []): Promise<PathInfo> {
    const refs = sortStorePaths(references);
    const path = computeTextPath(name, contents, refs, this.storeDir);
    const existing = this.queryPathInfo(path);
    if (existing) return existing;
    const dir = join(await this.ensureProcessTmp(), uniqueName("text-"));
    await mkdir(dir);
    const file = join(dir, "text");
    await writeFile(file, contents);
    const staged = await this.stageNar(dumpNar(file));
    await removeTree(dir);
    return this.commit(staged, {
      path,
      narHash: staged.narHash,
      narSize: staged.narSize,
      references: refs,
      ca: { type: "text", hash: hashBytes("sha256", contents) },
      ultimate: true,
    });
  }

  /** A source path, as `nix-store --add` / `${./dir}` creates: the NAR's sha256 names it. */
  async addPath(source: string, options: { name?: string; references?: Iterable<StorePath> } = {}): Promise<PathInfo> {
    const name = options.name ?? basename(resolve(source));
    const refs = sortStorePaths(options.references ?? []);
    const staged = await this.stageNar(dumpNar(source));
    const path = makeSourcePath(name, staged.narHash, { references: refs }, this.storeDir);
    return this.commit(staged, {
      path,
      narHash: staged.narHash,
      narSize: staged.narSize,
      references: refs,
      ca: { type: "fixed", method: "recursive", hash: staged.narHash },
      ultimate: true,
    });
  }

  /** Adds signatures to a valid path's metadata. */
  async addSignatures(path: StorePath, sigs: Iterable<string>): Promise<PathInfo> {
    return this.gcLock.withShared(() =>
      this.pathMutex.run(path.baseName, async () => {
        const info = this.requireInfo(path);
        const updated = { ...info, sigs: [...new Set([...info.sigs, ...sigs])].sort() };
        await this.db.writeOne(updated, this.recordOf);
        this.remember(updated);
        return updated;
      }),
    );
  }

  // ---- roots and garbage collection -----------------------------------------

  /** Keeps `paths` alive against collection until the returned function is called. */
  protect(paths: Iterable<StorePath>): () => void {
    const names = [...new Set([...paths].map((p) => p.baseName))];
    for (const n of names) this.tempRoots.set(n, (this.tempRoots.get(n) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const n of names) {
        const count = (this.tempRoots.get(n) ?? 1) - 1;
        if (count <= 0) this.tempRoots.delete(n);
        else this.tempRoots.set(n, count);
      }
    };
  }

  /** A permanent root: a symlink `<rootsDir>/<name>` to the path's logical location. */
  async addRoot(name: string, path: StorePath): Promise<void> {
    if (name === "" || name.includes("/") || name.startsWith(".")) throw new Error(`invalid root name '${name}'`);
    const temp = join(this.rootsDir, uniqueName(".tmp-"));
    await symlink(path.render(this.storeDir), temp);
    await rename(temp, join(this.rootsDir, name));
    await fsyncPath(this.rootsDir);
  }

  async removeRoot(name: string): Promise<void> {
    await unlink(join(this.rootsDir, name)).catch((err) => {
      if (!isErrno(err, "ENOENT")) throw err;
    });
  }

  /** Roots by name; a link to a physical object path counts as well as a logical one. */
  async listRoots(): Promise<Map<string, StorePath>> {
    const roots = new Map<string, StorePath>();
    for (const name of await readdir(this.rootsDir)) {
      if (name.startsWith(".")) continue;
      const target = await readlink(join(this.rootsDir, name)).catch(() => undefined);
      if (target === undefined) continue;
      const path =
        maybeParseStorePath(target, this.storeDir) ??
        (target.startsWith(this.realStoreDir + "/")
          ? maybeParseStorePath(this.storeDir + target.slice(this.realStoreDir.length), this.storeDir)
          : undefined);
      if (path) roots.set(name, path);
    }
    return roots;
  }

  /**
   * Deletes every valid path not in the closure of the roots (the roots directory,
   * `options.roots` and paths protected in this process). Every dead path's metadata
   * goes first, in one step (each batch file rewritten once), then the contents, so
   * a crash leaves only unregistered leftovers; no kept path refers to a dead one, and
   * a dead path whose metadata outlived a crash while a reference's did not is
   * dropped on open.
   */
  async collectGarbage(options: GcOptions = {}): Promise<GcResult> {
    return this.gcLock.withExclusive(async () => {
      const roots: StorePath[] = [...(await this.listRoots()).values(), ...(options.roots ?? [])];
      for (const name of this.tempRoots.keys()) roots.push(StorePath.fromBaseName(name));
      const live = new Set(this.computeClosure(roots.filter((r) => this.isValid(r))).map((p) => p.baseName));
      const dead = this.allValidPaths().filter((p) => !live.has(p.baseName));
      const order = this.topoSort(dead).reverse();
      const result: GcResult = { deleted: order, leftovers: [], bytesFreed: 0 };
      if (options.dryRun) return result;
      await this.db.removeMany(order.map((p) => p.baseName), this.recordOf);
      for (const path of order) this.forget(path);
      for (const path of order) {
        const target = this.realPath(path);
        result.bytesFreed += await treeSize(target);
        await removeTree(target);
      }
      const leftovers = await this.removeLeftovers(true);
      result.leftovers = leftovers.names;
      result.bytesFreed += leftovers.bytes;
      return result;
    });
  }

  /** Deletes one path; refused while a valid path refers to it or a root or temporary root holds it. */
  async deletePath(path: StorePath): Promise<void> {
    await this.gcLock.withExclusive(async () => {
      this.requireInfo(path);
      const referrers = this.queryReferrers(path);
      if (referrers.length > 0) {
        throw new Error(
          `cannot delete path '${path.render(this.storeDir)}' since it is still referenced by '${referrers[0]!.render(this.storeDir)}'`,
        );
      }
      const rooted = [...(await this.listRoots()).values()].some((r) => r.equals(path)) || this.tempRoots.has(path.baseName);
      if (rooted) throw new Error(`cannot delete path '${path.render(this.storeDir)}' since it is still alive`);
      await this.deleteLocked(path);
    });
  }

  private async deleteLocked(path: StorePath): Promise<void> {
    await this.db.removeMany([path.baseName], this.recordOf);
    this.forget(path);
    await removeTree(this.realPath(path));
  }

  // ---- internals -----------------------------------------------------------

  /** A valid path's record by base name (what the metadata database keeps when it rewrites a batch). */
  private readonly recordOf = (base: string): PathInfo | undefined => this.index.get(base);

  private remember(info: PathInfo): void {
    this.index.set(info.path.baseName, info);
    this.byHashPart.set(info.path.hashPart, info.path);
    this.referrersIndex = undefined;
  }

  private forget(path: StorePath): void {
    this.index.delete(path.baseName);
    this.byHashPart.delete(path.hashPart);
    this.referrersIndex = undefined;
  }

  /** This process's staging directory, made once even when many stagings start together. */
  private ensureProcessTmp(): Promise<string> {
    if (!this.processTmpReady) {
      const dir = join(this.tmpDir, uniqueName(""));
      this.processTmp = dir;
      this.processTmpReady = mkdir(dir).then(() => dir);
    }
    return this.processTmpReady;
  }

  /**
   * Reads every metadata file. A path whose object is missing, or that refers to a path
   * that is not valid, is dropped (and so, in turn, its referrers): validity is closed
   * under references.
   */
  private async loadIndex(): Promise<void> {
    this.index.clear();
    this.byHashPart.clear();
    this.referrersIndex = undefined;
    const candidates = await this.db.load((file, err) => process.emitWarning(`dropping invalid store metadata '${file}': ${err.message}`));
    const candidateOf = (base: string): PathInfo | undefined => candidates.get(base);
    for (const [base, info] of candidates) {
      if (lstatSync(this.realPath(info.path), { throwIfNoEntry: false }) !== undefined) continue;
      process.emitWarning(`dropping store path '${info.path.render(this.storeDir)}': its object is missing`);
      candidates.delete(base);
      await this.db.removeMany([base], candidateOf);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [base, info] of candidates) {
        if (referencesWithoutSelf(info).every((r) => candidates.has(r.baseName))) continue;
        process.emitWarning(`dropping store path '${info.path.render(this.storeDir)}': a reference is not valid`);
        candidates.delete(base);
        await this.db.removeMany([base], candidateOf);
        changed = true;
      }
    }
    for (const info of candidates.values()) this.remember(info);
  }

  /**
   * Removes what a crash can leave: objects in the store directory that have no
   * metadata (renamed into place, never committed) and staging directories of
   * processes that are gone. Runs only under the owner lock, with no commit in flight.
   */
  private async removeLeftovers(countBytes: boolean): Promise<{ names: string[]; bytes: number }> {
    const names: string[] = [];
    let bytes = 0;
    for (const name of await readdir(this.realStoreDir)) {
      if (this.index.has(name)) continue;
      const target = join(this.realStoreDir, name);
      if (countBytes) bytes += await treeSize(target);
      await removeTree(target);
      names.push(target);
    }
    for (const name of await readdir(this.tmpDir)) {
      // Staging directories are named `<pid>.<random>`: a live owner other than us may still use its own.
      const pid = Number.parseInt(name, 10);
      if (join(this.tmpDir, name) === this.processTmp) continue;
      if (Number.isSafeInteger(pid) && pid !== process.pid && isAlive(pid)) continue;
      await removeTree(join(this.tmpDir, name));
      names.push(join(this.tmpDir, name));
    }
    return { names, bytes };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, "EPERM");
  }
}

/** Parses a store path given either logically (`/nix/store/…`) or as a base name. */
export function parsePathArgument(text: string, storeDir = DEFAULT_STORE_DIR): StorePath {
  return text.startsWith("/") ? parseStorePath(text, storeDir) : StorePath.fromBaseName(text);
}

/** The record a path gets when it becomes valid now: references and signatures sorted, defaults filled in. */
function completePathInfo(newInfo: NewPathInfo): PathInfo {
  return {
    ...newInfo,
    references: sortStorePaths(newInfo.references),
    sigs: [...new Set(newInfo.sigs ?? [])].sort(),
    registrationTime: Math.floor(Date.now() / 1000),
    ultimate: newInfo.ultimate ?? false,
  };
}
