/**
 * Reading back what evaluation put in the store (`readFile`, `readDir`,
 * `pathExists`, `import` of `toFile` texts, `${./dir}` sources and `builtins.path`
 * results), as CppNix does: read-only (`--eval`, `--readonly-mode`) such a path is
 * "not valid"; when instantiating into a store it is read from that store (Lading's
 * staging copy on the first run, its store under LADING_DATA_DIR on the next), never
 * from the host's /nix/store. Compared with `nix-instantiate --store DIR`.
 */
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../builder/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { instantiateIntoStore } from "../../cli/commands/instantiate-drv-store.js";
import { nixSkipReason, runNixAsync } from "../helpers/nix.js";
import { ours, theirs } from "./eval-harness.js";

const skip = nixSkipReason();

/** Each reads something the same evaluation stored; the tag makes names unique per run. */
function readers(tag: string): Record<string, string> {
  return {
    toFileRead: `builtins.readFile (builtins.toFile "t-${tag}.txt" "contents of t")`,
    sourceSubpath: `builtins.readFile "\${./d}/file"`,
    toFileExists: `builtins.pathExists (builtins.toFile "e-${tag}.txt" "x")`,
    sourceDir: `builtins.attrNames (builtins.readDir "\${./d}")`,
    pathBuiltin: `builtins.readFile (builtins.path { path = ./f.txt; name = "ff-${tag}"; })`,
    importToFile: `import (builtins.toFile "x-${tag}.nix" "1 + 2")`,
    chained: `builtins.readFile (builtins.toFile "c-${tag}.txt" (builtins.readFile (builtins.toFile "b-${tag}.txt" "chained")))`,
    drvText: `builtins.substring 0 7 (builtins.readFile (derivation { name = "r-${tag}"; system = "x"; builder = "/b"; }).drvPath)`,
  };
}

function writeFixture(dir: string, tag: string): string {
  mkdirSync(join(dir, "d"));
  writeFileSync(join(dir, "d", "file"), "inner\n");
  writeFileSync(join(dir, "f.txt"), "hello\n");
  const attrs = Object.entries(readers(tag))
    .map(([k, v]) => `  ${k} = ${v};`)
    .join("\n");
  writeFileSync(join(dir, "default.nix"), `{\n${attrs}\n}\n`);
  const env = Object.keys(readers(tag))
    .map((k) => `${k} = (import ./default.nix).${k};`)
    .join(" ");
  writeFileSync(join(dir, "drv.nix"), `derivation { name = "read-back-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; ${env} }\n`);
  return join(dir, "drv.nix");
}

/** The line of a report that carries the message (the layout of the frames around it may differ). */
function message(stderr: string): string {
  return stderr.split("\n").find((l) => /is not valid|error: [^\s…]/.test(l))?.trim().replace(/^error: /, "") ?? "";
}

