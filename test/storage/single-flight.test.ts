import { test } from "node:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { MemoryBuildLock, MemoryMetadataCache, RemoteBuildError, SingleFlight, openStorage, storageConfigFromEnv, MANIFESTS } from "../../storage/index.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("concurrent callers on two 'replicas' sharing a lock get one build and the same result", async () => {
  const lock = new MemoryBuildLock();
  const replicas = [new SingleFlight(lock, { pollMs: 20 }), new SingleFlight(lock, { pollMs: 20 })];
  let builds = 0;
  const build = async () => {
    builds++;
    await sleep(100);
    return `sha256:${"a".repeat(64)}`;
  };
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.run("image-1", build)));
  assert.equal(builds, 1);
  assert.equal(new Set(results).size, 1);
  // A later request finds the published result without building.
  assert.equal(await replicas[1]!.run("image-1", build), results[0]);
  assert.equal(builds, 1);
});

test("a failure reaches waiters elsewhere as RemoteBuildError, then expires so the next request rebuilds", async () => {
  const lock = new MemoryBuildLock();
  const a = new SingleFlight(lock, { pollMs: 20, failureTtlMs: 150 });
  const b = new SingleFlight(lock, { pollMs: 20, failureTtlMs: 150 });
  const failing = async () => {
    await sleep(60);
    throw Object.assign(new Error("no such package: nope"), { code: "NAME_UNKNOWN" });
  };
  const [local, remote] = await Promise.allSettled([a.run("img", failing), (async () => (await sleep(10), b.run("img", failing)))()]);
  assert.equal(local.status, "rejected");
  assert.equal((local as PromiseRejectedResult).reason.message, "no such package: nope");
  assert.equal(remote.status, "rejected");
  const reason = (remote as PromiseRejectedResult).reason as RemoteBuildError;
  assert.ok(reason instanceof RemoteBuildError);
  assert.equal(reason.code, "NAME_UNKNOWN");
  assert.equal(reason.message, "no such package: nope");
  await sleep(200);
  assert.equal(await b.run("img", async () => "ok"), "ok");
});

test("a holder that dies (lock expires without a result) is taken over by a waiter", async () => {
  const lock = new MemoryBuildLock();
  // The dead replica: took the lock and never renewed or published.
  assert.ok(await lock.tryAcquire("img", 200));
  const survivor = new SingleFlight(lock, { pollMs: 25, lockTtlMs: 200 });
  const started = Date.now();
  let builds = 0;
  const result = await survivor.run("img", async () => (builds++, "rebuilt"));
  assert.equal(result, "rebuilt");
  assert.equal(builds, 1);
  assert.ok(Date.now() - started >= 150, "waited for the dead holder's lock to expire");
});

test("a long build keeps its lock by renewing it", async () => {
  const lock = new MemoryBuildLock();
  const a = new SingleFlight(lock, { pollMs: 20, lockTtlMs: 90 });
  const b = new SingleFlight(lock, { pollMs: 20, lockTtlMs: 90 });
  let builds = 0;
  const slow = async (signal: AbortSignal) => {
    builds++;
    await sleep(400);
    assert.equal(signal.aborted, false);
    return "done";
  };
  const first = a.run("img", slow);
  await sleep(30);
  assert.equal(await b.run("img", slow), "done");
  assert.equal(await first, "done");
  assert.equal(builds, 1);
});

test("memory cache: TTL, delete, counters", async () => {
  const cache = new MemoryMetadataCache();
  await cache.set(MANIFESTS, "k", "v", { ttlMs: 50 });
  await cache.set(MANIFESTS, "forever", "w");
  assert.equal(await cache.get(MANIFESTS, "k"), "v");
  assert.equal(await cache.get("layers", "k"), undefined);
  await sleep(70);
  assert.equal(await cache.get(MANIFESTS, "k"), undefined);
  assert.equal(await cache.get(MANIFESTS, "forever"), "w");
  await cache.delete(MANIFESTS, "forever");
  assert.equal(await cache.get(MANIFESTS, "forever"), undefined);
  assert.equal(await cache.count("popularity", "curl"), 0);
  assert.equal(await cache.incr("popularity", "curl"), 1);
  assert.equal(await cache.incr("popularity", "curl", 4), 5);
  assert.equal(await cache.count("popularity", "curl"), 5);
});

test("openStorage from the environment: defaults, memory, errors", async () => {
  const storage = await openStorage(storageConfigFromEnv({ LADING_STORAGE: "memory" }));
  assert.equal(storage.description, "memory+memory");
  assert.ok((await storage.check()).every((c) => c.ok));
  await storage.close();
  assert.equal(storageConfigFromEnv({}).backend, "filesystem");
  // Filesystem without Redis: cache entries survive a restart.
  const dataDir = mkdtempSync(join(tmpdir(), "lading-open-"));
  const first = await openStorage(storageConfigFromEnv({ LADING_DATA_DIR: dataDir }));
  assert.equal(first.description, "filesystem+filesystem");
  assert.ok((await first.check()).every((c) => c.ok));
  await first.cache.set(MANIFESTS, "request", "record");
  await first.close();
  const second = await openStorage(storageConfigFromEnv({ LADING_DATA_DIR: dataDir }));
  assert.equal(await second.cache.get(MANIFESTS, "request"), "record");
  await second.close();
  assert.equal(storageConfigFromEnv({ NIXERY_STORAGE_BACKEND: "s3", LADING_S3_BUCKET: "b" }).s3?.bucket, "b");
  assert.throws(() => storageConfigFromEnv({ LADING_STORAGE: "s3" }), /LADING_S3_BUCKET/);
  assert.throws(() => storageConfigFromEnv({ LADING_STORAGE: "gcs" }), /LADING_STORAGE/);
  assert.throws(() => storageConfigFromEnv({ LADING_REDIS_URL: "localhost:6379" }), /redis:\/\//);
  const s3 = storageConfigFromEnv({ LADING_STORAGE: "s3", LADING_S3_BUCKET: "b", LADING_S3_ENDPOINT: "http://minio:9000", LADING_S3_REDIRECT: "true" }).s3!;
  assert.equal(s3.forcePathStyle, true);
  assert.equal(s3.redirect, true);
  assert.equal(s3.region, "us-east-1");
});
