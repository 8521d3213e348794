/**
 * The local store's batch metadata (one file per commitMany) and text objects
 * committed from their bytes: what reopening, garbage collection, signatures, a
 * record in two files and a damaged batch file leave valid.
 */
import assert from "node:assert/strict";
import { appendFileSync, lstatSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { LocalStore, pathInfoToJson } from "../../builder/index.js";
import { computeTextPath, hashBytes, narHashAndSize, type StorePath } from "../../store/index.js";
import { textNarHash } from "../../evaluator/index.js";
import { tempDir } from "./fixture.js";

/** The NAR hash and size of a regular file with these contents (computed from a real file). */
function textNar(contents: string): { hash: ReturnType<typeof narHashAndSize>["hash"]; size: number } {
  const file = join(tempDir("text-nar"), "f");
  writeFileSync(file, contents);
  return narHashAndSize(file);
}

/** A chain of text paths given by their bytes, each referring to the one before. */
function textChain(count: number, tag: string) {
  const items = [];
  let previous: StorePath[] = [];
  for (let i = 0; i < count; i++) {
    const contents = `text ${i} of ${tag} after ${previous.map((p) => p.render()).join(" ")}\n`;
    const path = computeTextPath(`meta-${tag}-${i}`, contents, previous);
    const nar = textNar(contents);
    items.push({
      staged: { dir: "/nonexistent", contentPath: "/nonexistent", narHash: nar.hash, narSize: nar.size, contents: Buffer.from(contents) },
      info: { path, narHash: nar.hash, narSize: nar.size, references: previous, ca: { type: "text" as const, hash: hashBytes("sha256", contents) } },
      contents,
    });
    previous = [path];
  }
  return items;
}

function dbDir(root: string): string {
  return join(root, "nix", "var", "lading", "db");
}

function dbFiles(root: string): { batches: string[]; own: string[] } {
  const names = readdirSync(dbDir(root));
  return { batches: names.filter((n) => n.endsWith(".jsonl")), own: names.filter((n) => n.endsWith(".json")) };
}

test("a batch is one metadata file; text objects from bytes are read-only, mtime 1, with the NAR hash declared", async () => {
  const root = tempDir("meta-store");
  const store = await LocalStore.open({ root });
  const items = textChain(40, "a");
  await store.commitMany(items);
  await store.close();
  assert.deepEqual(dbFiles(root).own, []);
  assert.equal(dbFiles(root).batches.length, 1);
  const reopened = await LocalStore.open({ root });
  try {
    for (const item of items) {
      const real = reopened.realPath(item.info.path);
      assert.equal(readFileSync(real, "latin1"), item.contents);
      const st = lstatSync(real);
      assert.equal(st.mode & 0o777, 0o444);
      assert.equal(st.mtimeMs, 1000);
      assert.equal(narHashAndSize(real).hash.format("base32"), item.info.narHash.format("base32"));
      assert.deepEqual(reopened.queryReferences(item.info.path), item.info.references);
    }
  } finally {
    await reopened.close();
  }
});

test("collecting part of a batch keeps the rest valid across reopening; signing a member rewrites the batch", async () => {
  const root = tempDir("meta-store");
  const store = await LocalStore.open({ root });
  const items = textChain(10, "b");
  await store.commitMany(items);
  await store.addRoot("keep", items[4]!.info.path);
  await store.addSignatures(items[2]!.info.path, ["test-key:c2ln"]);
  assert.equal(store.queryPathInfo(items[2]!.info.path)!.sigs.length, 1);
  assert.deepEqual(dbFiles(root).own, [], "still one batch file");
  const gc = await store.collectGarbage();
  assert.deepEqual(gc.deleted.map((p) => p.baseName).sort(), items.slice(5).map((i) => i.info.path.baseName).sort());
  await store.close();
  const reopened = await LocalStore.open({ root });
  try {
    assert.deepEqual(reopened.allValidPaths().map((p) => p.baseName).sort(), items.slice(0, 5).map((i) => i.info.path.baseName).sort());
    assert.deepEqual(reopened.queryPathInfo(items[2]!.info.path)!.sigs, ["test-key:c2ln"]);
    assert.deepEqual(dbFiles(root), { batches: dbFiles(root).batches, own: [] });
    assert.equal(dbFiles(root).batches.length, 1);
  } finally {
    await reopened.close();
  }
  // Deleting one path of a batch, and collecting a whole batch (its file goes).
  const again = await LocalStore.open({ root });
  try {
    const more = textChain(6, "c");
    await again.commitMany(more);
    await again.deletePath(more[5]!.info.path);
    assert.equal(again.isValid(more[5]!.info.path), false);
    const doomed = textChain(3, "g");
    await again.commitMany(doomed);
    assert.equal(dbFiles(root).batches.length, 3);
    await again.addRoot("more", more[4]!.info.path);
    await again.collectGarbage();
    assert.equal(dbFiles(root).batches.length, 2, "the collected batch's file is gone");
    assert.ok(doomed.every((d) => !again.isValid(d.info.path)));
  } finally {
    await again.close();
  }
  const third = await LocalStore.open({ root });
  try {
    assert.equal(third.allValidPaths().length, 5 + 5);
  } finally {
    await third.close();
  }
});

test("a record both in a file of its own and in a batch keeps its own; a damaged batch line drops only its path", async () => {
  const root = tempDir("meta-store");
  const store = await LocalStore.open({ root });
  const items = textChain(8, "d");
  await store.commitMany(items);
  const info3 = store.queryPathInfo(items[3]!.info.path)!;
  await store.close();
  const [batch] = dbFiles(root).batches;
  // One member in both places, its own file with a signature more.
  writeFileSync(join(dbDir(root), `${items[3]!.info.path.baseName}.json`), pathInfoToJson({ ...info3, sigs: ["k:c2ln"] }));
  let reopened = await LocalStore.open({ root });
  try {
    assert.equal(reopened.allValidPaths().length, 8);
    assert.deepEqual(reopened.queryPathInfo(items[3]!.info.path)!.sigs, ["k:c2ln"]);
    assert.deepEqual(dbFiles(root).batches, [batch], "the batch was rewritten without it");
    assert.equal(readFileSync(join(dbDir(root), batch!), "utf8").split("\n").filter((l) => l !== "").length, 7);
    assert.equal(dbFiles(root).own.length, 1);
  } finally {
    await reopened.close();
  }
  // A batch whose last line is damaged: that path (and its referrers) is not valid, the rest is.
  const more = textChain(3, "e");
  reopened = await LocalStore.open({ root });
  await reopened.commitMany(more);
  await reopened.close();
  const moreBatch = dbFiles(root).batches.find((b) => b !== batch)!;
  const lines = readFileSync(join(dbDir(root), moreBatch), "utf8").split("\n").filter((l) => l !== "");
  const damaged = lines.findIndex((l) => l.includes(more[2]!.info.path.baseName));
  lines[damaged] = lines[damaged]!.slice(0, 40);
  writeFileSync(join(dbDir(root), moreBatch), lines.join("\n") + "\n");
  appendFileSync(join(dbDir(root), moreBatch), "");
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on("warning", onWarning);
  reopened = await LocalStore.open({ root });
  try {
    await new Promise((resolve) => setImmediate(resolve));
    const valid = new Set(reopened.allValidPaths().map((p) => p.baseName));
    assert.ok(valid.has(more[1]!.info.path.baseName));
    assert.ok(!valid.has(more[2]!.info.path.baseName));
    assert.deepEqual(readdirSync(reopened.realStoreDir).includes(more[2]!.info.path.baseName), false, "its object is a leftover, removed");
    assert.ok(warnings.some((w) => w.includes("dropping invalid store metadata")));
    const rewritten = readFileSync(join(dbDir(root), moreBatch), "utf8").split("\n").filter((l) => l !== "");
    assert.equal(rewritten.length, 2, "the damaged line is gone from the batch");
  } finally {
    process.off("warning", onWarning);
    await reopened.close();
  }
});

test("textNarHash gives the NAR hash and size of a file with those bytes (every padding, and a text larger than its scratch)", () => {
  for (const length of [0, 1, 7, 8, 9, 15, 16, 100, 20000, 70000]) {
    const contents = Buffer.alloc(length);
    for (let i = 0; i < length; i++) contents[i] = (i * 131 + length) & 0xff;
    const file = join(tempDir("text-nar"), "f");
    writeFileSync(file, contents);
    const expected = narHashAndSize(file);
    const got = textNarHash(contents);
    assert.equal(got.hash.format("base32"), expected.hash.format("base32"), `length ${length}`);
    assert.equal(got.size, expected.size);
  }
});

test("a batch waits for a path's commit in flight and holds all its paths at once", async () => {
  const root = tempDir("meta-store");
  const store = await LocalStore.open({ root });
  try {
    const items = textChain(30, "f");
    // The same paths committed concurrently, singly and in two overlapping batches: each registered once.
    const results = await Promise.all([
      store.commitMany(items.slice(0, 20)),
      store.commit(items[0]!.staged, items[0]!.info).catch((err: Error) => err),
      store.commitMany(items.slice(0, 30)),
    ]);
    assert.ok(!(results[1] instanceof Error), String(results[1]));
    assert.equal(store.allValidPaths().length, 30);
    const times = new Set(items.map((i) => store.queryPathInfo(i.info.path)!.registrationTime));
    assert.ok(times.size >= 1);
    assert.equal(results[2]![5]!.narHash.format("base32"), items[5]!.info.narHash.format("base32"));
  } finally {
    await store.close();
  }
  const reopened = await LocalStore.open({ root });
  try {
    assert.equal(reopened.allValidPaths().length, 30);
  } finally {
    await reopened.close();
  }
});
