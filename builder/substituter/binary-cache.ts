import { DEFAULT_STORE_DIR, parseCacheInfo, parseNarInfo, type NarInfo, type StorePath } from "../../store/index.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import { makeTransport, type CacheTransport } from "./transport.js";

/** CppNix's default priority for a cache whose nix-cache-info names none. */
export const DEFAULT_PRIORITY = 50;

export interface BinaryCacheOptions {
  storeDir?: string;
  retry?: RetryPolicy;
  /** How long a "not in this cache" answer is believed (CppNix: narinfo-cache-negative-ttl, 1 hour). */
  negativeTtlMs?: number;
  /** How long a narinfo is believed (CppNix: narinfo-cache-positive-ttl, 30 days). */
  positiveTtlMs?: number;
  onRetry?: (url: string, err: Error, attempt: number) => void;
}

interface CachedAnswer {
  info: NarInfo | undefined;
  expires: number;
}

/** One binary cache (`http(s)://` or `file://`): its settings, narinfo lookups and NAR downloads. */
export class BinaryCache {
  /** Lower is preferred, as in CppNix. */
  readonly priority: number;
  readonly wantMassQuery: boolean;
  private readonly answers = new Map<string, CachedAnswer>();
  private readonly pending = new Map<string, Promise<NarInfo | undefined>>();
  /** narinfo requests that reached the cache (cache hits in memory do not count). */
  requests = 0;

  private constructor(
    readonly url: string,
    private readonly transport: CacheTransport,
    private readonly storeDir: string,
    private readonly options: BinaryCacheOptions,
    priority: number | undefined,
    wantMassQuery: boolean | undefined,
  ) {
    this.priority = priority ?? DEFAULT_PRIORITY;
    this.wantMassQuery = wantMassQuery ?? false;
  }

  /** Reads `nix-cache-info`; a cache for another store directory is refused. */
  static async open(url: string, options: BinaryCacheOptions = {}): Promise<BinaryCache> {
    const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
    const retry = options.retry ?? DEFAULT_RETRY;
    const cleanUrl = url.replace(/\/+$/, "");
    const transport = makeTransport(cleanUrl, retry, (err, attempt) => options.onRetry?.(cleanUrl, err, attempt));
    const text = await transport.getText("nix-cache-info");
    if (text === undefined) throw new Error(`'${cleanUrl}' does not appear to be a binary cache (no nix-cache-info)`);
    const info = parseCacheInfo(text);
    if (info.storeDir !== undefined && info.storeDir !== storeDir) {
      throw new Error(`binary cache '${cleanUrl}' is for Nix stores with prefix '${info.storeDir}', not '${storeDir}'`);
    }
    return new BinaryCache(cleanUrl, transport, storeDir, options, info.priority, info.wantMassQuery);
  }

  /**
   * The narinfo for `path`, or undefined when the cache does not have it. Answers are
   * remembered (absence for negativeTtlMs) and concurrent lookups of one path share a request.
   */
  async queryNarInfo(path: StorePath): Promise<NarInfo | undefined> {
    const key = path.hashPart;
    const known = this.answers.get(key);
    if (known && known.expires > Date.now()) return this.matching(known.info, path);
    let request = this.pending.get(key);
    if (!request) {
      request = this.fetchNarInfo(key).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return this.matching(await request, path);
  }

  private async fetchNarInfo(hashPart: string): Promise<NarInfo | undefined> {
    this.requests++;
    const whence = `${this.url}/${hashPart}.narinfo`;
    const text = await this.transport.getText(`${hashPart}.narinfo`);
    const info = text === undefined ? undefined : parseNarInfo(text, { storeDir: this.storeDir, whence });
    const ttl = info ? (this.options.positiveTtlMs ?? 30 * 24 * 3600_000) : (this.options.negativeTtlMs ?? 3600_000);
    this.answers.set(hashPart, { info, expires: Date.now() + ttl });
    return info;
  }

  /** A narinfo found under the hash part must be for exactly the path asked for. */
  private matching(info: NarInfo | undefined, path: StorePath): NarInfo | undefined {
    if (info && !info.storePath.equals(path)) {
      throw new Error(
        `NAR info file '${this.url}/${path.hashPart}.narinfo' is for '${info.storePath.render(this.storeDir)}', not '${path.render(this.storeDir)}'`,
      );
    }
    return info;
  }

  /** The compressed NAR as it downloads. */
  fetchNar(info: NarInfo): Promise<AsyncIterable<Uint8Array>> {
    return this.transport.getStream(info.url);
  }

  /** Forgets remembered answers, e.g. after the cache was filled. */
  clearNarInfoCache(): void {
    this.answers.clear();
  }
}
