import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Castore,
  CastoreCorruptionError,
  CastoreFormatError,
  FsCastoreBackend,
  INLINE_LIMIT,
  SplitCastoreBackend,
  blake3Hex,
  decodeDirectory,
  decodePathInfo,
  directoryNode,
  dumpNarSync as dumpSync,
  encodeDirectory,
  encodePathInfo,
  gcCastore,
  ingestNar,
  inlineFile,
  narSizeOf,
  renderNar,
  type CasEntry,
} from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { writeRandomTree } from "../helpers/random-tree.js";

const skip = nixSkipReason();
const LADING = resolve(fileURLToPath(import.meta.url), "../../../../bin/lading");
const path = (name: string, hash = "0".repeat(31) + "1") => `/nix/store/${hash}-${name}`;

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-castore-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** A tree with files past the single-blob limit, so chunk lists are exercised too. */
function writeTree(root: string, seed: number): void {
  writeRandomTree(root, seed);
  const big = Buffer.allocUnsafe(3_500_000 + seed);
  randomFillSync(big);
  writeFileSync(join(root, "big-random"), big, { mode: 0o755 });
  writeFileSync(join(root, "big-zeros"), Buffer.alloc(1_700_001));
}

test("NARs of generated trees go in and come out byte-identical to nix-store --dump", { skip }, async (t) => {
  const dir = scratch(t);
  const castore = new Castore(new FsCastoreBackend(join(dir, "cas")));
  for (const seed of [1, 2, 3, 4]) {
    const root = join(dir, `tree${seed}`);
    writeTree(root, seed);
    const nar = runNix("nix-store", ["--dump", root]);
    const storePath = path(`tree${seed}`, `${"0".repeat(31)}${seed}`);
    const { info } = await castore.addNar(storePath, [nar.subarray(0, 1000), nar.subarray(1000)]);
    assert.equal(info.narHash, `sha256:${runNix("nix-hash", ["--type", "sha256", "--base32", root]).toString().trim()}`, `seed ${seed}`);
    assert.equal(info.narSize, nar.length);
    assert.equal(narSizeOf(info.root), nar.length, "sizes recorded in nodes add up to the NAR's");
    assert.ok((await collect(castore.nar(storePath))).equals(nar), `seed ${seed} renders the same NAR`);
    const again = await castore.pathInfo(storePath);
    assert.deepEqual(again, info);
  }
});

test("a tree on disk ingests to the NAR nix-store --dump gives, and materialises back", { skip }, async (t) => {
  const dir = scratch(t);
  const castore = new Castore(new FsCastoreBackend(join(dir, "cas")), { chunking: "fixed" });
  for (const seed of [5, 6]) {
    const root = join(dir, `tree${seed}`);
    writeTree(root, seed);
    const storePath = path(`disk${seed}`);
    const { info } = await castore.addPath(storePath, root, [path("dep", "1".repeat(32))]);
    const nar = runNix("nix-store", ["--dump", root]);
    assert.ok((await collect(castore.nar(storePath))).equals(nar));
    assert.deepEqual(info.references, [path("dep", "1".repeat(32))]);
    const restored = join(dir, `restored${seed}`);
    await castore.materialise(storePath, restored);
    assert.ok(runNix("nix-store", ["--dump", restored]).equals(nar), "materialised tree dumps to the same NAR");
  }
  // A single file and a symlink as a store path's root.
  writeFileSync(join(dir, "single"), "hello\n", { mode: 0o755 });
  const single = await castore.addPath(path("single"), join(dir, "single"));
  assert.ok((await collect(castore.nar(path("single")))).equals(runNix("nix-store", ["--dump", join(dir, "single")])));
  assert.equal(single.info.root.kind, "file");
});

test("a second version that differs slightly stores only the difference", async (t) => {
  const dir = scratch(t);
  const castore = new Castore(new FsCastoreBackend(join(dir, "cas")));
  const v1 = join(dir, "v1");
  const v2 = join(dir, "v2");
  mkdirSync(v1);
  mkdirSync(v2);
  const big = Buffer.allocUnsafe(8 << 20);
  randomFillSync(big);
  writeFileSync(join(v1, "lib.so"), big);
  // Ten bytes inserted in the middle: content-defined cuts find the old chunks again.
  writeFileSync(join(v2, "lib.so"), Buffer.concat([big.subarray(0, 4 << 20), Buffer.from("0123456789"), big.subarray(4 << 20)]));
  const first = await castore.addPath(path("v1"), v1);
  const second = await castore.addPath(path("v2", "2".repeat(32)), v2);
  assert.ok(first.storedBytes > 8 << 20);
  assert.ok(second.storedBytes < 2200 << 10, `second version stored ${second.storedBytes} bytes`);
});

