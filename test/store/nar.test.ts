import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, chmodSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  dumpNar,
  dumpNarSync,
  narHashAndSize,
  parseNar,
  pumpNar,
  restoreNar,
  validateNar,
  writeNar,
  type HashAlgo,
  type NarPath,
  type NarSink,
} from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { writeRandomTree } from "../helpers/random-tree.js";

const SEEDS = [1, 2, 3, 4, 5, 6];
const skip = nixSkipReason();

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-nar-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Byte equality without dumping megabytes into a diff: names the first differing byte. */
function assertSameBytes(actual: Buffer, expected: Buffer, message = ""): void {
  if (actual.equals(expected)) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  assert.fail(`${message}: bytes differ at offset ${i} (lengths ${actual.length} and ${expected.length})`);
}

function ourNar(path: string): Buffer {
  return Buffer.concat([...dumpNarSync(path)]);
}

/** Splits bytes into pieces of random sizes, as a pipe would deliver them. */
function* pieces(bytes: Buffer, seed: number): Generator<Buffer> {
  let state = seed;
  for (let pos = 0; pos < bytes.length; ) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const size = 1 + (state % 9000);
    yield bytes.subarray(pos, pos + size);
    pos += size;
  }
}

test("dump is byte-identical to nix-store --dump on generated trees", { skip }, (t) => {
  const dir = scratch(t);
  for (const seed of SEEDS) {
    const root = join(dir, `tree${seed}`);
    writeRandomTree(root, seed);
    assertSameBytes(ourNar(root), runNix("nix-store", ["--dump", root]), `seed ${seed}`);
  }
});

test("dump of a lone file, executable and symlink matches nix-store --dump", { skip }, (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, "plain"), "x".repeat(13));
  writeFileSync(join(dir, "exe"), "");
  chmodSync(join(dir, "exe"), 0o010);
  symlinkSync("/nowhere/at/all", join(dir, "link"));
  mkdirSync(join(dir, "empty"));
  for (const name of ["plain", "exe", "link", "empty"]) {
    const path = join(dir, name);
    assertSameBytes(ourNar(path), runNix("nix-store", ["--dump", path]), name);
  }
});

test("a large file goes through in several chunks and matches", { skip }, (t) => {
  const dir = scratch(t);
  const root = join(dir, "big");
  writeRandomTree(root, 99, { nodes: 20, maxFileSize: 1000 });
  const big = Buffer.alloc(20 * 1024 * 1024 + 5, 0xab);
  writeFileSync(join(root, "big.bin"), big);
  const expected = runNix("nix-store", ["--dump", root]);
  assertSameBytes(ourNar(root), expected);
  // Past 8 MiB narHashAndSize hashes in a worker thread; it must agree all the same.
  const { hash, size } = narHashAndSize(root);
  assert.equal(size, expected.length);
  assert.equal(hash.toBase32(), runNix("nix-hash", ["--type", "sha256", "--base32", root]).toString().trim());
});

test("the parallel pump (small files read by a worker) gives the same bytes", { skip }, (t) => {
  const dir = scratch(t);
  const root = join(dir, "tree");
  writeRandomTree(root, 21, { nodes: 400, maxFileSize: 200_000 });
  // A big file early ("0" sorts first) takes the walk past the first 4 MiB, after
  // which the worker fills the holes of the many small files that follow.
  writeFileSync(join(root, "0big"), Buffer.alloc(5 << 20, 7));
  mkdirSync(join(root, "many"));
  for (let i = 0; i < 3000; i++) writeFileSync(join(root, "many", `f${i}`), Buffer.alloc(i % 5000, i % 251));
  const expected = runNix("nix-store", ["--dump", root]);
  for (const parallel of [true, false, "auto"] as const) {
    const pieces: Buffer[] = [];
    const size = pumpNar(root, (chunk) => pieces.push(Buffer.from(chunk)), { parallel });
    assert.equal(size, expected.length);
    assertSameBytes(Buffer.concat(pieces), expected, `parallel ${parallel}`);
  }
});

test("narHashAndSize agrees with nix-hash for every algorithm", { skip }, (t) => {
  const dir = scratch(t);
  for (const seed of SEEDS.slice(0, 3)) {
    const root = join(dir, `tree${seed}`);
    writeRandomTree(root, seed);
    const narSize = runNix("nix-store", ["--dump", root]).length;
    for (const algo of ["md5", "sha1", "sha256", "sha512"] as HashAlgo[]) {
      const { hash, size } = narHashAndSize(root, algo);
      assert.equal(size, narSize);
      assert.equal(hash.toBase16(), runNix("nix-hash", ["--type", algo, root]).toString().trim(), `${algo} seed ${seed}`);
    }
  }
});

test("async and stream writers give the same bytes as the sync dumper", async (t) => {
  const dir = scratch(t);
  const root = join(dir, "tree");
  writeRandomTree(root, 7);
  const expected = ourNar(root);
  const fromAsync: Buffer[] = [];
  for await (const chunk of dumpNar(root, 4096)) fromAsync.push(chunk);
  assertSameBytes(Buffer.concat(fromAsync), expected);
  const stream = new PassThrough({ highWaterMark: 1024 });
  const collected: Buffer[] = [];
  stream.on("data", (c: Buffer) => collected.push(c));
  await writeNar(root, stream);
  stream.end();
  assertSameBytes(Buffer.concat(collected), expected);
});

