import type { CacheNamespace, MetadataCache } from "./metadata-cache.js";
import type { RedisConnection } from "./redis-connection.js";

/** The metadata cache shared by all replicas: plain keys `<prefix>cache:<namespace>:<key>`. */
export class RedisMetadataCache implements MetadataCache {
  constructor(private readonly redis: RedisConnection) {}

  private id(namespace: CacheNamespace, key: string): string {
    return this.redis.key("cache", namespace, key);
  }

  async get(namespace: CacheNamespace, key: string): Promise<string | undefined> {
    const value = await this.redis.run("GET", (c) => c.get(this.id(namespace, key)));
    return value ?? undefined;
  }

  async set(namespace: CacheNamespace, key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    const id = this.id(namespace, key);
    const ttl = options?.ttlMs;
    await this.redis.run("SET", (c) => (ttl !== undefined ? c.set(id, value, "PX", Math.max(1, Math.round(ttl))) : c.set(id, value)));
  }

  async delete(namespace: CacheNamespace, key: string): Promise<void> {
    await this.redis.run("DEL", (c) => c.del(this.id(namespace, key)));
  }

  async incr(namespace: CacheNamespace, key: string, by = 1): Promise<number> {
    // Not retried: a retry after a lost reply could count twice.
    return this.redis.run("INCRBY", (c) => c.incrby(this.redis.key("count", namespace, key), by), false);
  }

  async count(namespace: CacheNamespace, key: string): Promise<number> {
    const value = await this.redis.run("GET", (c) => c.get(this.redis.key("count", namespace, key)));
    return value === null ? 0 : Number(value);
  }

  async ping(): Promise<void> {
    await this.redis.run("PING", (c) => c.ping());
  }

  async close(): Promise<void> {}
}
