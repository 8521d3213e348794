import { EventEmitter } from "node:events";
import {
  StorePath,
  countNarInfoSignatures,
  isContentAddressedAs,
  publicKeyMap,
  sortStorePaths,
  type NarInfo,
  type PublicKey,
  type PublicKeys,
} from "../../store/index.js";
import type { CasNode, IngestResult } from "../../store/index.js";
import { fanOut, type CastorePaths } from "../castore/index.js";
import { HashMismatchError, type LocalStore, type StagedNar } from "../local-store/index.js";
import { BinaryCache } from "./binary-cache.js";
import { decompress, isSupportedCompression } from "./decompress.js";
import { GroupCommitter } from "./group-commit.js";
import { Limiter } from "./limiter.js";
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from "./retry.js";

export interface SubstituterOptions {
  /** Cache URLs; their nix-cache-info priorities order them (lower first, then as listed). */
  urls: readonly string[];
  /** Keys whose signatures make a narinfo trusted. */
  trustedKeys: Iterable<PublicKey | string>;
  /** Refuse paths with no valid signature unless their content address checks out (default true). */
  requireSigs?: boolean;
  /** NAR downloads at once (default 4). */
  maxDownloads?: number;
  /** narinfo lookups at once (default 16). */
  maxQueries?: number;
  retry?: RetryPolicy;
  negativeTtlMs?: number;
  /** How long a cache that could not be opened is left out before it is tried again (default 60 s). */
  reopenAfterMs?: number;
  /**
   * A (shared) castore: paths it has are taken from it instead of any binary cache,
   * and every NAR downloaded is ingested into it in the same pass that unpacks it.
   */
  castore?: CastorePaths;
}

export type SubstitutionEvent =
  | { type: "cache-error"; url: string; error: Error }
  | { type: "retry"; url: string; attempt: number; error: Error }
  | { type: "refused"; path: StorePath; url: string; reason: string }
  | { type: "planned"; paths: number; downloadBytes: number; narBytes: number }
  /** `url` is `castore:` for a path taken from the castore. */
  | { type: "path-start"; path: StorePath; url: string; downloadSize?: number; narSize: number }
  | { type: "path-progress"; path: StorePath; downloaded: number; narBytes: number }
  | { type: "path-done"; path: StorePath }
  | { type: "path-failed"; path: StorePath; error: Error }
  /** The castore could not take a path; it was substituted all the same. */
  | { type: "castore-error"; path: StorePath; error: Error };

export interface SubstitutionStats {
  pathsTotal: number;
  pathsDone: number;
  pathsFailed: number;
  /** Compressed bytes received, retries included. */
  bytesDownloaded: number;
  /** Sum of the FileSize fields of the planned paths (0 where a cache gives none). */
  bytesExpected: number;
  narBytesExpected: number;
}

/** Where one missing path will come from. */
export interface PlannedPath {
  readonly path: StorePath;
  /** The binary cache, or undefined when the castore has the path. */
  readonly cache: BinaryCache | undefined;
  readonly info: NarInfo;
}

export interface SubstitutionPlan {
  /** Paths to fetch, references before referrers. */
  readonly paths: PlannedPath[];
  /** Valid paths where the walk stopped (validity is closed under references, so their closures are too). */
  readonly present: StorePath[];
  /** Paths no cache offers in a form we trust, with why. */
  readonly missing: { path: StorePath; reasons: string[] }[];
}

export interface SubstitutionResult {
  substituted: StorePath[];
  present: StorePath[];
}

export class SubstitutionError extends Error {
  override name = "SubstitutionError";
  constructor(
    message: string,
    readonly failures: { path: StorePath; error: Error }[],
  ) {
    super(message);
  }
}

/**
 * Fetches closures from binary caches into a local store. Every path is checked
 * before it is registered: a trusted signature (or a content address that matches the
 * path), then its NAR hash and size while it streams in. Paths download in parallel,
 * each registers only once its references are valid.
 */
