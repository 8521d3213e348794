/**
 * Instantiation into Lading's local store (not --readonly-mode): every .drv, toFile
 * text and source path it registers is the path `nix-instantiate` writes into
 * /nix/store, with the same NAR hash, size and references (`nix-store --dump-db`);
 * the closure is the same set of paths; a crash between commits leaves valid paths
 * closed under references, and the next run completes the store.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalStore } from "../../builder/index.js";
import { narHashAndSize, parseStorePath, type StorePath } from "../../store/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { instantiateIntoStore } from "../../cli/commands/instantiate-drv-store.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { generatePackageSet, theirs } from "./derivations-harness.js";

const skip = nixSkipReason();

interface DbEntry {
  narHash: string;
  narSize: number;
  references: string[];
}

/** `nix-store --dump-db` records: path, base16 NAR hash, size, deriver, count, references. */
function cppNixRegistrations(paths: readonly string[]): Map<string, DbEntry> {
  const lines = runNix("nix-store", ["--dump-db", ...paths]).toString("latin1").split("\n");
  const out = new Map<string, DbEntry>();
  for (let i = 0; i + 4 < lines.length; ) {
    const path = lines[i]!;
    const narHash = lines[i + 1]!;
    const narSize = Number(lines[i + 2]);
    const count = Number(lines[i + 4]);
    out.set(path, { narHash, narSize, references: lines.slice(i + 5, i + 5 + count).sort() });
    i += 5 + count;
  }
  return out;
}

function render(store: LocalStore, paths: readonly StorePath[]): string[] {
  return paths.map((p) => p.render(store.storeDir));
}

/** Checks that every valid path's references are valid and its object hashes as recorded. */
function assertConsistent(store: LocalStore): void {
  for (const path of store.allValidPaths()) {
    const info = store.queryPathInfo(path)!;
    for (const ref of info.references) assert.ok(store.isValid(ref), `${path.baseName} refers to invalid ${ref.baseName}`);
    const { hash, size } = narHashAndSize(store.realPath(path));
    assert.ok(hash.equals(info.narHash), `${path.baseName}: object does not match its NAR hash`);
    assert.equal(size, info.narSize);
  }
}

