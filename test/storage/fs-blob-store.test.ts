import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { DigestMismatchError, FsBlobStore, formatDigest, parseDigest } from "../../storage/index.js";

function digestOf(bytes: Uint8Array) {
  return parseDigest(`sha256:${createHash("sha256").update(bytes).digest("hex")}`);
}

test("blobs round-trip with ranges and are content-addressed", async () => {
  const root = mkdtempSync(join(tmpdir(), "lading-blobs-"));
  const store = new FsBlobStore(root);
  const bytes = Buffer.from("hello, layered world");
  const info = await store.write(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]));
  assert.equal(formatDigest(info.digest), formatDigest(digestOf(bytes)));
  assert.equal(info.size, bytes.length);
  assert.deepEqual(await store.stat(info.digest), info);
  assert.equal(await text((await store.read(info.digest))!), bytes.toString());
  assert.equal(await text((await store.read(info.digest, { start: 7, end: 13 }))!), "layered");
  await store.delete(info.digest);
  assert.equal(await store.stat(info.digest), undefined);
  assert.equal(await store.read(info.digest), undefined);
});

test("a write whose digest does not match leaves nothing behind", async () => {
  const root = mkdtempSync(join(tmpdir(), "lading-blobs-"));
  const store = new FsBlobStore(root);
  const bytes = randomBytes(100_000);
  const wrong = digestOf(Buffer.from("something else"));
  await assert.rejects(store.write(bytes, wrong), DigestMismatchError);
  assert.equal(await store.stat(digestOf(bytes)), undefined);
  assert.equal(await store.stat(wrong), undefined);
  assert.deepEqual(readdirSync(join(root, "tmp")), []);
  const ok = await store.write(bytes, digestOf(bytes));
  assert.equal(ok.size, bytes.length);
});

test("a failing source stream leaves nothing behind", async () => {
  const root = mkdtempSync(join(tmpdir(), "lading-blobs-"));
  const store = new FsBlobStore(root);
  const failing = new Readable({
    read() {
      this.push(Buffer.from("partial"));
      this.destroy(new Error("connection reset"));
    },
  });
  await assert.rejects(store.write(failing), /connection reset/);
  assert.deepEqual(readdirSync(join(root, "tmp")), []);
});

test("digests are parsed strictly", () => {
  assert.throws(() => parseDigest("sha256:ABC"), /invalid digest/);
  assert.throws(() => parseDigest("sha512:" + "a".repeat(64)), /invalid digest/);
  assert.throws(() => parseDigest("sha256:" + "a".repeat(63)), /invalid digest/);
  assert.equal(parseDigest("sha256:" + "a".repeat(64)).hex, "a".repeat(64));
});