test("directory encoding is canonical and strictly decoded", () => {
  const digest = "ab".repeat(32);
  const entries: CasEntry[] = [
    { name: Buffer.from("B"), node: { kind: "file", executable: true, size: 5, digest } },
    { name: Buffer.from("a"), node: { kind: "symlink", target: Buffer.from("../x") } },
    { name: Buffer.from([0xff]), node: { kind: "directory", size: 1 << 40, digest } },
  ];
  const encoded = encodeDirectory(entries);
  assert.deepEqual(decodeDirectory(encoded), entries);
  assert.ok(encodeDirectory(decodeDirectory(encoded)).equals(encoded));
  assert.equal(directoryNode(entries).node.digest, directoryNode(decodeDirectory(encoded)).node.digest);
  assert.throws(() => encodeDirectory([entries[1]!, entries[0]!]), CastoreFormatError);
  assert.throws(() => encodeDirectory([entries[0]!, entries[0]!]), CastoreFormatError);
  for (const bad of ["", ".", "..", "a/b", "a\0"]) {
    assert.throws(() => encodeDirectory([{ name: Buffer.from(bad), node: entries[1]!.node }]), CastoreFormatError, bad);
  }
  assert.throws(() => decodeDirectory(Buffer.concat([encoded, Buffer.from([0])])), CastoreFormatError);
  assert.throws(() => decodeDirectory(encoded.subarray(0, encoded.length - 1)), CastoreFormatError);
  const unknownKind = Buffer.from(encoded);
  unknownKind[8] = 9;
  assert.throws(() => decodeDirectory(unknownKind), CastoreFormatError);
});

test("the filesystem backend writes atomically, refreshes on put and refuses corrupt reads", async (t) => {
  const dir = scratch(t);
  const backend = new FsCastoreBackend(join(dir, "cas"));
  const result = await ingestNar(backend, [runNixOrBuild(dir)]);
  assert.equal(result.root.kind, "directory");
  for (const kind of ["blob", "dir"]) {
    for (const fan of readdirSync(join(dir, "cas", kind))) {
      assert.deepEqual(readdirSync(join(dir, "cas", kind, fan)).filter((n) => n.startsWith(".")), [], "no temporary files left");
    }
  }
  const blobs: string[] = [];
  for await (const object of backend.list("blob")) blobs.push(object.key);
  assert.ok(blobs.length > 0);
  assert.equal(await backend.put("blob", blobs[0]!, (await backend.get("blob", blobs[0]!))!), false, "present: not written again");
  // An old object's time is refreshed by a put (GC's grace period); a recent one's is left alone.
  const blobFile = join(dir, "cas", "blob", blobs[0]!.slice(0, 2), blobs[0]!);
  const contents = (await backend.get("blob", blobs[0]!))!;
  for (const [ageMs, refreshed] of [[3_600_000, true], [300_000, false]] as const) {
    const then = (Date.now() - ageMs) / 1000;
    utimesSync(blobFile, then, then);
    await backend.put("blob", blobs[0]!, contents);
    const mtime = statSync(blobFile).mtimeMs;
    assert.equal(mtime > Date.now() - 60_000, refreshed, `object ${ageMs / 1000} s old refreshed: ${refreshed}`);
  }
  writeFileSync(join(dir, "cas", "blob", blobs[0]!.slice(0, 2), blobs[0]!), "tampered");
  await assert.rejects(backend.get("blob", blobs[0]!), CastoreCorruptionError);
  await assert.rejects(collect(renderNar(backend, result.root)), CastoreCorruptionError);
  assert.equal(await backend.get("blob", "0".repeat(64)), undefined);
});

/** A small NAR built by our own dumper (no CppNix needed). */
function runNixOrBuild(dir: string): Buffer {
  const root = join(dir, "small");
  writeRandomTree(root, 9, { nodes: 40 });
  return Buffer.concat([...dumpSync(root)]);
}


