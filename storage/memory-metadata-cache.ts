import type { CacheNamespace, MetadataCache } from "./metadata-cache.js";

interface Entry {
  value: string;
  expiresAt: number;
}

/** The single-process cache (no LADING_REDIS_URL): a Map with lazy expiry. */
export class MemoryMetadataCache implements MetadataCache {
  private readonly entries = new Map<string, Entry>();
  private readonly counters = new Map<string, number>();

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  async get(namespace: CacheNamespace, key: string): Promise<string | undefined> {
    return this.live(`${namespace}:${key}`)?.value;
  }

  async set(namespace: CacheNamespace, key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    const expiresAt = options?.ttlMs !== undefined ? Date.now() + options.ttlMs : Infinity;
    this.entries.set(`${namespace}:${key}`, { value, expiresAt });
  }

  async delete(namespace: CacheNamespace, key: string): Promise<void> {
    this.entries.delete(`${namespace}:${key}`);
  }

  async incr(namespace: CacheNamespace, key: string, by = 1): Promise<number> {
    const id = `${namespace}:${key}`;
    const next = (this.counters.get(id) ?? 0) + by;
    this.counters.set(id, next);
    return next;
  }

  async count(namespace: CacheNamespace, key: string): Promise<number> {
    return this.counters.get(`${namespace}:${key}`) ?? 0;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