export class Substituter extends EventEmitter<{ event: [SubstitutionEvent] }> {
  private readonly trusted: PublicKeys;
  private readonly requireSigs: boolean;
  private readonly retry: RetryPolicy;
  private readonly queryLimiter: Limiter;
  private readonly downloadLimiter: Limiter;
  private readonly cacheStates = new Map<string, { cache?: BinaryCache; opening?: Promise<void>; failedAt?: number }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightCastore = new Map<string, Promise<void>>();
  private readonly committer: GroupCommitter;
  readonly stats: SubstitutionStats = {
    pathsTotal: 0,
    pathsDone: 0,
    pathsFailed: 0,
    bytesDownloaded: 0,
    bytesExpected: 0,
    narBytesExpected: 0,
  };

  constructor(
    readonly store: LocalStore,
    private readonly options: SubstituterOptions,
  ) {
    super();
    this.trusted = publicKeyMap(options.trustedKeys);
    this.requireSigs = options.requireSigs ?? true;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.queryLimiter = new Limiter(options.maxQueries ?? 16);
    this.downloadLimiter = new Limiter(options.maxDownloads ?? 4);
    this.committer = new GroupCommitter(store);
  }

  private emitEvent(event: SubstitutionEvent): void {
    this.emit("event", event);
  }

  /**
   * The caches that answered, by priority. One that cannot be opened is reported and
   * left out; it is tried again once `reopenAfterMs` has passed, so an outage at start
   * does not exclude a cache for the life of a long-running server.
   */
  async caches(): Promise<BinaryCache[]> {
    const now = Date.now();
    await Promise.all(
      this.options.urls.map((url) => {
        const state = this.cacheStates.get(url);
        if (state?.cache) return undefined;
        if (state?.opening) return state.opening;
        if (state?.failedAt !== undefined && now - state.failedAt < (this.options.reopenAfterMs ?? 60_000)) return undefined;
        const opening = BinaryCache.open(url, {
          storeDir: this.store.storeDir,
          retry: this.retry,
          negativeTtlMs: this.options.negativeTtlMs,
          onRetry: (u, error, attempt) => this.emitEvent({ type: "retry", url: u, attempt, error }),
        }).then(
          (cache) => void this.cacheStates.set(url, { cache }),
          (error: Error) => {
            this.cacheStates.set(url, { failedAt: Date.now() });
            this.emitEvent({ type: "cache-error", url, error });
          },
        );
        this.cacheStates.set(url, { opening });
        return opening;
      }),
    );
    return this.options.urls
      .map((url, order) => ({ cache: this.cacheStates.get(url)?.cache, order }))
      .filter((c): c is { cache: BinaryCache; order: number } => c.cache !== undefined)
      .sort((a, b) => a.cache.priority - b.cache.priority || a.order - b.order)
      .map((c) => c.cache);
  }

  /** Why a narinfo may not be used, or undefined when it may. */
  private refusal(info: NarInfo): string | undefined {
    if (!isSupportedCompression(info.compression)) return `unsupported compression '${info.compression}'`;
    if (!this.requireSigs) return undefined;
    if (countNarInfoSignatures(info, this.trusted, this.store.storeDir) > 0) return undefined;
    if (info.ca && isContentAddressedAs(info.storePath, info.ca, info.references, this.store.storeDir)) return undefined;
    return "it has no valid signature by a trusted key and is not content-addressed";
  }

  /** The first cache, by priority from `after`, that offers `path` in a form we trust. */
  private async choose(path: StorePath, reasons: string[], skip = new Set<BinaryCache>()): Promise<(PlannedPath & { cache: BinaryCache }) | undefined> {
    for (const cache of await this.caches()) {
      if (skip.has(cache)) continue;
      let info: NarInfo | undefined;
      try {
        info = await this.queryLimiter.run(() => cache.queryNarInfo(path));
      } catch (error) {
        reasons.push(`${cache.url}: ${(error as Error).message}`);
        continue;
      }
      if (!info) continue;
      const refused = this.refusal(info);
      if (refused) {
        reasons.push(`${cache.url}: ${refused}`);
        this.emitEvent({ type: "refused", path, url: cache.url, reason: refused });
        continue;
      }
      return { path, cache, info };
    }
    return undefined;
  }

  /** Whether some cache offers `path` (trusted). */
  async querySubstitutable(path: StorePath): Promise<NarInfo | undefined> {
    return (await this.choose(path, []))?.info;
  }