function ageAll(dir: string, when: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) ageAll(full, when);
    else utimesSync(full, when / 1000, when / 1000);
  }
}

test("gc deletes only what no live path reaches, and spares young objects", async (t) => {
  const dir = scratch(t);
  const backend = new FsCastoreBackend(join(dir, "cas"));
  const castore = new Castore(backend);
  const keep = path("keep", "3".repeat(32));
  const drop = path("drop", "4".repeat(32));
  const shared = Buffer.alloc(1000, 7);
  for (const [name, storePath] of [["keep", keep], ["drop", drop]] as const) {
    const root = join(dir, name);
    writeRandomTree(root, name === "keep" ? 21 : 22, { nodes: 60 });
    writeFileSync(join(root, "shared"), shared);
    await castore.addPath(storePath, root);
  }
  const keepNar = await collect(castore.nar(keep));
  // Everything was written just now: a grace period of an hour keeps it all.
  const young = await gcCastore(backend, [keep], { graceMs: 3_600_000 });
  assert.equal(young.deleted.blob + young.deleted.dir + young.deleted.path, 0);
  assert.ok(young.spared > 0);
  // An hour later, what only `drop` used goes; `keep` renders as before.
  const later = Date.now() + 3_600_001;
  const report = await gcCastore(backend, [keep], { graceMs: 3_600_000, now: later });
  assert.equal(report.deleted.path, 1);
  assert.ok(report.deleted.blob > 0 && report.deleted.dir > 0);
  assert.equal(await castore.pathInfo(drop), undefined);
  assert.ok((await collect(castore.nar(keep))).equals(keepNar));
  const again = await gcCastore(backend, "all", { graceMs: 0, now: later });
  assert.equal(again.deleted.blob + again.deleted.dir + again.deleted.list + again.deleted.path, 0, "nothing left to collect");
});