test("read-only evaluation: a path evaluation only computed is not valid, as in CppNix", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "lading-readback-ro-"));
  try {
    const tag = `ro${process.pid}`;
    writeFixture(dir, tag);
    for (const name of Object.keys(readers(tag))) {
      await t.test(name, async () => {
        const args = ["--eval", "--strict", join(dir, "default.nix"), "-A", name];
        const expected = await theirs(args, dir);
        const got = ours(args, dir);
        assert.notEqual(expected.exitCode, 0, `CppNix read it: ${expected.stdout}`);
        assert.match(expected.stderr, /is not valid/);
        assert.equal(got.exitCode, expected.exitCode);
        assert.equal(message(got.stderr), message(expected.stderr));
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("instantiating into a store: evaluation reads what it stored (staged, then valid), as nix-instantiate --store", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-readback-"));
  try {
    const file = writeFixture(dir, `rw${process.pid}`);
    const nixRoot = join(dir, "nix-root");
    const expected = await runNixAsync("nix-instantiate", ["--store", nixRoot, file], { cwd: dir });
    assert.equal(expected.exitCode, 0, expected.stderr);
    const drvPath = expected.stdout.trim();
    const expectedDrv = readFileSync(join(nixRoot, drvPath), "latin1");
    // CppNix read every value: the environment holds them.
    assert.match(expectedDrv, /\("toFileRead","contents of t"\)/);
    assert.match(expectedDrv, /\("importToFile","3"\)/);

    const dataDir = join(dir, "data");
    const store = await LocalStore.open({ root: join(dataDir, "store") });
    try {
      for (const run of ["staged", "already valid"]) {
        const r = await instantiateIntoStore(store, dataDir, { ...parseInstantiateArgs([file]), cwd: dir, nixPath: "" });
        assert.equal(r.result.exitCode, 0, `${run}: ${r.result.stderr}`);
        assert.equal(r.result.stdout, expected.stdout, run);
        assert.equal(readFileSync(join(store.realStoreDir, drvPath.slice("/nix/store".length)), "latin1"), expectedDrv, run);
      }
    } finally {
      await store.close();
    }
  } finally {
    makeWritable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** CppNix's chroot store is read-only on disk; make it removable. */
function makeWritable(dir: string): void {
  spawnSync("chmod", ["-R", "u+w", dir]);
}

test("readFile of a file in the store gives its store path's references as context (CppNix 2.8, default store): the .drv as nix-instantiate writes it", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-readfile-ctx-"));
  try {
    // Fixed names: CppNix writes these few texts into the host's store, the same paths every run.
    const tag = "lading-readfile-context";
    const file = join(dir, "default.nix");
    writeFileSync(
      file,
      `let
  a = builtins.toFile "${tag}-a" "x";
  c = builtins.toFile "${tag}-c" "y";
  b = builtins.toFile "${tag}-b" "refers to \${a}";
  # A reference the text does not contain (current CppNix drops it, 2.8 keeps it).
  hidden = builtins.toFile "${tag}-h" (builtins.appendContext "no path here" { \${builtins.unsafeDiscardStringContext c} = { path = true; }; });
  tool = derivation { name = "${tag}-tool"; system = "x"; builder = "/b"; };
  dep = derivation { name = "${tag}-dep"; system = "x"; builder = "/b"; src = b; inherit tool; };
  contexts = s: builtins.attrNames (builtins.getContext s);
in derivation {
  name = "${tag}"; system = "x86_64-linux"; builder = "/bin/sh";
  viaToFile = builtins.readFile b;
  inner = builtins.readFile "\${b}";
  hiddenRef = builtins.readFile hidden;
  plain = builtins.readFile a;
  drvText = builtins.readFile dep.drvPath;
  listed = builtins.toJSON (map contexts [ (builtins.readFile b) (builtins.readFile a) (builtins.readFile hidden) (builtins.readFile dep.drvPath) ]);
}
`,
    );
    // The default store: with --store DIR CppNix reads the chroot's copy, which is not "in the store", and adds nothing.
    const expected = await runNixAsync("nix-instantiate", [file], { cwd: dir });
    assert.equal(expected.exitCode, 0, expected.stderr);
    const drvPath = expected.stdout.trim();
    const expectedDrv = readFileSync(drvPath, "latin1");
    // The contexts became input sources (a .drv read as a file is a plain source).
    assert.match(expectedDrv, new RegExp(`"/nix/store/[a-z0-9]{32}-${tag}-c"`));
    assert.match(expectedDrv, new RegExp(`"/nix/store/[a-z0-9]{32}-${tag}-tool.drv"`));

    const dataDir = join(dir, "data");
    const store = await LocalStore.open({ root: join(dataDir, "store") });
    try {
      const r = await instantiateIntoStore(store, dataDir, { ...parseInstantiateArgs([file]), cwd: dir, nixPath: "" });
      assert.equal(r.result.exitCode, 0, r.result.stderr);
      assert.equal(r.result.stdout, expected.stdout);
      assert.equal(readFileSync(join(store.realStoreDir, drvPath.slice("/nix/store".length)), "latin1"), expectedDrv);
    } finally {
      await store.close();
    }
  } finally {
    makeWritable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
