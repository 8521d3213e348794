import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MemoryMetadataCache } from "./memory-metadata-cache.js";
import type { CacheNamespace, MetadataCache } from "./metadata-cache.js";

const NAMESPACE = /^[a-z0-9-]+$/;

/**
 * The single-host cache that survives restarts: entries without a TTL (manifest
 * records, layer descriptors) are also files `<root>/<namespace>/<sha256 of key>`,
 * written to a temporary name and renamed; memory answers repeated reads. Entries
 * with a TTL and counters are transient and stay in memory.
 */
export class FsMetadataCache implements MetadataCache {
  private readonly memory = new MemoryMetadataCache();

  constructor(private readonly root: string) {}

  private fileOf(namespace: CacheNamespace, key: string): string {
    if (!NAMESPACE.test(namespace)) throw new Error(`bad cache namespace '${namespace}'`);
    return join(this.root, namespace, createHash("sha256").update(key).digest("hex"));
  }

  async get(namespace: CacheNamespace, key: string): Promise<string | undefined> {
    const hit = await this.memory.get(namespace, key);
    if (hit !== undefined) return hit;
    let text: string;
    try {
      text = await readFile(this.fileOf(namespace, key), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    const entry = JSON.parse(text) as { key: string; value: string };
    // A hash collision is not a hit.
    if (entry.key !== key) return undefined;
    await this.memory.set(namespace, key, entry.value);
    return entry.value;
  }

  async set(namespace: CacheNamespace, key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    await this.memory.set(namespace, key, value, options);
    const file = this.fileOf(namespace, key);
    if (options?.ttlMs !== undefined) {
      await rm(file, { force: true });
      return;
    }
    await mkdir(join(this.root, namespace), { recursive: true });
    const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temp, JSON.stringify({ key, value }));
    await rename(temp, file);
  }

  async delete(namespace: CacheNamespace, key: string): Promise<void> {
    await this.memory.delete(namespace, key);
    await rm(this.fileOf(namespace, key), { force: true });
  }

  incr(namespace: CacheNamespace, key: string, by?: number): Promise<number> {
    return this.memory.incr(namespace, key, by);
  }

  count(namespace: CacheNamespace, key: string): Promise<number> {
    return this.memory.count(namespace, key);
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async close(): Promise<void> {}
}
