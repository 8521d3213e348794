import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes, randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { Castore, CastoreCorruptionError, blake3Hex, dumpNarSync, gcCastore, type GcReport } from "../../store/index.js";
import { S3CastoreBackend, castoreConfigFromEnv, openCastoreBackend, type OpenedCastore, type S3CastoreOptions } from "../../storage/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { writeRandomTree } from "../helpers/random-tree.js";
import { REPO_ROOT, S3RVER_CREDENTIALS, peerSkipReason, startRedis, startS3rver } from "./peers.js";

const skip = peerSkipReason("s3rver", "redis-server") || nixSkipReason();
const overrides = { credentials: S3RVER_CREDENTIALS, maxAttempts: 1, requestHandler: { connectionTimeout: 2_000, requestTimeout: 20_000 } };
const storePath = (name: string, digit: string) => `/nix/store/${digit.repeat(32)}-${name}`;

let s3: Awaited<ReturnType<typeof startS3rver>>;
let redis: Awaited<ReturnType<typeof startRedis>>;
let scratch: string;

before(async () => {
  if (skip) return;
  scratch = mkdtempSync(join(tmpdir(), "lading-castore-shared-"));
  [s3, redis] = await Promise.all([startS3rver(), startRedis()]);
});

after(async () => {
  if (skip) return;
  await Promise.all([s3.stop(), redis.stop()]);
  rmSync(scratch, { recursive: true, force: true });
  rmSync(s3.directory, { recursive: true, force: true });
});