  /** Works out which paths of the closure of `paths` to fetch and from where; downloads nothing. */
  async plan(paths: Iterable<StorePath>): Promise<SubstitutionPlan> {
    const seen = new Set<string>();
    const planned = new Map<string, PlannedPath>();
    const present: StorePath[] = [];
    const missing: { path: StorePath; reasons: string[] }[] = [];
    const visit = async (path: StorePath): Promise<void> => {
      if (seen.has(path.baseName)) return;
      seen.add(path.baseName);
      if (this.store.isValid(path)) {
        present.push(path);
        return;
      }
      const reasons: string[] = [];
      const shared = await this.options.castore?.lookup(path);
      const choice = shared ? { path, cache: undefined, info: this.options.castore!.asNarInfo(shared) } : await this.choose(path, reasons);
      if (!choice) {
        missing.push({ path, reasons });
        return;
      }
      planned.set(path.baseName, choice);
      await Promise.all(choice.info.references.filter((r) => !r.equals(path)).map(visit));
    };
    await Promise.all(sortStorePaths(paths).map(visit));
    return { paths: orderByReferences(planned), present: sortStorePaths(present), missing };
  }

  /**
   * Makes the closure of `paths` valid, fetching whatever is missing. All or nothing per
   * path: a path is registered only after it and its references are verified. Throws a
   * SubstitutionError naming each path that could not be had.
   */
  async substitute(paths: Iterable<StorePath>): Promise<SubstitutionResult> {
    const requested = [...paths];
    const releaseRequested = this.store.protect(requested);
    try {
      const plan = await this.plan(requested);
      if (plan.missing.length > 0) {
        const lines = plan.missing.map(({ path, reasons }) =>
          [`  ${path.render(this.store.storeDir)}`, ...reasons.map((r) => `    ${r}`)].join("\n"),
        );
        throw new SubstitutionError(
          `cannot substitute ${plan.missing.length} path(s): no trusted binary cache has them\n${lines.join("\n")}`,
          plan.missing.map(({ path, reasons }) => ({ path, error: new Error(reasons.join("; ") || "not in any cache") })),
        );
      }
      const release = this.store.protect([...plan.paths.map((p) => p.path), ...plan.present]);
      try {
        const substituted = await this.fetchPlanned(plan.paths);
        return { substituted, present: plan.present };
      } finally {
        release();
      }
    } finally {
      releaseRequested();
    }
  }

  /**
   * Which paths of the closure of `paths` the castore lacks and where they would come
   * from; nothing local counts as present except by being published (see
   * `substituteIntoCastore`). Downloads nothing.
   */
  async planIntoCastore(paths: Iterable<StorePath>): Promise<SubstitutionPlan & { local: StorePath[] }> {
    const castore = this.requireCastore();
    const seen = new Set<string>();
    const planned = new Map<string, PlannedPath>();
    const present: StorePath[] = [];
    const local: StorePath[] = [];
    const missing: { path: StorePath; reasons: string[] }[] = [];
    const visit = async (path: StorePath): Promise<void> => {
      if (seen.has(path.baseName)) return;
      seen.add(path.baseName);
      const record = await castore.lookup(path);
      if (record) {
        present.push(path);
        await Promise.all(record.references.filter((r) => !r.equals(path)).map(visit));
        return;
      }
      if (this.store.isValid(path)) {
        local.push(path); // published from disk, with its closure
        return;
      }
      const reasons: string[] = [];
      const choice = await this.choose(path, reasons);
      if (!choice) {
        missing.push({ path, reasons });
        return;
      }
      planned.set(path.baseName, choice);
      await Promise.all(choice.info.references.filter((r) => !r.equals(path)).map(visit));
    };
    await Promise.all(sortStorePaths(paths).map(visit));
    return { paths: orderByReferences(planned), present: sortStorePaths(present), local: sortStorePaths(local), missing };
  }