for (const seed of [11, 12]) {
  test(`instantiate into the local store: same registrations as nix-instantiate (seed ${seed})`, { skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "lading-drvstore-"));
    let store: LocalStore | undefined;
    try {
      generatePackageSet(join(dir, "set"), seed, { derivations: 40, drvPathContexts: true });
      const args = [join(dir, "set", "default.nix")];
      const local = await LocalStore.open({ root: join(dir, "data", "store") });
      store = local;
      const ours = await instantiateIntoStore(local, join(dir, "data"), { ...parseInstantiateArgs(args), cwd: dir, nixPath: "" });
      assert.equal(ours.result.exitCode, 0, ours.result.stderr);
      const expected = await theirs(args, dir); // not read-only: CppNix writes into /nix/store
      assert.equal(expected.exitCode, 0, expected.error);
      assert.equal(ours.result.stdout, expected.stdout);

      const drvPaths = ours.result.stdout.split("\n").filter((l) => l !== "").map((l) => l.replace(/!.*/, ""));
      const closure = runNix("nix-store", ["-qR", ...drvPaths]).toString("latin1").split("\n").filter((l) => l !== "").sort();
      const valid = render(local, local.allValidPaths()).sort();
      assert.deepEqual(valid, closure);
      assert.ok(valid.some((p) => !p.endsWith(".drv")), "the set has sources and texts too");

      const theirsDb = cppNixRegistrations(valid);
      for (const path of local.allValidPaths()) {
        const info = local.queryPathInfo(path)!;
        const want = theirsDb.get(path.render(local.storeDir))!;
        assert.equal(info.narHash.format("base16", false), want.narHash, path.baseName);
        assert.equal(info.narSize, want.narSize, path.baseName);
        assert.deepEqual(render(local, info.references).sort(), want.references, path.baseName);
        assert.ok(info.ca !== undefined, `${path.baseName} has a content address`);
      }
      assertConsistent(local);

      // Again: nothing new is staged or registered, the output is the same.
      const again = await instantiateIntoStore(local, join(dir, "data"), { ...parseInstantiateArgs(args), cwd: dir, nixPath: "" });
      assert.equal(again.result.stdout, ours.result.stdout);
      assert.equal(again.staged.length, 0);
    } finally {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("instantiate into the local store: a crash between commits leaves a consistent store", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-drvcrash-"));
  try {
    generatePackageSet(join(dir, "set"), 21, { derivations: 25, drvPathContexts: false });
    const args = [join(dir, "set", "default.nix")];
    const root = join(dir, "data", "store");
    const options = { ...parseInstantiateArgs(args), cwd: dir, nixPath: "" };
    let complete: string[] = [];
    for (const crashAt of [1, 5, 17]) {
      let renamed = 0;
      const crashing = await LocalStore.open({
        root,
        afterContentRename: () => {
          if (++renamed === crashAt) throw new Error("simulated crash");
        },
      });
      await assert.rejects(instantiateIntoStore(crashing, join(dir, "data"), options), /simulated crash/);
      await crashing.close();
      const reopened = await LocalStore.open({ root });
      try {
        assertConsistent(reopened);
        const done = await instantiateIntoStore(reopened, join(dir, "data"), options);
        assert.equal(done.result.exitCode, 0, done.result.stderr);
        assertConsistent(reopened);
        complete = render(reopened, reopened.allValidPaths());
        for (const line of done.result.stdout.split("\n").filter((l) => l !== "")) {
          assert.ok(reopened.isValid(parseStorePath(line.replace(/!.*/, ""), reopened.storeDir)), line);
        }
      } finally {
        await reopened.close();
      }
      // Start the next round from an empty store.
      rmSync(join(dir, "data"), { recursive: true, force: true });
    }
    assert.ok(complete.length > 25);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const LADING = resolve(fileURLToPath(import.meta.url), "../../../../bin/lading");

test("lading instantiate writes into LADING_DATA_DIR's store; --readonly-mode writes nothing", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-drvcli-"));
  try {
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "hook.sh"), "echo hook\n");
    writeFileSync(
      join(dir, "default.nix"),
      `let hook = builtins.toFile "hook" "source \${./src}/hook.sh";
       in derivation { name = "cli-test"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ hook ]; outputs = [ "out" "dev" ]; }`,
    );
    const env = { ...process.env, LADING_DATA_DIR: join(dir, "data"), NIX_PATH: "" };
    const readOnly = spawnSync(LADING, ["instantiate", "--readonly-mode", "default.nix"], { cwd: dir, env, encoding: "latin1" });
    assert.equal(readOnly.status, 0, readOnly.stderr);
    assert.ok(!existsSync(join(dir, "data", "store")), "--readonly-mode opened no store");

    const ours = spawnSync(LADING, ["instantiate", "default.nix"], { cwd: dir, env, encoding: "latin1" });
    assert.equal(ours.status, 0, ours.stderr);
    const theirs = runNix("nix-instantiate", [join(dir, "default.nix")]).toString("latin1");
    assert.equal(ours.stdout, theirs);
    assert.equal(readOnly.stdout, theirs);
    const closure = runNix("nix-store", ["-qR", theirs.trim()]).toString("latin1").split("\n").filter((l) => l !== "");
    assert.equal(closure.length, 3); // the .drv, the toFile text, the source
    const physical = join(dir, "data", "store", "nix", "store");
    assert.deepEqual(readdirSync(physical).sort(), closure.map((p) => p.slice("/nix/store/".length)).sort());
    assert.deepEqual(readFileSync(join(physical, theirs.trim().slice("/nix/store/".length))), readFileSync(theirs.trim()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
