import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalStore, PathNotValidError } from "../../builder/index.js";
import { dumpNar, narHashAndSize, parseStorePath, StorePath } from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { makeTree, tempDir } from "./fixture.js";

const skip = nixSkipReason();

async function openStore(root = join(tempDir("store"), "root")): Promise<LocalStore> {
  return LocalStore.open({ root });
}

describe("local store", () => {
  test("addPath gives nix-store --add's path and NAR hash; the object is read-only with mtime 1", { skip }, async () => {
    const src = join(tempDir("src"), `tree-${Date.now().toString(36)}`);
    makeTree(src, 42);
    const nixPath = parseStorePath(runNix("nix-store", ["--add", src]).toString().trim());
    const store = await openStore();
    try {
      const info = await store.addPath(src);
      assert.equal(info.path.baseName, nixPath.baseName);
      assert.equal(info.narHash.format("base32"), runNix("nix-store", ["-q", "--hash", nixPath.render()]).toString().trim());
      assert.equal(narHashAndSize(store.realPath(info.path)).hash.format("base32"), info.narHash.format("base32"));
      assert.equal(info.ca?.type, "fixed");
      const tool = lstatSync(join(store.realPath(info.path), "bin", "tool"));
      assert.equal(tool.mode & 0o777, 0o555);
      assert.equal(tool.mtimeMs, 1000);
      assert.equal(lstatSync(join(store.realPath(info.path), "share", "words")).mode & 0o777, 0o444);
      assert.equal(lstatSync(store.realPath(info.path)).mode & 0o777, 0o555);
    } finally {
      await store.close();
    }
  });

  test("addText gives builtins.toFile's path, with references", { skip }, async () => {
    const store = await openStore();
    try {
      const src = join(tempDir("src"), "dep");
      makeTree(src, 7);
      const dep = await store.addPath(src);
      runNix("nix-store", ["--add", src]);
      const contents = `uses ${dep.path.render()}/bin/tool\n`;
      const expr = `builtins.toFile "note" "uses \${builtins.path { path = ${src}; name = "dep"; }}/bin/tool\\n"`;
      const nixPath = JSON.parse(runNix("nix-instantiate", ["--eval", "--read-write-mode", "-E", expr]).toString()) as string;
      const info = await store.addText("note", contents, [dep.path]);
      assert.equal(info.path.render(), nixPath);
      assert.deepEqual(info.references, [dep.path]);
      assert.equal(info.narHash.format("base32"), runNix("nix-store", ["-q", "--hash", nixPath]).toString().trim());
    } finally {
      await store.close();
    }
  });

  test("a path registers only after its references; queries follow the graph", async () => {
    const store = await openStore();
    try {
      const a = await store.addText("a", "a");
      const b = await store.addText("b", `b ${a.path.render()}`, [a.path]);
      const c = await store.addText("c", `c ${b.path.render()}`, [b.path]);
      const d = await store.addText("d", `d ${a.path.render()}`, [a.path]);
      // A NAR whose reference is not valid is refused, and nothing is left behind.
      const ghost = new StorePath("00000000000000000000000000000000", "ghost");
      const staged = await store.stageNar(dumpNar(store.realPath(a.path)));
      await assert.rejects(
        store.commit(staged, { path: new StorePath("11111111111111111111111111111111", "x"), narHash: staged.narHash, narSize: staged.narSize, references: [ghost] }),
        PathNotValidError,
      );
      assert.deepEqual(readdirSync(store.realStoreDir).sort(), [a, b, c, d].map((i) => i.path.baseName).sort());
      assert.deepEqual(store.computeClosure([c.path]).map((p) => p.baseName), [a, b, c].map((i) => i.path.baseName).sort());
      assert.deepEqual(store.queryReferrers(a.path).map((p) => p.baseName), [b, d].map((i) => i.path.baseName).sort());
      const order = store.topoSort([c.path, a.path, b.path, d.path]).map((p) => p.baseName);
      assert.ok(order.indexOf(a.path.baseName) < order.indexOf(b.path.baseName));
      assert.ok(order.indexOf(b.path.baseName) < order.indexOf(c.path.baseName));
      assert.equal(store.queryPathFromHashPart(c.path.hashPart)?.baseName, c.path.baseName);
      // A NAR hash that does not match is refused.
      const staged2 = await store.stageNar(dumpNar(store.realPath(a.path)));
      await assert.rejects(
        store.commit(staged2, { path: new StorePath("11111111111111111111111111111111", "x"), narHash: b.narHash, narSize: staged2.narSize, references: [] }),
        /hash mismatch/,
      );
    } finally {
      await store.close();
    }
  });

  test("metadata persists across reopening; a second opener is refused while the owner lives", async () => {
    const root = join(tempDir("store"), "root");
    const store = await openStore(root);
    const a = await store.addText("a", "persist");
    await assert.rejects(LocalStore.open({ root }), /already held/);
    await store.close();
    const again = await openStore(root);
    try {
      const info = again.queryPathInfo(a.path);
      assert.ok(info);
      assert.equal(info.narHash.format("base32"), a.narHash.format("base32"));
      assert.equal(info.ca?.type, "text");
      assert.equal(info.registrationTime, a.registrationTime);
    } finally {
      await again.close();
    }
  });

  test("another live process's lock is refused, or waited for with waitForLock (the CLI) until that process ends", async () => {
    const root = join(tempDir("store"), "root");
    await (await openStore(root)).close();
    // A live process that is not us owns the lock, as a concurrent `lading instantiate` would.
    const owner = spawn("sleep", ["0.6"], { stdio: "ignore" });
    const exited = new Promise((done) => owner.once("exit", done));
    writeFileSync(join(root, "nix", "var", "lading", "lock"), `${owner.pid}\n`);
    await assert.rejects(LocalStore.open({ root }), new RegExp(`in use by process ${owner.pid}`));
    const told: number[] = [];
    const started = Date.now();
    const store = await LocalStore.open({ root, waitForLock: (pid) => told.push(pid) });
    try {
      await exited;
      assert.deepEqual(told, [owner.pid], "told once, with the owner's pid");
      assert.ok(Date.now() - started >= 300, "it waited for the owner");
      assert.ok((await store.addText("w", "after waiting")).path);
    } finally {
      await store.close();
    }
  });

  test("garbage collection keeps the closures of roots and deletes the rest, referrers first", async () => {
    const store = await openStore();
    try {
      const a = await store.addText("a", "a");
      const b = await store.addText("b", `b ${a.path.render()}`, [a.path]);
      const c = await store.addText("c", `c ${b.path.render()}`, [b.path]);
      const d = await store.addText("d", "d");
      const e = await store.addText("e", `e ${a.path.render()}`, [a.path]);
      await store.addRoot("image-1", c.path);
      const dry = await store.collectGarbage({ roots: [e.path], dryRun: true });
      assert.deepEqual(dry.deleted.map((p) => p.baseName), [d.path.baseName]);
      assert.ok(store.isValid(d.path));

      const first = await store.collectGarbage({ roots: [e.path] });
      assert.deepEqual(first.deleted.map((p) => p.baseName), [d.path.baseName]);
      assert.ok(!store.isValid(d.path) && !existsSync(store.realPath(d.path)));
      assert.ok(first.bytesFreed > 0);

      await assert.rejects(store.deletePath(a.path), /still referenced/);
      await assert.rejects(store.deletePath(c.path), /still alive/);
      await store.removeRoot("image-1");
      const second = await store.collectGarbage({ roots: [e.path] });
      assert.deepEqual(second.deleted.map((p) => p.baseName), [c.path.baseName, b.path.baseName]);
      assert.deepEqual(store.allValidPaths().map((p) => p.baseName), [a, e].map((i) => i.path.baseName).sort());
      assert.deepEqual(readdirSync(store.realStoreDir).sort(), [a, e].map((i) => i.path.baseName).sort());

      // A temporary root protects a path (and its closure) while the caller holds it.
      const release = store.protect([e.path]);
      assert.deepEqual((await store.collectGarbage()).deleted, []);
      release();
      assert.deepEqual((await store.collectGarbage()).deleted.map((p) => p.baseName), [e.path.baseName, a.path.baseName]);
      await store.deletePath(a.path).catch((err: Error) => assert.match(err.message, /not valid/));
    } finally {
      await store.close();
    }
  });

  test("a crash between the object's rename and its metadata commit leaves no valid path", async () => {
    const root = join(tempDir("store"), "root");
    mkdirSync(root, { recursive: true });
    const script = join(tempDir("crash"), "crash.mjs");
    const builderIndex = resolve("dist/builder/index.js");
    writeFileSync(
      script,
      `import { LocalStore } from ${JSON.stringify(builderIndex)};
const store = await LocalStore.open({ root: ${JSON.stringify(root)}, afterContentRename: () => process.kill(process.pid, "SIGKILL") });
await store.addText("kept", "kept");
`,
    );
    // The first child registers nothing: it dies right after its rename.
    const child = spawnSync(process.execPath, [script], { encoding: "utf8" });
    assert.equal(child.signal, "SIGKILL", child.stderr);
    const crashedName = readdirSync(join(root, "nix", "store"));
    assert.equal(crashedName.length, 1, "the object was renamed into place");
    assert.equal(readdirSync(join(root, "nix", "var", "lading", "db")).filter((n) => n.endsWith(".json")).length, 0);
    assert.ok(existsSync(join(root, "nix", "var", "lading", "lock")), "the dead owner's lock is left");

    const store = await openStore(root);
    try {
      const path = StorePath.fromBaseName(crashedName[0]!);
      assert.ok(!store.isValid(path));
      assert.deepEqual(readdirSync(store.realStoreDir), [], "the unregistered object was removed");
      assert.deepEqual(readdirSync(join(root, "nix", "var", "lading", "tmp")), [], "the dead process's staging is gone");
      const info = await store.addText("kept", "kept");
      assert.equal(info.path.baseName, path.baseName);
      assert.ok(store.isValid(path));
    } finally {
      await store.close();
    }
  });

  test("a process killed mid-download leaves nothing behind once the store is reopened", async () => {
    const root = join(tempDir("store"), "root");
    mkdirSync(root, { recursive: true });
    const script = join(tempDir("crash"), "stage.mjs");
    writeFileSync(
      script,
      `import { LocalStore } from ${JSON.stringify(resolve("dist/builder/index.js"))};
import { dumpNar } from ${JSON.stringify(resolve("dist/store/index.js"))};
const store = await LocalStore.open({ root: ${JSON.stringify(root)} });
async function* slow() { for await (const c of dumpNar(${JSON.stringify(resolve("dist/builder"))})) { yield c.subarray(0, c.length >> 1); process.kill(process.pid, "SIGKILL"); } }
await store.stageNar(slow());
`,
    );
    const child = spawnSync(process.execPath, [script], { encoding: "utf8" });
    assert.equal(child.signal, "SIGKILL", child.stderr);
    const tmp = join(root, "nix", "var", "lading", "tmp");
    assert.equal(readdirSync(tmp).length, 1, "the dead process's staging directory is left");
    const store = await openStore(root);
    try {
      assert.deepEqual(readdirSync(tmp), []);
      assert.deepEqual(store.allValidPaths(), []);
    } finally {
      await store.close();
    }
  });
});