/** A sink that writes the events back out as NAR tokens: parse ∘ reserialise = identity. */
function reserializer(): { sink: NarSink; bytes(): Buffer } {
  const out: Buffer[] = [];
  const str = (s: Buffer | string) => {
    const bytes = Buffer.from(s);
    const len = Buffer.alloc(8);
    len.writeUInt32LE(bytes.length);
    out.push(len, bytes, Buffer.alloc((8 - (bytes.length % 8)) % 8));
  };
  const enter = (path: NarPath) => {
    if (path.length > 0) {
      for (const token of ["entry", "(", "name", path.at(-1)!, "node"]) str(token);
    }
    str("(");
    str("type");
  };
  const leave = (path: NarPath) => {
    str(")");
    if (path.length > 0) str(")");
  };
  str("nix-archive-1");
  return {
    sink: {
      directory(path) {
        enter(path);
        str("directory");
      },
      endDirectory(path) {
        leave(path);
      },
      file(path, executable, size) {
        enter(path);
        str("regular");
        if (executable) {
          str("executable");
          str("");
        }
        str("contents");
        const len = Buffer.alloc(8);
        len.writeUInt32LE(size);
        out.push(len);
        return {
          write(piece) {
            out.push(Buffer.from(piece));
          },
          end() {
            out.push(Buffer.alloc((8 - (size % 8)) % 8));
            leave(path);
          },
        };
      },
      symlink(path, target) {
        enter(path);
        str("symlink");
        str("target");
        str(target);
        leave(path);
      },
    },
    bytes: () => Buffer.concat(out),
  };
}

test("parsing reports every node in order (reserialising gives the archive back)", async (t) => {
  const dir = scratch(t);
  for (const seed of SEEDS) {
    const root = join(dir, `tree${seed}`);
    writeRandomTree(root, seed);
    const nar = ourNar(root);
    const { sink, bytes } = reserializer();
    const summary = await parseNar(pieces(nar, seed), sink);
    assert.equal(summary.size, nar.length);
    assertSameBytes(bytes(), nar, `seed ${seed}`);
    assert.equal((await validateNar([nar])).size, nar.length);
  }
});

function modesOf(root: string): string[] {
  const lines: string[] = [];
  const walk = (path: Buffer, rel: string) => {
    const st = lstatSync(path);
    lines.push(`${rel} ${(st.mode & 0o7777).toString(8)} ${st.isSymbolicLink() ? "l" : st.isDirectory() ? "d" : "f"}`);
    if (st.isDirectory()) {
      for (const name of readdirSync(path, { encoding: "buffer" }).sort(Buffer.compare)) {
        walk(Buffer.concat([path, Buffer.from("/"), name]), `${rel}/${name.toString("hex")}`);
      }
    }
  };
  walk(Buffer.from(root), ".");
  return lines;
}

test("restore(dump(x)) equals what nix-store --restore makes, modes included", { skip }, async (t) => {
  const dir = scratch(t);
  for (const seed of SEEDS) {
    const root = join(dir, `tree${seed}`);
    writeRandomTree(root, seed);
    const nar = ourNar(root);
    const ours = join(dir, `ours${seed}`);
    const theirs = join(dir, `theirs${seed}`);
    await restoreNar(pieces(nar, seed + 100), ours);
    execFileSync("nix-store", ["--restore", theirs], { input: nar });
    assertSameBytes(runNix("nix-store", ["--dump", ours]), nar, `seed ${seed}`);
    assertSameBytes(ourNar(theirs), nar, `seed ${seed}`);
    assert.deepEqual(modesOf(ours), modesOf(theirs), `seed ${seed}`);
  }
});

test("restore makes the root node a file or a symlink when the archive is one", { skip }, async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, "exe"), "#!/bin/sh\n");
  chmodSync(join(dir, "exe"), 0o700);
  symlinkSync("../../etc", join(dir, "link"));
  for (const name of ["exe", "link"]) {
    const nar = ourNar(join(dir, name));
    await restoreNar([nar], join(dir, `ours-${name}`));
    execFileSync("nix-store", ["--restore", join(dir, `theirs-${name}`)], { input: nar });
    assert.deepEqual(modesOf(join(dir, `ours-${name}`)), modesOf(join(dir, `theirs-${name}`)));
    assertSameBytes(ourNar(join(dir, `ours-${name}`)), nar);
  }
});

test("restore refuses a target that exists", async (t) => {
  const dir = scratch(t);
  const nar = ourNar(dir);
  mkdirSync(join(dir, "there"));
  await assert.rejects(restoreNar([nar], join(dir, "there")), /creating directory '.*there': File exists/);
  symlinkSync("/tmp", join(dir, "dangling-or-not"));
  await assert.rejects(restoreNar([nar], join(dir, "dangling-or-not")), /File exists/);
});

test("dump reports a missing path as CppNix does", () => {
  assert.throws(() => ourNar("/nonexistent/lading"), /getting status of '\/nonexistent\/lading': No such file or directory/);
});
