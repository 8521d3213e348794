import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nixSkipReason } from "../helpers/nix.js";
import { writeRandomTree } from "../helpers/random-tree.js";

const LADING = resolve(fileURLToPath(import.meta.url), "../../../../bin/lading");
const NIX_ENV = { ...process.env, NIX_CONFIG: "experimental-features = nix-command" };
const skip = nixSkipReason();

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(cmd: string, args: string[], input?: Buffer): Run {
  const result = spawnSync(cmd, args, { input, env: NIX_ENV, maxBuffer: 1 << 30 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}

const lading = (args: string[], input?: Buffer) => run(LADING, args, input);
const text = (r: Run) => r.stdout.toString();

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-cli-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A failure is exactly one `error: …` line and a non-zero exit. */
function assertOneLineError(r: Run, pattern: RegExp, label: string): void {
  assert.notEqual(r.status, 0, label);
  assert.match(r.stderr, /^error: [^\n]*\n$/, `${label}: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, pattern, label);
}

test("store dump writes what nix-store --dump writes", { skip }, (t) => {
  const dir = scratch(t);
  for (const seed of [11, 12]) {
    const root = join(dir, `tree${seed}`);
    writeRandomTree(root, seed);
    const ours = lading(["store", "dump", root]);
    assert.equal(ours.status, 0, ours.stderr);
    assert.ok(ours.stdout.equals(run("nix-store", ["--dump", root]).stdout), `seed ${seed}`);
  }
});

test("store dump of a tree past the threaded writer's threshold writes what nix-store --dump writes", { skip }, (t) => {
  const dir = scratch(t);
  const root = join(dir, "tree");
  writeRandomTree(root, 13);
  // Several MiB in files of different sizes, so chunks reach the write worker.
  for (let i = 0; i < 6; i++) writeFileSync(join(root, `big${i}`), Buffer.alloc((1 << 20) * i + 12345, i + 1));
  const ours = lading(["store", "dump", root]);
  assert.equal(ours.status, 0, ours.stderr);
  const theirs = run("nix-store", ["--dump", root]).stdout;
  assert.ok(theirs.length > 16 << 20);
  assert.ok(ours.stdout.equals(theirs));
});

test("store hash prints what nix-hash prints, for every type and format", { skip }, (t) => {
  const dir = scratch(t);
  const root = join(dir, "tree");
  writeRandomTree(root, 13);
  const file = join(dir, "file");
  writeFileSync(file, "contents of a flat file\n");
  const nixHash = (args: string[]) => text(run("nix-hash", args));
  // The default is sha256 in nixbase32, as `nix-hash --type sha256 --base32`.
  assert.equal(text(lading(["store", "hash", root])), nixHash(["--type", "sha256", "--base32", root]));
  for (const algo of ["md5", "sha1", "sha256", "sha512"]) {
    assert.equal(text(lading(["store", "hash", "--type", algo, "--base16", root])), nixHash(["--type", algo, root]), algo);
    assert.equal(text(lading(["store", "hash", "--type", algo, "--base32", root])), nixHash(["--type", algo, "--base32", root]), algo);
    assert.equal(text(lading(["store", "hash", "--type", algo, root])), nixHash(["--type", algo, "--base32", root]), algo);
    assert.equal(
      text(lading(["store", "hash", "--type", algo, "--sri", root])),
      text(run("nix", ["hash", "path", "--type", algo, "--sri", root])),
      algo,
    );
    assert.equal(
      text(lading(["store", "hash", "--flat", "--type", algo, "--base16", file])),
      nixHash(["--flat", "--type", algo, file]),
      `${algo} flat`,
    );
    assert.equal(
      text(lading(["store", "hash", "--truncate", "--type", algo, "--base32", root])),
      nixHash(["--truncate", "--type", algo, "--base32", root]),
      `${algo} truncate`,
    );
  }
  // Several paths: one line each, in order.
  const both = lading(["store", "hash", "--type", "sha1", root, file]);
  assert.equal(text(both), nixHash(["--type", "sha1", "--base32", root, file]));
  // No paths: nothing printed, success (as nix-hash).
  const none = lading(["store", "hash"]);
  assert.equal(none.status, run("nix-hash", []).status);
  assert.equal(text(none), "");
});

test("store add --dry-run prints the path nix-store --add creates", { skip }, (t) => {
  const dir = scratch(t);
  const tree = join(dir, "some-tree");
  writeRandomTree(tree, 14, { nodes: 60 });
  const file = join(dir, "hello.txt");
  writeFileSync(file, "hello\n");
  chmodSync(file, 0o755);
  const link = join(dir, "link");
  symlinkSync("/etc/os-release", link);
  const emptyDir = join(dir, "empty");
  mkdirSync(emptyDir);
  const paths = [tree, file, link, emptyDir];
  const real = run("nix-store", ["--add", ...paths]);
  assert.equal(real.status, 0, real.stderr);
  const ours = lading(["store", "add", "--dry-run", ...paths]);
  assert.equal(ours.status, 0, ours.stderr);
  assert.equal(text(ours), text(real));
});

test("store restore unpacks what nix-store --restore unpacks", { skip }, (t) => {
  const dir = scratch(t);
  const root = join(dir, "tree");
  writeRandomTree(root, 15);
  const nar = run("nix-store", ["--dump", root]).stdout;
  const ours = lading(["store", "restore", join(dir, "ours")], nar);
  assert.equal(ours.status, 0, ours.stderr);
  assert.equal(run("nix-store", ["--restore", join(dir, "theirs")], nar).status, 0);
  assert.ok(run("nix-store", ["--dump", join(dir, "ours")]).stdout.equals(nar));
  assert.ok(lading(["store", "dump", join(dir, "theirs")]).stdout.equals(nar));
});

test("errors are one line with CppNix's wording and exit code", { skip }, (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, "exists"));
  const nar = run("nix-store", ["--dump", dir]).stdout;
  writeFileSync(join(dir, "a b"), "x");

  // Same stderr and status as the CppNix command doing the same thing.
  const same: Array<[string[], string, string[], Buffer?]> = [
    [["store", "dump", "/nonexistent/lading"], "nix-store", ["--dump", "/nonexistent/lading"]],
    [["store", "hash", "/nonexistent/lading"], "nix-hash", ["/nonexistent/lading"]],
    [["store", "restore", join(dir, "exists")], "nix-store", ["--restore", join(dir, "exists")], nar],
    [["store", "add", "--dry-run", join(dir, "a b")], "nix-store", ["--add", join(dir, "a b")]],
  ];
  for (const [args, cmd, cppArgs, input] of same) {
    const ours = lading(args, input);
    const theirs = run(cmd, cppArgs, input);
    assertOneLineError(ours, /./, args.join(" "));
    assert.equal(ours.stderr, theirs.stderr, args.join(" "));
    assert.equal(ours.status, theirs.status, args.join(" "));
  }

  const usage: Array<[string[], RegExp, Buffer?]> = [
    [["store"], /unknown store subcommand ''/],
    [["store", "frob"], /unknown store subcommand 'frob'/],
    [["store", "dump"], /exactly one PATH/],
    [["store", "dump", "a", "b"], /exactly one PATH/],
    [["store", "restore"], /exactly one DIR/],
    [["store", "hash", "--type"], /flag '--type' requires 1 argument/],
    [["store", "hash", "--type", "blake3", dir], /unknown hash algorithm 'blake3'/],
    [["store", "hash", "--bogus"], /unrecognised flag '--bogus'/],
    [["store", "hash", "--flat", dir], /Is a directory/],
    [["store", "add", dir], /not available yet/],
    [["store", "restore", join(dir, "new1")], /bad archive: input doesn't look like a Nix archive at byte 0/, Buffer.from("garbage")],
    [["store", "restore", join(dir, "new2")], /bad archive: unexpected end of archive at byte 100/, nar.subarray(0, 100)],
    [
      ["store", "restore", join(dir, "new3")],
      /bad archive: trailing data after the archive/,
      Buffer.concat([nar, Buffer.alloc(8)]),
    ],
  ];
  for (const [args, pattern, input] of usage) assertOneLineError(lading(args, input), pattern, args.join(" "));
});

test("store dump into a closed pipe stops quietly", (t) => {
  const dir = scratch(t);
  const big = join(dir, "big");
  writeFileSync(big, Buffer.alloc(16 << 20));
  const errFile = join(dir, "stderr");
  const result = spawnSync("sh", ["-c", `'${LADING}' store dump '${big}' 2>'${errFile}' | head -c 100 > /dev/null`]);
  assert.equal(result.status, 0);
  assert.equal(readFileSync(errFile, "utf8"), "");
});
