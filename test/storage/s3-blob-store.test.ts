import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import {
  DigestMismatchError,
  StorageConfigError,
  StorageUnavailableError,
  openStorage,
  parseDigest,
  storageConfigFromEnv,
  type Storage,
} from "../../storage/index.js";
import { S3BlobStore } from "../../storage/s3-blob-store.js";
import { S3RVER_CREDENTIALS, peerSkipReason, startS3rver } from "./peers.js";

const skip = peerSkipReason("s3rver");
const digestOf = (bytes: Uint8Array) => parseDigest(`sha256:${createHash("sha256").update(bytes).digest("hex")}`);
// Fail fast in tests: one attempt, short timeouts.
const overrides = { credentials: S3RVER_CREDENTIALS, maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 } };

let s3: Awaited<ReturnType<typeof startS3rver>>;
let storage: Storage;

function envFor(extra: Record<string, string> = {}) {
  return { LADING_STORAGE: "s3", LADING_S3_BUCKET: "lading", LADING_S3_ENDPOINT: s3.endpoint, ...extra };
}

async function keysInBucket(): Promise<string[]> {
  const store = storage.blobs as S3BlobStore;
  const listed = await store.client.send(new ListObjectsV2Command({ Bucket: "lading" }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

before(async () => {
  if (skip) return;
  s3 = await startS3rver();
  storage = await openStorage({ ...storageConfigFromEnv(envFor({ LADING_S3_REDIRECT: "true" })), s3ClientOverrides: overrides });
});

after(async () => {
  await storage?.close();
  await s3?.stop();
});

test("blobs round-trip through S3 under content addresses, with Range reads", { skip }, async () => {
  const bytes = randomBytes(300_000);
  const info = await storage.blobs.write(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
  assert.equal(info.digest.hex, digestOf(bytes).hex);
  assert.equal(info.size, bytes.length);
  assert.deepEqual(await storage.blobs.stat(info.digest), info);
  assert.deepEqual(await buffer((await storage.blobs.read(info.digest))!), bytes);
  assert.deepEqual(await buffer((await storage.blobs.read(info.digest, { start: 1234, end: 99_999 }))!), bytes.subarray(1234, 100_000));
  assert.ok((await keysInBucket()).includes(`blobs/sha256/${info.digest.hex}`));
  assert.ok(!(await keysInBucket()).some((k) => k.startsWith("tmp/")), "temporary upload removed");
  const known = await storage.blobs.write(bytes, info.digest);
  assert.deepEqual(known, info);
  await storage.blobs.delete(info.digest);
  assert.equal(await storage.blobs.stat(info.digest), undefined);
  assert.equal(await storage.blobs.read(info.digest), undefined);
});

test("a large blob goes up in parts; a wrong digest leaves no object behind", { skip }, async () => {
  const big = randomBytes(40 * 1024 * 1024 + 17);
  const before = await keysInBucket();
  const wrong = digestOf(Buffer.from("not these bytes"));
  const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536));
  await assert.rejects(storage.blobs.write(Readable.from(chunks), wrong), DigestMismatchError);
  assert.equal(await storage.blobs.stat(wrong), undefined);
  assert.equal(await storage.blobs.stat(digestOf(big)), undefined);
  assert.deepEqual(await keysInBucket(), before);
  const ok = await storage.blobs.write(Readable.from(chunks), digestOf(big));
  assert.equal(ok.size, big.length);
  const back = await buffer((await storage.blobs.read(ok.digest))!);
  assert.equal(digestOf(back).hex, ok.digest.hex);
  await storage.blobs.delete(ok.digest);
});

test("a source stream that fails mid-upload stores nothing", { skip }, async () => {
  const before = await keysInBucket();
  async function* failing() {
    yield randomBytes(20 * 1024 * 1024);
    throw new Error("layer writer crashed");
  }
  await assert.rejects(storage.blobs.write(Readable.from(failing())));
  assert.deepEqual(await keysInBucket(), before);
});

test("redirect mode gives presigned URLs that serve exactly the blob", { skip }, async () => {
  const bytes = randomBytes(5000);
  const info = await storage.blobs.write(bytes);
  assert.ok(storage.blobUrl, "LADING_S3_REDIRECT=true offers blob URLs");
  const url = (await storage.blobUrl(info.digest))!;
  assert.match(url, /X-Amz-Signature=/);
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
  const ranged = await fetch(url, { headers: { Range: "bytes=10-19" } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), bytes.subarray(10, 20));
});

test("a missing bucket is a clear startup error", { skip }, async () => {
  await assert.rejects(
    openStorage({ ...storageConfigFromEnv(envFor({ LADING_S3_BUCKET: "no-such-bucket" })), s3ClientOverrides: overrides }),
    (err: Error) => err instanceof StorageConfigError && /bucket 'no-such-bucket' does not exist/.test(err.message),
  );
});

test("an S3 endpoint that stops answers with StorageUnavailableError, then resumes with data intact", { skip }, async () => {
  const bytes = randomBytes(100_000);
  const info = await storage.blobs.write(bytes);
  const checksBefore = await storage.check();
  assert.ok(checksBefore.every((c) => c.ok));
  await s3.stop();
  await assert.rejects(storage.blobs.stat(info.digest), StorageUnavailableError);
  await assert.rejects(storage.blobs.read(info.digest), StorageUnavailableError);
  await assert.rejects(storage.blobs.write(randomBytes(1000)), StorageUnavailableError);
  const checksDown = await storage.check();
  assert.equal(checksDown.find((c) => c.component === "blobs")?.ok, false);
  await s3.start();
  assert.deepEqual(await buffer((await storage.blobs.read(info.digest))!), bytes);
  assert.ok(!(await keysInBucket()).some((k) => k.startsWith("tmp/")));
  assert.ok((await storage.check()).every((c) => c.ok));
});
