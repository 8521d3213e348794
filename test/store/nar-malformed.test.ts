import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NarError, restoreNar, validateNar } from "../../store/index.js";

// A hand-written NAR encoder, deliberately independent of store/nar, that can also
// write what the real writer never would.

function u64(n: number | bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(n));
  return out;
}

function pad(length: number, fill = 0): Buffer {
  return Buffer.alloc((8 - (length % 8)) % 8, fill);
}

function str(s: string | Buffer): Buffer {
  const bytes = Buffer.from(s);
  return Buffer.concat([u64(bytes.length), bytes, pad(bytes.length)]);
}

type Part = string | Buffer;
const cat = (...parts: Part[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? str(p) : p)));

const MAGIC = str("nix-archive-1");
const regular = (contents: string, executable = false) =>
  cat("(", "type", "regular", ...(executable ? ["executable", ""] : []), "contents", contents, ")");
const symlink = (target: string) => cat("(", "type", "symlink", "target", target, ")");
const entry = (name: Part, node: Buffer) => cat("entry", "(", "name", typeof name === "string" ? str(name) : name, "node", node, ")");
const directory = (...entries: Buffer[]) => cat("(", "type", "directory", ...entries, ")");
const nar = (node: Buffer) => Buffer.concat([MAGIC, node]);

interface Sandbox {
  dir: string;
  target: string;
  sentinel: string;
}

function sandbox(t: { after(fn: () => void): void }): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "lading-nar-bad-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sentinel = join(dir, "sentinel");
  mkdirSync(sentinel);
  return { dir, target: join(dir, "target"), sentinel };
}

/** Rejected by the validator and by restore, and restore left nothing beside its target. */
async function assertRejected(box: Sandbox, bytes: Buffer, pattern: RegExp, label: string): Promise<void> {
  await assert.rejects(validateNar([bytes]), (err: unknown) => {
    assert.ok(err instanceof NarError, `${label}: ${String(err)}`);
    assert.match(err.message, pattern, label);
    assert.match(err.message, / at byte \d+$/, label);
    return true;
  });
  rmSync(box.target, { recursive: true, force: true });
  await assert.rejects(restoreNar([bytes], box.target), pattern, label);
  assert.deepEqual(readdirSync(box.sentinel), [], `${label}: wrote into the sentinel`);
  const beside = readdirSync(box.dir).filter((n) => n !== "sentinel" && n !== "target");
  assert.deepEqual(beside, [], `${label}: wrote beside the target`);
}

/** A valid archive exercising every node kind, including a symlink out of the tree. */
function sampleNar(): Buffer {
  return nar(
    directory(
      entry("a", regular("hello\n")),
      entry("bin", directory(entry("tool", regular("#!/bin/sh\nexit 0\n", true)))),
      entry("empty", directory()),
      entry("escape", symlink("../sentinel")),
      entry("z", regular("x".repeat(37))),
    ),
  );
}

test("the sample archive itself is accepted and restores inside the target", async (t) => {
  const box = sandbox(t);
  const bytes = sampleNar();
  assert.equal((await validateNar([bytes])).size, bytes.length);
  await restoreNar([bytes], box.target);
  assert.deepEqual(readdirSync(box.target).sort(), ["a", "bin", "empty", "escape", "z"]);
  assert.deepEqual(readdirSync(box.sentinel), []);
});