  /**
   * Puts the closure of `paths` into the castore without unpacking it on this disk —
   * the registry reads layers from the castore, so a local copy would only be a second
   * one. Paths valid locally are published from disk; the rest are downloaded,
   * verified and ingested in one pass, each recorded after its references.
   */
  async substituteIntoCastore(paths: Iterable<StorePath>): Promise<SubstitutionResult> {
    const castore = this.requireCastore();
    const plan = await this.planIntoCastore(paths);
    if (plan.missing.length > 0) {
      const lines = plan.missing.map(({ path, reasons }) => [`  ${path.render(this.store.storeDir)}`, ...reasons.map((r) => `    ${r}`)].join("\n"));
      throw new SubstitutionError(
        `cannot substitute ${plan.missing.length} path(s): no trusted binary cache has them\n${lines.join("\n")}`,
        plan.missing.map(({ path, reasons }) => ({ path, error: new Error(reasons.join("; ") || "not in any cache") })),
      );
    }
    const release = this.store.protect(plan.local);
    try {
      await castore.publish(this.store, plan.local);
    } finally {
      release();
    }
    this.stats.pathsTotal += plan.paths.length;
    await this.runPlanned(plan.paths, this.inFlightCastore, (p, after) => this.ingestOne(castore, p, after));
    return { substituted: plan.paths.map((p) => p.path), present: [...plan.present, ...plan.local] };
  }