/** One replica's castore, opened from the environment as `lading serve` would; each test has its own prefixes. */
async function replica(
  t: { after(fn: () => Promise<void>): void },
  prefix: string,
  s3Options: S3CastoreOptions = {},
  maxAttempts = 1,
): Promise<OpenedCastore> {
  const config = castoreConfigFromEnv({
    LADING_DATA_DIR: join(scratch, "unused"),
    LADING_S3_BUCKET: "lading",
    LADING_S3_ENDPOINT: s3.endpoint,
    LADING_S3_PREFIX: prefix,
    LADING_REDIS_URL: redis.url,
    LADING_REDIS_PREFIX: `${prefix}:`,
  });
  const opened = await openCastoreBackend({ ...config, s3ClientOverrides: { ...overrides, maxAttempts }, s3Options });
  t.after(() => opened.close());
  return opened;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** A generated tree plus files past the single-blob limit (chunk lists). */
function writeTree(root: string, seed: number, nodes = 60): void {
  writeRandomTree(root, seed, { nodes });
  writeFileSync(join(root, "big-random"), randomFillSync(Buffer.allocUnsafe(1_300_000 + seed)), { mode: 0o755 });
  writeFileSync(join(root, "big-zeros"), Buffer.alloc(1_300_001));
}

async function keysUnder(backend: S3CastoreBackend, prefix: string): Promise<string[]> {
  const listed = await backend.client.send(new ListObjectsV2Command({ Bucket: "lading", Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

test("castore settings: shared only when a bucket is configured, Redis only beside it", () => {
  const base = { LADING_DATA_DIR: "/data" };
  const inline = { inlineMax: 4096 };
  assert.deepEqual(castoreConfigFromEnv(base), { dir: "/data/castore", ingest: inline });
  assert.deepEqual(castoreConfigFromEnv({ ...base, LADING_REDIS_URL: "redis://r:6379" }), { dir: "/data/castore", ingest: inline });
  assert.deepEqual(castoreConfigFromEnv({ ...base, LADING_CASTORE_INLINE: "0" }).ingest, {});
  assert.deepEqual(castoreConfigFromEnv({ ...base, LADING_CASTORE_INLINE: "1024" }).ingest, { inlineMax: 1024 });
  assert.throws(() => castoreConfigFromEnv({ ...base, LADING_CASTORE_INLINE: "1e9" }), /LADING_CASTORE_INLINE must be/);
  const shared = castoreConfigFromEnv({ ...base, LADING_S3_BUCKET: "b", LADING_S3_ENDPOINT: "http://s3:9000", LADING_REDIS_URL: "redis://r:6379" });
  assert.equal(shared.s3?.bucket, "b");
  assert.equal(shared.s3?.endpoint, "http://s3:9000");
  assert.equal(shared.redisUrl, "redis://r:6379");
  assert.equal(shared.redisPrefix, "lading:");
  const local = castoreConfigFromEnv({ ...base, LADING_S3_BUCKET: "b", LADING_CASTORE: "filesystem", LADING_CASTORE_DIR: "/cas" });
  assert.deepEqual(local, { dir: "/cas", ingest: inline });
  assert.throws(() => castoreConfigFromEnv({ ...base, LADING_CASTORE: "tape" }), /LADING_CASTORE must be/);
});

test("a NAR through the S3 + Redis castore comes out as nix-store --dump gave it", { skip }, async (t) => {
  const opened = await replica(t, "roundtrip");
  assert.equal(opened.description, "s3+redis");
  for (const seed of [1, 2]) {
    // Seed 2 keeps small files inline: a path then costs far fewer requests.
    const castore = new Castore(opened.backend, seed === 2 ? { inlineMax: 4096 } : {});
    const root = join(scratch, `roundtrip-${seed}`);
    writeTree(root, seed, 30);
    const nar = runNix("nix-store", ["--dump", root]);
    const path = storePath(`tree${seed}`, String(seed));
    const { info } = await castore.addNar(path, [nar.subarray(0, 777), nar.subarray(777)]);
    assert.equal(info.narSize, nar.length);
    assert.equal(info.narHash, `sha256:${runNix("nix-hash", ["--type", "sha256", "--base32", root]).toString().trim()}`);
    assert.ok((await collect(castore.nar(path))).equals(nar), `tree ${seed} renders byte-identically`);
    const copy = join(scratch, `roundtrip-${seed}-materialised`);
    await castore.materialise(path, copy);
    assert.ok(runNix("nix-store", ["--dump", copy]).equals(nar), `tree ${seed} materialises as it was`);
  }
});

test("two replicas sharing S3 and Redis see each other's paths", { skip }, async (t) => {
  const a = await replica(t, "replicas");
  const b = await replica(t, "replicas");
  const root = join(scratch, "replicas-tree");
  writeTree(root, 3);
  const path = storePath("shared", "3");
  const dependency = storePath("dependency", "4");
  const castoreA = new Castore(a.backend);
  const castoreB = new Castore(b.backend);
  assert.equal(await castoreB.has(path), false);
  const extras = { deriver: storePath("shared.drv", "9"), sigs: ["cache.example.org-1:c2lnbmF0dXJl"] };
  const { info, storedBytes } = await castoreA.addNar(path, dumpNarSync(root), [dependency], undefined, extras);
  assert.equal(info.deriver, extras.deriver);
  assert.ok(storedBytes > 1_300_000, `stored ${storedBytes} bytes`);
  assert.equal(await castoreB.has(path), true);
  assert.deepEqual(await castoreB.pathInfo(path), info);
  assert.deepEqual((await castoreB.pathInfo(path))?.references, [dependency]);
  assert.ok((await collect(castoreB.nar(path))).equals(runNix("nix-store", ["--dump", root])));
  // B ingesting the same tree again stores nothing new but its path record.
  const again = await castoreB.addNar(storePath("shared-again", "5"), dumpNarSync(root));
  assert.ok(again.storedBytes < 1000, `stored ${again.storedBytes} bytes for a tree already there`);
  // Records live in Redis, objects in the bucket.
  const s3Backend = (a.backend as unknown as { objects: S3CastoreBackend }).objects;
  assert.deepEqual(await keysUnder(s3Backend, "replicas/castore/path/"), []);
  assert.ok((await keysUnder(s3Backend, "replicas/castore/blob/")).length > 10);
});

test("the S3 castore checks bytes against their names on read and on write", { skip }, async (t) => {
  const opened = await replica(t, "verify");
  const backend = (opened.backend as unknown as { objects: S3CastoreBackend }).objects;
  const bytes = randomBytes(1000);
  const key = blake3Hex(bytes);
  await assert.rejects(backend.put("blob", "0".repeat(64), bytes), CastoreCorruptionError);
  assert.equal(await backend.put("blob", key, bytes), true);
  assert.equal(await backend.put("blob", key, bytes), false, "present: nothing written");
  await backend.client.send(new PutObjectCommand({ Bucket: "lading", Key: `verify/castore/blob/${key}`, Body: randomBytes(1000) }));
  await assert.rejects(backend.get("blob", key), CastoreCorruptionError);
  assert.equal(await backend.get("blob", "1".repeat(64)), undefined);
});

test("GC on the shared castore while another replica ingests never deletes what it references", { skip }, async (t) => {
  // Touch every object found present (no refresh window): the protocol is exercised on each one.
  // Retries: s3rver answers 500 when a delete and a write race in one of its directories.
  const a = await replica(t, "gc", { refreshAfterMs: 0 }, 5);
  const b = await replica(t, "gc", { refreshAfterMs: 0 }, 5);
  const castoreA = new Castore(a.backend);
  const castoreB = new Castore(b.backend);
  const old = join(scratch, "gc-old");
  writeTree(old, 31, 25);
  const dead = join(scratch, "gc-dead");
  writeTree(dead, 32, 10);
  await castoreA.addPath(storePath("old", "6"), old);
  await castoreA.addPath(storePath("dead", "7"), dead);
  // S3 times have a resolution of one second: let both trees age past a 2 s grace period.
  await new Promise((resolve) => setTimeout(resolve, 3_200));
  // Replica B ingests a tree sharing nearly everything with `old`, while replica A
  // collects with only B's new path live: every shared object is condemned unless B's
  // touch reaches GC in time.
  const fresh = join(scratch, "gc-fresh");
  writeTree(fresh, 31, 25);
  writeFileSync(join(fresh, "extra"), "new in fresh\n");
  const freshPath = storePath("fresh", "8");
  let writing = true;
  const writer = castoreB.addPath(freshPath, fresh).finally(() => (writing = false));
  const reports: GcReport[] = [];
  while (writing || reports.length < 2) reports.push(await gcCastore(a.backend, [freshPath], { graceMs: 2_000 }));
  await writer;
  const deleted = reports.reduce((n, r) => n + r.deleted.blob + r.deleted.list + r.deleted.dir, 0);
  assert.ok(reports.some((r) => r.deleted.path === 2), "old and dead path records were collected");
  assert.ok(deleted > 0, "objects only `dead` used were collected");
  assert.ok((await collect(castoreA.nar(freshPath))).equals(runNix("nix-store", ["--dump", fresh])), "fresh renders after the collections");
  // And once more with nothing running: still complete, and no trash left behind.
  await gcCastore(a.backend, [freshPath], { graceMs: 2_000 });
  assert.ok((await collect(castoreB.nar(freshPath))).equals(runNix("nix-store", ["--dump", fresh])));
  const s3Backend = (a.backend as unknown as { objects: S3CastoreBackend }).objects;
  assert.deepEqual(await keysUnder(s3Backend, "gc/castore/trash/"), []);
  // `lading store gc` collects the configured shared castore; fresh survives it too.
  const cli = spawnSync(join(REPO_ROOT, "bin", "lading"), ["store", "gc", "--keep", freshPath, "--grace", "2"], {
    encoding: "utf8",
    env: {
      ...process.env,
      LADING_DATA_DIR: join(scratch, "cli"),
      LADING_S3_BUCKET: "lading",
      LADING_S3_ENDPOINT: s3.endpoint,
      LADING_S3_PREFIX: "gc",
      LADING_REDIS_URL: redis.url,
      LADING_REDIS_PREFIX: "gc:",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
  });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /^deleted 0 blobs, 0 chunk lists, 0 directories, 0 path records \(0 bytes\); [1-9]\d* live objects; .*\(s3\+redis\)\n$/);
  assert.ok((await collect(castoreB.nar(freshPath))).equals(runNix("nix-store", ["--dump", fresh])));
});