test("every truncation of a valid archive is rejected", async (t) => {
  const box = sandbox(t);
  const bytes = sampleNar();
  for (let length = 0; length < bytes.length; length++) {
    await assertRejected(box, bytes.subarray(0, length), /unexpected end of archive|doesn't look like a Nix archive/, `cut at ${length}`);
  }
});

test("malformed archives are rejected with the reason and nothing escapes", async (t) => {
  const box = sandbox(t);
  const file = regular("data");
  const cases: Array<[string, Buffer, RegExp]> = [
    ["wrong magic", Buffer.concat([str("nix-archive-2"), file]), /doesn't look like a Nix archive/],
    ["no magic", file, /doesn't look like a Nix archive/],
    ["huge magic length", Buffer.concat([u64(2n ** 63n), file]), /doesn't look like a Nix archive/],
    ["empty input", Buffer.alloc(0), /doesn't look like a Nix archive/],
    ["unknown node type", nar(cat("(", "type", "fifo", ")")), /expected 'regular' or 'symlink' or 'directory', found 'fifo'/],
    ["unknown token", nar(cat("(", "kind", "regular")), /expected 'type', found 'kind'/],
    ["regular without contents", nar(cat("(", "type", "regular", ")")), /expected 'executable' or 'contents'/],
    ["executable marker not empty", nar(cat("(", "type", "regular", "executable", "yes", "contents", "x", ")")), /executable/],
    ["contents longer than declared", nar(cat("(", "type", "regular", "contents", u64(2), Buffer.from("abcdefgh"), ")")), /non-zero padding|expected '\)'/],
    ["unsorted entries", nar(directory(entry("b", file), entry("a", file))), /'a' is out of order after 'b'/],
    ["byte order, not locale", nar(directory(entry("a", file), entry("B", file))), /'B' is out of order after 'a'/],
    ["duplicate entries", nar(directory(entry("a", file), entry("a", file))), /duplicate entry 'a'/],
    ["duplicate directories", nar(directory(entry("d", directory()), entry("d", directory(entry("x", file))))), /duplicate entry 'd'/],
    ["empty name", nar(directory(entry("", file))), /invalid file name ''/],
    ["name .", nar(directory(entry(".", file))), /invalid file name '\.'/],
    ["name ..", nar(directory(entry("..", directory(entry("x", file))))), /invalid file name '\.\.'/],
    ["name with slash", nar(directory(entry("a/b", file))), /invalid file name 'a\/b'/],
    ["absolute name", nar(directory(entry("/etc", file))), /invalid file name/],
    ["parent traversal name", nar(directory(entry("../sentinel", directory(entry("x", file))))), /invalid file name/],
    ["name with NUL", nar(directory(entry("a\0b", file))), /invalid file name/],
    [
      "entry through a symlink (same name again)",
      nar(directory(entry("l", symlink("../sentinel")), entry("l", directory(entry("x", file))))),
      /duplicate entry 'l'/,
    ],
    [
      "entry through a symlink (path name)",
      nar(directory(entry("l", symlink("../sentinel")), entry("l/x", file))),
      /invalid file name 'l\/x'/,
    ],
    ["empty symlink target", nar(symlink("")), /invalid symlink target/],
    ["huge name length", nar(cat("(", "type", "directory", "entry", "(", "name", u64(2n ** 40n))), /file name is \d+ bytes long/],
    ["huge target length", nar(cat("(", "type", "symlink", "target", u64(100_000))), /symlink target is 100000 bytes long/],
    ["huge token length", nar(cat("(", "type", u64(2n ** 32n))), /found a 4294967296-byte string/],
    ["absurd contents length", nar(cat("(", "type", "regular", "contents", u64(2n ** 60n))), /absurdly large/],
    ["contents length past the end", nar(cat("(", "type", "regular", "contents", u64(1000), "short")), /unexpected end of archive/],
    ["bad padding in a string", Buffer.concat([MAGIC, u64(1), Buffer.from("("), pad(1, 7)]), /non-zero padding/],
    ["bad padding in contents", nar(Buffer.concat([cat("(", "type", "regular", "contents"), u64(3), Buffer.from("abc"), pad(3, 1), str(")")])), /non-zero padding/],
    ["trailing zeros", Buffer.concat([nar(file), Buffer.alloc(8)]), /trailing data/],
    ["trailing garbage", Buffer.concat([nar(file), Buffer.from("x")]), /trailing data/],
    ["a second root node", Buffer.concat([nar(file), file]), /trailing data/],
    ["missing entry close", nar(cat("(", "type", "directory", "entry", "(", "name", "a", "node", file, "entry")), /expected '\)'/],
  ];
  for (const [label, bytes, pattern] of cases) await assertRejected(box, bytes, pattern, label);
});

test("errors point at the offending byte", async () => {
  const unsorted = nar(directory(entry("b", regular("")), entry("a", regular(""))));
  // The second name string starts right after its `name` token.
  const secondName = unsorted.lastIndexOf(str("name")) + str("name").length;
  await assert.rejects(validateNar([unsorted]), (err: unknown) => err instanceof NarError && err.offset === secondName);
  const trailing = Buffer.concat([sampleNar(), Buffer.from("garbage!")]);
  await assert.rejects(validateNar([trailing]), (err: unknown) => err instanceof NarError && err.offset === sampleNar().length);
});

test("a NAR split into one-byte chunks parses like the whole", async () => {
  const bytes = sampleNar();
  const ones = [...bytes].map((b) => Buffer.from([b]));
  assert.equal((await validateNar(ones)).size, bytes.length);
  const async = (async function* () {
    for (const piece of ones) yield piece;
  })();
  assert.equal((await validateNar(async)).size, bytes.length);
});
