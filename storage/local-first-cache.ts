import { StorageUnavailableError } from "./errors.js";
import type { CacheNamespace, MetadataCache } from "./metadata-cache.js";

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * A per-process copy in front of the shared cache, for namespaces whose entries never
 * change once written (a manifest cache key includes the package-set revision; a layer
 * key hashes its store paths). Reads are answered locally when possible, so warm pulls
 * keep working while Redis is away: such an entry is a proven fact, not a guess. Keys not
 * seen by this process still need the shared cache, and fail with StorageUnavailableError
 * when it cannot answer. Writes go to both; a shared write that fails is not an error
 * (the entry is only a shortcut; another replica rebuilds the same bytes). A delete
 * reaches the shared cache and this process only: other replicas keep their copy.
 */
export class LocalFirstCache implements MetadataCache {
  private readonly local = new Map<string, Entry>();

  constructor(
    private readonly shared: MetadataCache,
    private readonly immutable: ReadonlySet<CacheNamespace>,
    private readonly maxEntries = 50_000,
  ) {}

  private remember(id: string, value: string, ttlMs: number | undefined): void {
    this.local.delete(id);
    this.local.set(id, { value, expiresAt: ttlMs === undefined ? Infinity : Date.now() + ttlMs });
    // Map order is insertion order: the first key is the least recently used.
    if (this.local.size > this.maxEntries) this.local.delete(this.local.keys().next().value!);
  }

  async get(namespace: CacheNamespace, key: string): Promise<string | undefined> {
    if (!this.immutable.has(namespace)) return this.shared.get(namespace, key);
    const id = `${namespace}\0${key}`;
    const entry = this.local.get(id);
    if (entry && entry.expiresAt > Date.now()) {
      this.remember(id, entry.value, entry.expiresAt === Infinity ? undefined : entry.expiresAt - Date.now());
      return entry.value;
    }
    const value = await this.shared.get(namespace, key);
    // Immutable entries may stay as long as memory allows; a TTL only bounds the shared copy.
    if (value !== undefined) this.remember(id, value, undefined);
    return value;
  }

  async set(namespace: CacheNamespace, key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    if (!this.immutable.has(namespace)) return this.shared.set(namespace, key, value, options);
    this.remember(`${namespace}\0${key}`, value, options?.ttlMs);
    try {
      await this.shared.set(namespace, key, value, options);
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
    }
  }

  async delete(namespace: CacheNamespace, key: string): Promise<void> {
    this.local.delete(`${namespace}\0${key}`);
    await this.shared.delete(namespace, key);
  }

  incr(namespace: CacheNamespace, key: string, by?: number): Promise<number> {
    return this.shared.incr(namespace, key, by);
  }

  count(namespace: CacheNamespace, key: string): Promise<number> {
    return this.shared.count(namespace, key);
  }

  ping(): Promise<void> {
    return this.shared.ping();
  }

  close(): Promise<void> {
    return this.shared.close();
  }
}
