/**
 * The writing EvalStore over a directory store (a test StoreWriter): instantiating
 * writes .drv files, toFile texts and (filtered) sources at the paths CppNix
 * computes for that store directory (`--store dummy://?store=DIR`), with contents
 * whose hashes give those very paths; read-only evaluation writes nothing; a valid
 * path is not written again; the Nix filter runs once per entry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../evaluator/index.js";
import { WritingEvalStore, instantiateDrvs, type StoreWriter } from "../../evaluator/index.js";
import { hashBytes, makeFixedOutputPath, makeTextPath, narHashAndSize, parseDerivation, parseStorePath, renderDerivation, type ContentAddress } from "../../store/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { setTraceSink } from "../../evaluator/builtins/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { theirs } from "./derivations-harness.js";

class DirectoryWriter implements StoreWriter {
  readonly added: { path: string; ca: ContentAddress; references: readonly string[] }[] = [];
  constructor(readonly storeDir: string) {
    mkdirSync(storeDir, { recursive: true });
  }
  isValidPath(storePath: string): boolean {
    return existsSync(storePath);
  }
  addText(storePath: string, contents: Buffer, references: readonly string[], ca: ContentAddress): void {
    writeFileSync(storePath, contents);
    this.added.push({ path: storePath, ca, references });
  }
  addTree(storePath: string, sourcePath: string, ca: ContentAddress): void {
    cpSync(sourcePath, storePath, { recursive: true, verbatimSymlinks: true });
    this.added.push({ path: storePath, ca, references: [] });
  }
}

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-wstore-"));
  mkdirSync(join(dir, "src/sub"), { recursive: true });
  writeFileSync(join(dir, "src/a.txt"), "a\n");
  writeFileSync(join(dir, "src/skip.o"), "object\n");
  writeFileSync(join(dir, "src/sub/b.sh"), "#!/bin/sh\n", { mode: 0o755 });
  symlinkSync("a.txt", join(dir, "src/link"));
  writeFileSync(
    join(dir, "default.nix"),
    `let
      conf = builtins.toFile "app.conf" "src=\${./src}";
      filtered = builtins.path { path = ./src; name = "filtered"; filter = p: t: builtins.trace "filter \${baseNameOf p}" (builtins.match ".*\\\\.o" p == null); };
      flat = builtins.path { path = ./src/a.txt; recursive = false; name = "flat"; };
      dep = derivation { name = "dep"; system = "x86_64-linux"; builder = "/bin/sh"; src = ./src; };
    in derivation { name = "app"; system = "x86_64-linux"; builder = "/bin/sh"; inherit conf filtered flat; dep = dep; }`,
  );
  return dir;
}

const skip = nixSkipReason();

test("writing store: writes what CppNix computes, with matching contents", { skip }, async () => {
  const dir = fixture();
  try {
    const storeDir = join(dir, "store");
    const writer = new DirectoryWriter(storeDir);
    const args = [join(dir, "default.nix")];
    const traces: string[] = [];
    const previous = setTraceSink((line) => traces.push(line));
    const r = instantiateDrvs({ ...parseInstantiateArgs(args), cwd: dir, nixPath: "" }, new WritingEvalStore(writer));
    setTraceSink(previous);
    assert.equal(r.exitCode, 0, r.stderr);
    const expected = await theirs(["--readonly-mode", "--store", `dummy://?store=${storeDir}`, ...args], dir);
    assert.equal(r.stdout, expected.stdout);
    // The filter ran once per entry below the root (a.txt, link, skip.o, sub, sub/b.sh).
    assert.equal(traces.filter((l) => l.startsWith("trace: filter")).length, 5, traces.join("\n"));

    const drvPath = r.stdout.trim();
    const drv = parseDerivation(readFileSync(drvPath, "latin1"));
    assert.equal(readFileSync(drvPath, "latin1"), renderDerivation(drv));
    for (const { path, ca, references } of writer.added) {
      assert.ok(existsSync(path), path);
      const name = parseStorePath(path, storeDir).name;
      let again: string;
      if (ca.type === "text") {
        again = makeTextPath(name, hashBytes("sha256", readFileSync(path)), references.map((x) => parseStorePath(x, storeDir)), storeDir).render(storeDir);
      } else {
        const hash = ca.method === "recursive" ? narHashAndSize(path).hash : hashBytes("sha256", readFileSync(path));
        again = makeFixedOutputPath(name, ca.method, hash, {}, storeDir).render(storeDir);
      }
      assert.equal(again, path, `contents of ${path} hash to its path`);
    }
    const filtered = writer.added.find((a) => a.path.endsWith("-filtered"))!;
    assert.deepEqual(readdirSync(filtered.path).sort(), ["a.txt", "link", "sub"]);
    assert.equal(writer.added.filter((a) => a.path.endsWith(".drv")).length, 2);

    // A second evaluation finds everything valid and writes nothing.
    const writer2 = new DirectoryWriter(storeDir);
    const r2 = instantiateDrvs({ ...parseInstantiateArgs(args), cwd: dir, nixPath: "" }, new WritingEvalStore(writer2));
    assert.equal(r2.stdout, r.stdout);
    assert.deepEqual(writer2.added, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writing store: --readonly-mode computes the same paths and writes nothing", { skip }, () => {
  const dir = fixture();
  try {
    const storeDir = join(dir, "store");
    const writer = new DirectoryWriter(storeDir);
    const args = ["--readonly-mode", join(dir, "default.nix")];
    const r = instantiateDrvs({ ...parseInstantiateArgs(args), cwd: dir, nixPath: "" }, new WritingEvalStore(writer));
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(writer.added, []);
    assert.deepEqual(readdirSync(storeDir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