  /**
   * Runs `start` for each planned path, each told how to wait for a reference's task
   * (`after`). A path another call is already working on (in `inFlight`) is waited for,
   * not fetched twice. Throws one SubstitutionError naming the root failures.
   */
  private async runPlanned(
    planned: readonly PlannedPath[],
    inFlight: Map<string, Promise<void>>,
    start: (p: PlannedPath, after: (ref: StorePath) => Promise<void> | undefined) => Promise<void>,
  ): Promise<void> {
    const tasks = new Map<string, Promise<void>>();
    for (const p of planned) {
      const key = p.path.baseName;
      let task = inFlight.get(key);
      if (!task) {
        const started = start(p, (ref) => tasks.get(ref.baseName) ?? inFlight.get(ref.baseName));
        inFlight.set(key, started);
        const forget = () => {
          if (inFlight.get(key) === started) inFlight.delete(key);
        };
        started.then(forget, forget);
        task = started;
      }
      tasks.set(key, task);
    }
    const outcomes = await Promise.allSettled(tasks.values());
    const failures: { path: StorePath; error: Error }[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === "rejected") failures.push({ path: planned[i]!.path, error: o.reason as Error });
    });
    if (failures.length > 0) {
      const root = failures.filter((f) => !(f.error instanceof DependencyFailedError));
      const shown = (root.length > 0 ? root : failures).map((f) => `  ${f.path.render(this.store.storeDir)}: ${f.error.message}`);
      throw new SubstitutionError(`substitution failed for ${failures.length} path(s):\n${shown.join("\n")}`, failures);
    }
  }

  private requireCastore(): CastorePaths {
    if (!this.options.castore) throw new Error("this substituter has no castore");
    return this.options.castore;
  }

  /** Downloads one NAR into the castore (falling back to other caches) and records it after its references. */
  private async ingestOne(castore: CastorePaths, first: PlannedPath, recording: (ref: StorePath) => Promise<void> | undefined): Promise<void> {
    const path = first.path;
    try {
      let source = first;
      let root: CasNode;
      const tried = new Set<BinaryCache>();
      for (;;) {
        if (source.cache) tried.add(source.cache);
        try {
          const current = source;
          root = await this.downloadLimiter.run(() => this.downloadIntoCastore(castore, current));
          break;
        } catch (error) {
          const next = await this.choose(path, [], tried);
          if (!next) throw error;
          this.emitEvent({ type: "retry", url: next.cache.url, attempt: tried.size, error: error as Error });
          source = next;
        }
      }
      for (const ref of source.info.references) {
        if (ref.equals(path)) continue;
        await recording(ref)?.catch((error: Error) => {
          throw new DependencyFailedError(`its reference '${ref.render(this.store.storeDir)}' failed: ${error.message}`);
        });
      }
      const { info } = source;
      await castore.record({ path, narHash: info.narHash, narSize: info.narSize, references: info.references, deriver: info.deriver, sigs: info.sigs, ca: info.ca }, root);
      this.stats.pathsDone++;
      this.emitEvent({ type: "path-done", path });
    } catch (error) {
      this.stats.pathsFailed++;
      this.emitEvent({ type: "path-failed", path, error: error as Error });
      throw error;
    }
  }

  /** Downloads, decompresses and ingests one NAR, checking its hash and size; retries broken transfers. */
  private async downloadIntoCastore(castore: CastorePaths, { path, cache, info }: PlannedPath): Promise<CasNode> {
    if (!cache) throw new Error(`'${path.render(this.store.storeDir)}' is in the castore already`);
    this.emitEvent({ type: "path-start", path, url: cache.url, downloadSize: info.fileSize, narSize: info.narSize });
    return withRetries(
      this.retry,
      async () => {
        let downloaded = 0;
        const stats = this.stats;
        const emit = (event: SubstitutionEvent) => this.emitEvent(event);
        const counted = (async function* () {
          for await (const chunk of await cache.fetchNar(info)) {
            downloaded += chunk.length;
            stats.bytesDownloaded += chunk.length;
            emit({ type: "path-progress", path, downloaded, narBytes: 0 });
            yield chunk;
          }
        })();
        const ingested = await castore.ingest(decompress(info.compression, counted, { expectedSize: info.narSize }));
        if (ingested.narSize !== info.narSize || !ingested.narHash.equals(info.narHash)) {
          // What was stored stays unrecorded; castore GC takes it.
          throw new HashMismatchError(
            `NAR of '${path.render(this.store.storeDir)}' from '${cache.url}' does not match its narinfo: ` +
              `expected ${info.narHash.format("base32")} (${info.narSize} bytes), got ${ingested.narHash.format("base32")} (${ingested.narSize} bytes)`,
          );
        }
        return ingested.root;
      },
      (error, attempt) => this.emitEvent({ type: "retry", url: cache.url, attempt, error }),
    );
  }

  private async fetchPlanned(planned: PlannedPath[]): Promise<StorePath[]> {
    this.stats.pathsTotal += planned.length;
    let downloadBytes = 0;
    let narBytes = 0;
    for (const p of planned) {
      downloadBytes += p.info.fileSize ?? 0;
      narBytes += p.info.narSize;
    }
    this.stats.bytesExpected += downloadBytes;
    this.stats.narBytesExpected += narBytes;
    this.emitEvent({ type: "planned", paths: planned.length, downloadBytes, narBytes });

    await this.runPlanned(planned, this.inFlight, (p, after) => this.fetchOne(p, after));
    return planned.map((p) => p.path);
  }

  private async fetchOne(first: PlannedPath, registration: (ref: StorePath) => Promise<void> | undefined): Promise<void> {
    const path = first.path;
    try {
      let staged: StagedNar | undefined;
      let root: CasNode | undefined;
      let source = first;
      const tried = new Set<BinaryCache>();
      for (;;) {
        if (source.cache) tried.add(source.cache);
        try {
          const current = source;
          ({ staged, root } = await this.downloadLimiter.run(() => this.download(current)));
          break;
        } catch (error) {
          // Fall back to the next cache that offers the path, as CppNix does.
          const next = await this.choose(path, [], tried);
          if (!next) throw error;
          this.emitEvent({ type: "retry", url: next.cache.url, attempt: tried.size, error: error as Error });
          source = next;
        }
      }
      try {
        for (const ref of source.info.references) {
          if (ref.equals(path)) continue;
          const pending = registration(ref);
          if (pending) {
            await pending.catch((error: Error) => {
              throw new DependencyFailedError(`its reference '${ref.render(this.store.storeDir)}' failed: ${error.message}`);
            });
          }
        }
        // Paths finishing while an earlier batch is being made durable register together.
        const info = {
          path,
          narHash: source.info.narHash,
          narSize: source.info.narSize,
          references: source.info.references,
          deriver: source.info.deriver,
          sigs: source.info.sigs,
          ca: source.info.ca,
        };
        await this.committer.commit(staged, info);
        // Recorded after the references were (they registered first), so records stay closed under references.
        if (root && this.options.castore) await this.options.castore.record(info, root);
      } catch (error) {
        await this.store.discard(staged).catch(() => {});
        throw error;
      }
      this.stats.pathsDone++;
      this.emitEvent({ type: "path-done", path });
    } catch (error) {
      this.stats.pathsFailed++;
      this.emitEvent({ type: "path-failed", path, error: error as Error });
      throw error;
    }
  }

  /**
   * Downloads, decompresses and unpacks one NAR, checking its hash and size; retries
   * broken transfers. With a castore, the same bytes are ingested into it on the way
   * (`root` is the ingested tree); a path the castore has is unpacked from it.
   */
  private async download({ path, cache, info }: PlannedPath): Promise<{ staged: StagedNar; root?: CasNode }> {
    const castore = this.options.castore;
    if (!cache) {
      this.emitEvent({ type: "path-start", path, url: "castore:", narSize: info.narSize });
      const staged = await this.store.stageNar(castore!.nar(path));
      await this.checkStaged(staged, path, "the castore", info);
      return { staged };
    }
    this.emitEvent({ type: "path-start", path, url: cache.url, downloadSize: info.fileSize, narSize: info.narSize });
    return withRetries(
      this.retry,
      async () => {
        let downloaded = 0;
        let narBytes = 0;
        const compressed = await cache.fetchNar(info);
        const stats = this.stats;
        const emitProgress = () => this.emitEvent({ type: "path-progress", path, downloaded, narBytes });
        const counted = (async function* () {
          for await (const chunk of compressed) {
            downloaded += chunk.length;
            stats.bytesDownloaded += chunk.length;
            yield chunk;
          }
        })();
        const nar = decompress(info.compression, counted, { expectedSize: info.narSize });
        const stage = (bytes: AsyncIterable<Uint8Array>) =>
          this.store.stageNar(bytes, {
            onBytes: (n) => {
              narBytes = n;
              emitProgress();
            },
          });
        if (!castore) {
          const staged = await stage(nar);
          await this.checkStaged(staged, path, cache.url, info);
          return { staged };
        }
        // One pass over the download: unpack and ingest side by side. What was ingested
        // stays unrecorded (GC takes it) unless the NAR checks out and the path commits.
        const [staged, ingested] = await fanOut(nar, stage, (bytes) => this.ingestOrDrain(castore, path, bytes));
        await this.checkStaged(staged, path, cache.url, info);
        return { staged, ...(ingested ? { root: ingested.root } : {}) };
      },
      (error, attempt) => this.emitEvent({ type: "retry", url: cache.url, attempt, error }),
    );
  }

  /**
   * Ingests a NAR into the castore; when the castore fails (S3 down), the path is still
   * substituted: the rest of the stream is drained so the unpacking side goes on.
   */
  private async ingestOrDrain(castore: CastorePaths, path: StorePath, bytes: AsyncIterable<Uint8Array>): Promise<IngestResult | undefined> {
    const iterator = bytes[Symbol.asyncIterator]();
    // The ingester stopping early must not end the branch: it is drained below instead.
    const shielded: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => iterator.next() }) };
    try {
      return await castore.ingest(shielded);
    } catch (error) {
      this.emitEvent({ type: "castore-error", path, error: error as Error });
      while (!(await iterator.next()).done);
      return undefined;
    }
  }

  private async checkStaged(staged: StagedNar, path: StorePath, from: string, info: NarInfo): Promise<void> {
    if (staged.narSize === info.narSize && staged.narHash.equals(info.narHash)) return;
    await this.store.discard(staged);
    throw new HashMismatchError(
      `NAR of '${path.render(this.store.storeDir)}' from '${from}' does not match its narinfo: ` +
        `expected ${info.narHash.format("base32")} (${info.narSize} bytes), got ${staged.narHash.format("base32")} (${staged.narSize} bytes)`,
    );
  }
}

class DependencyFailedError extends Error {
  override name = "DependencyFailedError";
}

/** Planned paths ordered so each comes after the planned paths it references. */
function orderByReferences(planned: Map<string, PlannedPath>): PlannedPath[] {
  const out: PlannedPath[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (p: PlannedPath): void => {
    if (done.has(p.path.baseName)) return;
    if (visiting.has(p.path.baseName)) throw new Error(`reference cycle through '${p.path.baseName}'`);
    visiting.add(p.path.baseName);
    for (const ref of p.info.references) {
      const next = planned.get(ref.baseName);
      if (next && !ref.equals(p.path)) visit(next);
    }
    visiting.delete(p.path.baseName);
    done.add(p.path.baseName);
    out.push(p);
  };
  for (const key of [...planned.keys()].sort()) visit(planned.get(key)!);
  return out;
}