test("gc running while another writer ingests never deletes what that writer references", async (t) => {
  const dir = scratch(t);
  const backend = new FsCastoreBackend(join(dir, "cas"));
  const castore = new Castore(backend);
  const old = join(dir, "old");
  writeRandomTree(old, 31, { nodes: 80 });
  await castore.addPath(path("old", "5".repeat(32)), old);
  // The old path was dropped long ago: its objects are an hour old. A writer now
  // ingests a tree that shares most of them, while collections run with a grace period.
  ageAll(join(dir, "cas"), Date.now() - 3_600_000);
  const fresh = join(dir, "fresh");
  writeRandomTree(fresh, 31, { nodes: 80 });
  writeFileSync(join(fresh, "extra"), "new\n");
  const freshPath = path("fresh", "6".repeat(32));
  const collections: Promise<unknown>[] = [];
  const writer = castore.addPath(freshPath, fresh);
  for (let i = 0; i < 5; i++) {
    collections.push(gcCastore(backend, [freshPath], { graceMs: 60_000 }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await writer;
  const reports = (await Promise.all(collections)) as Array<{ deleted: { path: number } }>;
  assert.ok(reports.some((r) => r.deleted.path === 1), "the old path was collected meanwhile");
  await gcCastore(backend, [freshPath], { graceMs: 60_000 });
  assert.ok((await collect(castore.nar(freshPath))).equals(Buffer.concat([...dumpSync(fresh)])));
});

test("lading store gc collects a castore directory", async (t) => {
  const dir = scratch(t);
  const cas = join(dir, "cas");
  const castore = new Castore(new FsCastoreBackend(cas));
  const keep = path("keep", "7".repeat(32));
  const drop = path("drop", "8".repeat(32));
  for (const [seed, storePath] of [[41, keep], [42, drop]] as const) {
    const root = join(dir, `tree${seed}`);
    writeRandomTree(root, seed, { nodes: 30 });
    await castore.addPath(storePath, root);
  }
  const lading = (args: string[]) => spawnSync(LADING, ["store", "gc", "--castore", cas, ...args], { encoding: "utf8" });
  const young = lading(["--keep", keep]);
  assert.equal(young.status, 0, young.stderr);
  assert.match(young.stdout, /^deleted 0 blobs, 0 chunk lists, 0 directories, 0 path records \(0 bytes\); \d+ live objects; [1-9]\d* unreachable/);
  const dry = lading(["--keep", keep, "--grace", "0", "--dry-run"]);
  assert.match(dry.stdout, /^would delete \d+ blobs, 0 chunk lists, [1-9]\d* directories, 1 path records/);
  assert.ok(await castore.pathInfo(drop), "a dry run deletes nothing");
  const collected = lading(["--keep", keep, "--grace", "0"]);
  assert.match(collected.stdout, /^deleted \d+ blobs, 0 chunk lists, [1-9]\d* directories, 1 path records/);
  assert.equal(await castore.pathInfo(drop), undefined);
  assert.ok((await collect(castore.nar(keep))).length > 0);
  const bad = lading(["--grace", "soon"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: '--grace' wants a number of seconds, not 'soon'\n$/);
});

test("gc cleans up after crashed writers and collectors on the filesystem backend", async (t) => {
  const dir = scratch(t);
  const cas = join(dir, "cas");
  const backend = new FsCastoreBackend(cas);
  const castore = new Castore(backend);
  const root = join(dir, "tree");
  writeRandomTree(root, 51, { nodes: 20 });
  const kept = path("kept", "9".repeat(32));
  await castore.addPath(kept, root);
  const fan = join(cas, "blob", "ab");
  mkdirSync(fan, { recursive: true });
  const hourAgo = new Date(Date.now() - 3_600_000);
  // A writer that died before its rename, long ago, and one writing right now.
  const staleTemporary = join(fan, `.tmp.ab${"0".repeat(62)}.0123456789ab`);
  const liveTemporary = join(fan, `.tmp.ab${"1".repeat(62)}.0123456789ab`);
  writeFileSync(staleTemporary, "half written");
  utimesSync(staleTemporary, hourAgo, hourAgo);
  writeFileSync(liveTemporary, "being written");
  // A collector that died after moving an object aside: the object comes back.
  const blobDir = readdirSync(join(cas, "blob")).find((name) => name !== "ab")!;
  const victim = readdirSync(join(cas, "blob", blobDir)).find((name) => !name.startsWith("."))!;
  const aside = join(cas, "blob", blobDir, `.gc.${victim}.0123456789ab`);
  renameSync(join(cas, "blob", blobDir, victim), aside);
  utimesSync(aside, hourAgo, hourAgo);
  const report = await gcCastore(backend, "all", { graceMs: 60_000 });
  assert.equal(report.staleRemoved, 2);
  assert.deepEqual(readdirSync(fan).sort(), [`.tmp.ab${"1".repeat(62)}.0123456789ab`]);
  assert.ok((await collect(castore.nar(kept))).equals(Buffer.concat([...dumpSync(root)])), "the object moved aside is back");
  const dry = await gcCastore(backend, "all", { graceMs: 0, dryRun: true });
  assert.equal(dry.staleRemoved, 0, "a dry run removes nothing");
  assert.ok(readdirSync(fan).length === 1);
});

test("path records carry deriver, signatures and CA only when given", async (t) => {
  const dir = scratch(t);
  const backend = new FsCastoreBackend(join(dir, "cas"));
  const castore = new Castore(backend);
  const root = join(dir, "tree");
  writeRandomTree(root, 61, { nodes: 10 });
  const plain = path("plain", "a".repeat(32));
  const { info } = await castore.addPath(plain, root);
  assert.deepEqual(Object.keys(JSON.parse(encodePathInfo(info).toString())), ["storePath", "root", "narHash", "narSize", "references"]);
  const extras = { deriver: path("rich.drv", "c".repeat(32)), sigs: ["k-1:AAAA", "k-2:BBBB"], ca: "fixed:r:sha256:0000000000000000000000000000000000000000000000000000" };
  const rich = path("rich", "b".repeat(32));
  const added = await castore.addPath(rich, root, [plain], extras);
  assert.deepEqual(await castore.pathInfo(rich), added.info);
  assert.deepEqual(decodePathInfo(encodePathInfo(added.info)), { ...added.info, references: [plain] });
  // A record written separately (after ingestNar) reads back the same.
  const separate = path("separate", "d".repeat(32));
  const ingested = await ingestNar(backend, dumpSync(root));
  const record = { storePath: separate, root: ingested.root, narHash: `sha256:${ingested.narHash.toBase32()}`, narSize: ingested.narSize, references: [], ...extras };
  await castore.putRecord(record);
  assert.deepEqual(await castore.pathInfo(separate), record);
  assert.throws(() => decodePathInfo(Buffer.from(JSON.stringify({ ...JSON.parse(encodePathInfo(info).toString()), sigs: [1] }))), CastoreFormatError);
});

test("small files kept inline in directory nodes render, materialise and collect like blobs", { skip }, async (t) => {
  const dir = scratch(t);
  const cas = join(dir, "cas");
  const backend = new FsCastoreBackend(cas);
  const castore = new Castore(backend, { inlineMax: 4096 });
  const plain = new Castore(new FsCastoreBackend(join(dir, "plain")));
  const root = join(dir, "tree");
  writeTree(root, 71);
  writeFileSync(join(root, "empty"), "");
  writeFileSync(join(root, "exactly-4096"), Buffer.alloc(4096, 1), { mode: 0o755 });
  writeFileSync(join(root, "just-over"), Buffer.alloc(4097, 2));
  const nar = runNix("nix-store", ["--dump", root]);
  const inlined = path("inlined", "f".repeat(32));
  const { info } = await castore.addNar(inlined, [nar]);
  const other = await plain.addNar(inlined, [nar]);
  assert.equal(info.narHash, other.info.narHash);
  assert.ok((await collect(castore.nar(inlined))).equals(nar));
  const copy = join(dir, "copy");
  await castore.materialise(inlined, copy);
  assert.ok(runNix("nix-store", ["--dump", copy]).equals(nar));
  // Far fewer objects than with a blob per file.
  const count = async (b: FsCastoreBackend) => {
    let n = 0;
    for (const kind of ["blob", "list", "dir"] as const) for await (const _ of b.list(kind)) n++;
    return n;
  };
  const inlineObjects = await count(backend);
  const blobObjects = await count(plain.backend as FsCastoreBackend);
  assert.ok(inlineObjects * 1.5 < blobObjects, `${inlineObjects} objects inline, ${blobObjects} without`);
  // The node of the root directory holds the small files; only the larger one is a blob.
  assert.equal(info.root.kind, "directory");
  const entries = decodeDirectory((await backend.get("dir", (info.root as { digest: string }).digest))!);
  const byName = new Map(entries.map((e) => [e.name.toString(), e.node]));
  assert.ok((byName.get("exactly-4096") as { contents?: Buffer }).contents?.equals(Buffer.alloc(4096, 1)));
  assert.equal((byName.get("just-over") as { contents?: Buffer }).contents, undefined);
  assert.equal((byName.get("empty") as { digest: string }).digest, blake3Hex(Buffer.alloc(0)));
  // GC keeps what the inline tree needs, and nothing is missing afterwards.
  const later = Date.now() + 3_600_001;
  const report = await gcCastore(backend, [inlined], { graceMs: 3_600_000, now: later });
  assert.equal(report.deleted.blob + report.deleted.dir + report.deleted.list, 0);
  assert.ok((await collect(castore.nar(inlined))).equals(nar));
  // Strict decoding: an inline file past the limit is refused.
  const big = encodeDirectory([{ name: Buffer.from("f"), node: inlineFile(false, Buffer.alloc(10)) }]);
  big.writeUInt32LE(INLINE_LIMIT + 1, big.length - 10 - 4);
  assert.throws(() => decodeDirectory(Buffer.concat([big, Buffer.alloc(INLINE_LIMIT - 9)])), CastoreFormatError);
});

test("a split backend keeps path records in one backend and objects in the other", async (t) => {
  const dir = scratch(t);
  const objects = new FsCastoreBackend(join(dir, "objects"));
  const records = new FsCastoreBackend(join(dir, "records"));
  const split = new SplitCastoreBackend(objects, records);
  assert.equal(typeof split.getSync, "function", "both halves read synchronously");
  const castore = new Castore(split);
  const root = join(dir, "tree");
  writeRandomTree(root, 81, { nodes: 20 });
  const stored = path("split", "g".repeat(32));
  await castore.addPath(stored, root);
  assert.ok((await collect(castore.nar(stored))).equals(Buffer.concat([...dumpSync(root)])));
  assert.equal(readdirSync(join(dir, "objects")).includes("path"), false);
  assert.deepEqual(readdirSync(join(dir, "records")), ["path"]);
  const report = await gcCastore(split, "all", { graceMs: 0, now: Date.now() + 1000 });
  assert.equal(report.deleted.blob + report.deleted.dir + report.deleted.path, 0);
  assert.ok(await castore.has(stored));
});
