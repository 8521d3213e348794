import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  LAYERS,
  MANIFESTS,
  POPULARITY,
  StorageConfigError,
  StorageUnavailableError,
  openStorage,
  storageConfigFromEnv,
  type Storage,
} from "../../storage/index.js";
import { peerSkipReason, startRedis } from "./peers.js";

const skip = peerSkipReason("redis-server");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: Awaited<ReturnType<typeof startRedis>>;
/** Two "replicas": separate connections, memory blobs, one Redis. */
let a: Storage;
let b: Storage;

async function replica(prefix: string): Promise<Storage> {
  return openStorage({
    ...storageConfigFromEnv({ LADING_STORAGE: "memory", LADING_REDIS_URL: redis.url, LADING_REDIS_PREFIX: prefix }),
    singleFlight: { pollMs: 50, lockTtlMs: 400 },
  });
}

before(async () => {
  if (skip) return;
  redis = await startRedis();
  a = await replica("t1:");
  b = await replica("t1:");
});

after(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

test("the cache is shared between replicas, with TTLs and counters", { skip }, async () => {
  assert.equal(a.description, "memory+redis");
  await a.cache.set(MANIFESTS, "shell/curl|x86_64", `sha256:${"1".repeat(64)}`);
  assert.equal(await b.cache.get(MANIFESTS, "shell/curl|x86_64"), `sha256:${"1".repeat(64)}`);
  assert.equal(await b.cache.get(LAYERS, "shell/curl|x86_64"), undefined);
  await b.cache.set(LAYERS, "k", '{"size":1}');
  assert.equal(await a.cache.get(LAYERS, "k"), '{"size":1}');
  // TTLs (in a namespace that is not kept per process).
  await b.cache.set("sessions", "k", "v", { ttlMs: 100 });
  assert.equal(await a.cache.get("sessions", "k"), "v");
  await sleep(150);
  assert.equal(await a.cache.get("sessions", "k"), undefined);
  await a.cache.delete(MANIFESTS, "shell/curl|x86_64");
  assert.equal(await a.cache.get(MANIFESTS, "shell/curl|x86_64"), undefined);
  // Another replica keeps its copy of an immutable entry (deletes are not broadcast).
  assert.equal(await b.cache.get(MANIFESTS, "shell/curl|x86_64"), `sha256:${"1".repeat(64)}`);
  assert.equal(await a.cache.count(POPULARITY, "curl"), 0);
  await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).cache.incr(POPULARITY, "curl")));
  assert.equal(await b.cache.count(POPULARITY, "curl"), 50);
});

test("locks: one owner, renewal and release only by the owner", { skip }, async () => {
  const token = await a.locks.tryAcquire("L", 300);
  assert.ok(token);
  assert.equal(await b.locks.tryAcquire("L", 300), undefined);
  assert.equal(await b.locks.renew("L", "not-the-token", 300), false);
  await b.locks.release("L", "not-the-token");
  assert.equal(await b.locks.isHeld("L"), true);
  assert.equal(await a.locks.renew("L", token, 300), true);
  await a.locks.release("L", token);
  assert.equal(await b.locks.isHeld("L"), false);
  // Expiry without renewal.
  const short = await a.locks.tryAcquire("L2", 100);
  assert.ok(short);
  await sleep(150);
  assert.ok(await b.locks.tryAcquire("L2", 100));
  assert.equal(await a.locks.renew("L2", short, 100), false);
});

test("single flight across replicas: one build, the same result everywhere, woken by pub/sub", { skip }, async () => {
  let builds = 0;
  const build = async () => {
    builds++;
    await sleep(300);
    return `sha256:${"2".repeat(64)}`;
  };
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).builds.run("image:shell/htop", build)));
  assert.equal(builds, 1);
  assert.deepEqual(new Set(results), new Set([`sha256:${"2".repeat(64)}`]));
  assert.ok(Date.now() - started < 1500);
});

test("a dead holder's lock expires and a waiter takes over", { skip }, async () => {
  // A replica that died mid-build: it holds the lock and will never renew it.
  assert.ok(await a.locks.tryAcquire("image:dead", 400));
  let builds = 0;
  const started = Date.now();
  const result = await b.builds.run("image:dead", async () => (builds++, "taken-over"));
  assert.equal(result, "taken-over");
  assert.equal(builds, 1);
  assert.ok(Date.now() - started >= 300);
});

test("Redis stopped under load: known immutable entries still served, others a clean StorageUnavailableError; restarted: resumes", { skip }, async () => {
  await a.cache.set(MANIFESTS, "img", "sha256:right");
  assert.equal(await b.cache.get(MANIFESTS, "img"), "sha256:right");
  let stop = false;
  let redisDown = false;
  const seen = { known: 0, unknownUnavailable: 0, unknownAnswered: 0, wrong: 0, other: [] as unknown[] };
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        // An entry this replica saw is a proven fact and is answered even while Redis is away.
        if ((await b.cache.get(MANIFESTS, "img")) === "sha256:right") seen.known++;
        else seen.wrong++;
      } catch (err) {
        seen.other.push(err);
      }
      try {
        // One it never saw needs Redis: absent when Redis answers, never a guess when it cannot.
        const value = await b.cache.get(MANIFESTS, `never-set-${i}`);
        if (value === undefined) seen.unknownAnswered++;
        else seen.wrong++;
      } catch (err) {
        if (err instanceof StorageUnavailableError && redisDown) seen.unknownUnavailable++;
        else seen.other.push(err);
        await sleep(20);
      }
    }
  })();
  await sleep(200);
  redisDown = true;
  await redis.stop();
  await sleep(1500);
  const down = await a.check();
  assert.equal(down.find((c) => c.component === "cache")?.ok, false);
  await assert.rejects(a.cache.incr(POPULARITY, "curl"), StorageUnavailableError);
  await assert.rejects(a.builds.run("image:while-down", async () => "x"), StorageUnavailableError);
  await redis.start();
  // The client reconnects by itself.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !(await a.check()).every((c) => c.ok)) await sleep(100);
  assert.ok((await a.check()).every((c) => c.ok), "readiness recovered");
  redisDown = false;
  await sleep(300);
  stop = true;
  await load;
  assert.equal(seen.wrong, 0);
  assert.deepEqual(seen.other, []);
  assert.ok(seen.unknownUnavailable > 0, "errors were reported while Redis was away");
  assert.ok(seen.known > 0 && seen.unknownAnswered > 0);
  await a.cache.set(MANIFESTS, "img2", "sha256:again");
  assert.equal(await b.cache.get(MANIFESTS, "img2"), "sha256:again");
  // Pub/sub resubscribed: a waiter on b is woken by a's build.
  let builds = 0;
  const results = await Promise.all([a, b, a, b].map((s) => s.builds.run("image:after-restart", async () => (builds++, await sleep(200), "r"))));
  assert.deepEqual(results, ["r", "r", "r", "r"]);
  assert.equal(builds, 1);
});

test("an unreachable Redis is a clear startup error", { skip }, async () => {
  const config = storageConfigFromEnv({ LADING_STORAGE: "memory", LADING_REDIS_URL: "redis://127.0.0.1:1" });
  await assert.rejects(openStorage({ ...config, redisConnectTimeoutMs: 1000 }), (err: Error) => err instanceof StorageConfigError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/.test(err.message));
});
