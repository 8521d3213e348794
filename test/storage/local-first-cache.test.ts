import { test } from "node:test";
import assert from "node:assert/strict";
import { LAYERS, LocalFirstCache, MANIFESTS, MemoryMetadataCache, POPULARITY, StorageUnavailableError, type CacheNamespace } from "../../storage/index.js";

/** A shared cache that can be switched off, like Redis going away. */
class FlakyCache extends MemoryMetadataCache {
  down = false;
  reads = 0;
  private check() {
    if (this.down) throw new StorageUnavailableError("shared cache down", "redis");
  }
  override async get(namespace: CacheNamespace, key: string) {
    this.check();
    this.reads++;
    return super.get(namespace, key);
  }
  override async set(namespace: CacheNamespace, key: string, value: string, options?: { ttlMs?: number }) {
    this.check();
    return super.set(namespace, key, value, options);
  }
  override async incr(namespace: CacheNamespace, key: string, by?: number) {
    this.check();
    return super.incr(namespace, key, by);
  }
}

test("immutable entries seen once are answered locally, also while the shared cache is down", async () => {
  const shared = new FlakyCache();
  const cache = new LocalFirstCache(shared, new Set([MANIFESTS, LAYERS]));
  await shared.set(MANIFESTS, "seen", "record-1");
  assert.equal(await cache.get(MANIFESTS, "seen"), "record-1");
  const reads = shared.reads;
  assert.equal(await cache.get(MANIFESTS, "seen"), "record-1");
  assert.equal(shared.reads, reads, "second read is local");
  shared.down = true;
  assert.equal(await cache.get(MANIFESTS, "seen"), "record-1");
  await assert.rejects(cache.get(MANIFESTS, "never-seen"), StorageUnavailableError);
  await assert.rejects(cache.get("sessions", "x"), StorageUnavailableError, "other namespaces are not kept");
  await assert.rejects(cache.incr(POPULARITY, "curl"), StorageUnavailableError);
  // A write while down is kept here and is not an error (the shared copy is only a shortcut).
  await cache.set(LAYERS, "layer-key", "{}");
  assert.equal(await cache.get(LAYERS, "layer-key"), "{}");
  shared.down = false;
  assert.equal(await shared.get(LAYERS, "layer-key"), undefined);
  await cache.delete(MANIFESTS, "seen");
  assert.equal(await cache.get(MANIFESTS, "seen"), undefined);
});

test("the local copy is bounded, least recently used first", async () => {
  const shared = new FlakyCache();
  const cache = new LocalFirstCache(shared, new Set([MANIFESTS]), 3);
  for (const k of ["a", "b", "c"]) await cache.set(MANIFESTS, k, k.toUpperCase());
  assert.equal(await cache.get(MANIFESTS, "a"), "A"); // a is now the most recent
  await cache.set(MANIFESTS, "d", "D"); // evicts b
  shared.down = true;
  assert.equal(await cache.get(MANIFESTS, "a"), "A");
  assert.equal(await cache.get(MANIFESTS, "d"), "D");
  assert.equal(await cache.get(MANIFESTS, "c"), "C");
  await assert.rejects(cache.get(MANIFESTS, "b"), StorageUnavailableError);
});
