import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { HashMismatchError, LocalStore, PathNotValidError } from "../../builder/index.js";
import { computeTextPath, dumpNar, hashBytes, type StorePath } from "../../store/index.js";
import { tempDir } from "./fixture.js";

/** A chain of text paths, each referring to the one before, staged but not committed. */
async function stageChain(store: LocalStore, count: number, tag: string, first: StorePath[] = []) {
  const dir = tempDir("batch-src");
  const items = [];
  let previous = first;
  for (let i = 0; i < count; i++) {
    const contents = `item ${i} of ${tag} after ${previous.map((p) => p.render()).join(" ")}\n`;
    const path = computeTextPath(`chain-${tag}-${i}`, contents, previous);
    mkdirSync(join(dir, String(i)));
    const file = join(dir, String(i), "f");
    writeFileSync(file, contents);
    const staged = await store.stageNar(dumpNar(file));
    items.push({
      staged,
      info: { path, narHash: staged.narHash, narSize: staged.narSize, references: previous, ca: { type: "text" as const, hash: hashBytes("sha256", contents) } },
    });
    previous = [path];
  }
  return items;
}

test("commitMany registers a batch whose references are in the batch, durably", async () => {
  const root = tempDir("batch-store");
  const store = await LocalStore.open({ root });
  const items = await stageChain(store, 60, "a");
  // Referrers first: order inside a batch does not matter.
  const infos = await store.commitMany([...items].reverse());
  assert.equal(infos.length, 60);
  for (const [i, { info }] of items.entries()) {
    assert.ok(store.isValid(info.path));
    assert.deepEqual(store.queryReferences(info.path).map((r) => r.baseName), i === 0 ? [] : [items[i - 1]!.info.path.baseName]);
  }
  // Committing again returns the existing registrations.
  const again = await stageChain(store, 2, "a");
  assert.equal((await store.commitMany(again))[1]!.registrationTime, store.queryPathInfo(again[1]!.info.path)!.registrationTime);
  await store.close();
  const reopened = await LocalStore.open({ root });
  assert.deepEqual(reopened.allValidPaths().map((p) => p.baseName).sort(), items.map((i) => i.info.path.baseName).sort());
  await reopened.close();
});

test("commitMany refuses a batch with a dangling reference or a wrong hash, registering nothing", async () => {
  const root = tempDir("batch-store");
  const store = await LocalStore.open({ root });
  try {
    const chain = await stageChain(store, 3, "b");
    await store.discard(chain[0]!.staged);
    const dangling = chain.slice(1); // the first is missing
    await assert.rejects(store.commitMany(dangling), PathNotValidError);
    const wrong = await stageChain(store, 2, "c");
    wrong[1]!.info.narHash = hashBytes("sha256", "not it");
    await assert.rejects(store.commitMany(wrong), HashMismatchError);
    assert.deepEqual(store.allValidPaths(), []);
    assert.deepEqual(readdirSync(store.realStoreDir), []);
    const tmp = join(root, "nix", "var", "lading", "tmp");
    for (const d of readdirSync(tmp)) assert.deepEqual(readdirSync(join(tmp, d)), [], "staged copies removed");
  } finally {
    await store.close();
  }
});
