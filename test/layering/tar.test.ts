import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { writeRandomTree } from "../helpers/random-tree.js";
import { decompress as fzstdDecompress } from "fzstd";
import { GZIP_MEMBER_SIZE, layerKey, parseCompression, writeStorePathsLayer, type CompressionSettings, type LayerDigests } from "../../layering/index.js";
import { toolsSkipReason } from "../e2e/registry-process.js";
import { fakeStorePath, writeFakePath } from "./fake-store.js";

const NONE: CompressionSettings = { algorithm: "none", level: 0 };
const GZIP: CompressionSettings = { algorithm: "gzip", level: 6 };
const ZSTD: CompressionSettings = { algorithm: "zstd", level: 3 };

async function layerBytes(root: string, paths: string[], settings: CompressionSettings): Promise<{ bytes: Buffer; digests: LayerDigests }> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on("data", (chunk: Buffer) => parts.push(chunk));
  const digests = await writeStorePathsLayer(root, paths, out, settings);
  return { bytes: Buffer.concat(parts), digests };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** Compares a tree GNU tar extracted with the source store path, as the layer should represent it. */
function assertSameTree(source: Buffer, extracted: Buffer): void {
  const s = lstatSync(source);
  const e = lstatSync(extracted);
  const where = extracted.toString();
  if (s.isSymbolicLink()) {
    assert.ok(e.isSymbolicLink(), `${where} is a symlink`);
    assert.deepEqual(readlinkSync(extracted, { encoding: "buffer" }), readlinkSync(source, { encoding: "buffer" }), where);
  } else if (s.isDirectory()) {
    assert.ok(e.isDirectory(), `${where} is a directory`);
    const names = (dir: Buffer) => readdirSync(dir, { encoding: "buffer" }).sort(Buffer.compare);
    assert.deepEqual(names(extracted), names(source), where);
    for (const name of names(source)) {
      const join2 = (dir: Buffer) => Buffer.concat([dir, Buffer.from("/"), name]);
      assertSameTree(join2(source), join2(extracted));
    }
  } else {
    assert.ok(e.isFile(), `${where} is a file`);
    assert.ok(readFileSync(extracted).equals(readFileSync(source)), `${where} content`);
    assert.equal(e.mode & 0o777, s.mode & 0o100 ? 0o555 : 0o444, `${where} mode`);
  }
}

describe("deterministic store path layers", () => {
  let work: string;
  let root: string;
  const tool = fakeStorePath("tool-1.0");
  const lib = fakeStorePath("libthing-2.3");
  const random = fakeStorePath("random-tree");
  const single = fakeStorePath("script.sh");
  const longName = "l".repeat(120);
  const paths = [tool, lib, random, single];

  before(() => {
    work = mkdtempSync(join(tmpdir(), "lading-tar-"));
    root = join(work, "root");
    writeFakePath(root, tool, {
      bin: { tool: { exec: "#!/bin/sh\necho tool\n" }, "tool-link": { link: "tool" } },
      share: {
        doc: { "README.txt": "read me\n", [longName]: "long\n", "ünïcødé-日本語.txt": "unicode\n", empty: "" },
        deep: { a: { b: { c: { [`${"d".repeat(90)}`]: { [`${"e".repeat(90)}`]: "deep and long\n" } } } } },
      },
      lib: { "libself.so": { link: `${lib}/lib/libthing.so.2` }, "long-target": { link: `/${"t".repeat(300)}` } },
      big: randomBytes(GZIP_MEMBER_SIZE + 12345),
      "empty-dir": {},
    });
    writeFakePath(root, lib, { lib: { "libthing.so.2": { exec: "\x7fELF..." } }, "a-b": "x", a: { b: "y" } });
    writeRandomTree(join(root, random), 7, { nodes: 120, maxFileSize: 100_000, deepChain: 30 });
    writeFakePath(root, single, "#!/bin/sh\n");
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("GNU tar lists the expected entries with fixed owners, modes and times", async () => {
    const { bytes } = await layerBytes(root, [tool], NONE);
    const tarFile = join(work, "listing.tar");
    writeFileSync(tarFile, bytes);
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", tarFile], { env: { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8" } }).toString();
    const lines = listing.trim().split("\n");
    const base = tool.slice(1);
    assert.match(lines[0]!, /^dr-xr-xr-x 0\/0 +0 1970-01-01 00:00:01 nix\/$/);
    assert.match(lines[1]!, /^dr-xr-xr-x 0\/0 +0 1970-01-01 00:00:01 nix\/store\/$/);
    assert.ok(lines.some((line) => line.startsWith("-r-xr-xr-x 0/0") && line.endsWith(`${base}/bin/tool`)), listing);
    assert.ok(lines.some((line) => line.startsWith("lrwxrwxrwx 0/0") && line.endsWith(`${base}/bin/tool-link -> tool`)), listing);
    assert.ok(lines.some((line) => line.startsWith("-r--r--r-- 0/0") && line.endsWith(`${base}/share/doc/${longName}`)), listing);
    assert.ok(lines.some((line) => line.endsWith(`${base}/share/doc/ünïcødé-日本語.txt`)), listing);
    // Every directory precedes its contents, and siblings are in byte order.
    const names = lines.map((line) => line.replace(/^.*?1970-01-01 00:00:01 /, "").replace(/ -> .*$/, ""));
    assert.ok(names.indexOf(`${base}/bin/`) < names.indexOf(`${base}/bin/tool`));
  });

  it("extracts with GNU tar to the same contents, symlinks and executable bits", async () => {
    const { bytes } = await layerBytes(root, paths, NONE);
    const tarFile = join(work, "all.tar");
    writeFileSync(tarFile, bytes);
    const dest = join(work, "extracted");
    mkdirSync(dest);
    execFileSync("tar", ["-xf", tarFile, "-C", dest]);
    for (const path of paths) assertSameTree(Buffer.from(join(root, path)), Buffer.from(join(dest, path)));
    assert.deepEqual(readdirSync(join(dest, "nix/store")).sort(), paths.map((p) => p.slice("/nix/store/".length)).sort());
  });

  it("gzip output decompresses (GNU gzip, zlib) to the tar whose sha256 is the diff_id", async () => {
    const plain = await layerBytes(root, paths, NONE);
    const packed = await layerBytes(root, paths, GZIP);
    assert.equal(plain.digests.diffId, sha256(plain.bytes));
    assert.equal(plain.digests.digest, plain.digests.diffId);
    assert.equal(packed.digests.diffId, plain.digests.diffId);
    assert.equal(packed.digests.digest, sha256(packed.bytes));
    assert.equal(packed.digests.size, packed.bytes.length);
    assert.equal(packed.digests.uncompressedSize, plain.bytes.length);
    assert.ok(gunzipSync(packed.bytes).equals(plain.bytes));
    const gnu = spawnSync("gzip", ["-dc"], { input: packed.bytes, maxBuffer: 1 << 28 });
    assert.equal(gnu.status, 0, gnu.stderr.toString());
    assert.ok(gnu.stdout.equals(plain.bytes));
    // The header carries no timestamp or file name, and a fixed OS byte.
    assert.deepEqual([...packed.bytes.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  });

  it("zstd output is frames the zstd program and fzstd decode to the tar whose sha256 is the diff_id, the same each run", { skip: toolsSkipReason(["zstd"]) }, async () => {
    const plain = await layerBytes(root, paths, NONE);
    const packed = await layerBytes(root, paths, ZSTD);
    assert.equal(packed.digests.diffId, plain.digests.diffId);
    assert.equal(packed.digests.digest, sha256(packed.bytes));
    assert.equal(packed.digests.size, packed.bytes.length);
    assert.equal(packed.digests.uncompressedSize, plain.bytes.length);
    assert.ok(packed.bytes.length < plain.bytes.length);
    // zstd frame magic, and more than one frame: the tar is over one 4 MiB member.
    assert.deepEqual([...packed.bytes.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    const frames = packed.bytes.toString("latin1").split("\x28\xb5\x2f\xfd").length - 1;
    assert.ok(frames >= 2, `${frames} frames`);
    const cli = spawnSync("zstd", ["-dc"], { input: packed.bytes, maxBuffer: 1 << 28 });
    assert.equal(cli.status, 0, cli.stderr.toString());
    assert.ok(cli.stdout.equals(plain.bytes));
    assert.ok(Buffer.from(fzstdDecompress(packed.bytes)).equals(plain.bytes));
    // The zstd program's own integrity check passes (frames carry checksums).
    const check = spawnSync("zstd", ["-t"], { input: packed.bytes });
    assert.equal(check.status, 0, check.stderr.toString());
    const again = await layerBytes(root, [...paths].reverse(), ZSTD);
    assert.deepEqual(again.digests, packed.digests);
    assert.ok(again.bytes.equals(packed.bytes));
    const level19 = await layerBytes(root, [single], { algorithm: "zstd", level: 19 });
    assert.equal(level19.digests.diffId, (await layerBytes(root, [single], NONE)).digests.diffId);
  });

  it("compression is part of the layer key", () => {
    assert.notEqual(layerKey(paths, ZSTD), layerKey(paths, GZIP));
    assert.notEqual(layerKey(paths, ZSTD), layerKey(paths, { algorithm: "zstd", level: 4 }));
    assert.equal(layerKey(paths, ZSTD), layerKey([...paths].reverse(), ZSTD));
  });

  it("gives the same digests across runs and whatever the files' times, owners and non-x bits", async () => {
    const first = await layerBytes(root, paths, GZIP);
    const second = await layerBytes(root, [...paths].reverse(), GZIP);
    assert.deepEqual(second.digests, first.digests);

    const copy = join(work, "copy");
    execFileSync("cp", ["-a", root, copy]); // cpSync cannot copy non-UTF-8 names
    const touch = (dir: Buffer) => {
      for (const name of readdirSync(dir, { encoding: "buffer" })) {
        const path = Buffer.concat([dir, Buffer.from("/"), name]);
        const stats = lstatSync(path);
        if (stats.isSymbolicLink()) continue;
        if (stats.isDirectory()) touch(path);
        else chmodSync(path, stats.mode & 0o100 ? 0o700 : 0o640);
        utimesSync(path, 1_234_567, 7_654_321);
      }
    };
    touch(Buffer.from(join(copy, "nix/store")));
    const moved = await layerBytes(copy, paths, GZIP);
    assert.deepEqual(moved.digests, first.digests);
  });

  it("fails, without an unhandled error event, when the output fails", async () => {
    const broken = new Writable({ highWaterMark: 1024, write: (_chunk, _encoding, callback) => callback(new Error("disk full")) });
    await assert.rejects(writeStorePathsLayer(root, paths, broken, GZIP), /disk full/);
  });

  it("refuses paths outside the store and missing paths", async () => {
    await assert.rejects(layerBytes(root, ["/etc/passwd"], NONE), /not a store path/);
    await assert.rejects(layerBytes(root, [fakeStorePath("missing")], NONE), /cannot read/);
  });
});

describe("LADING_LAYER_COMPRESSION", () => {
  it("parses gzip and zstd with optional levels and refuses the rest", () => {
    assert.deepEqual(parseCompression(undefined), { algorithm: "gzip", level: 6 });
    assert.deepEqual(parseCompression("gzip-9"), { algorithm: "gzip", level: 9 });
    assert.deepEqual(parseCompression("zstd"), { algorithm: "zstd", level: 3 });
    assert.deepEqual(parseCompression("zstd-19"), { algorithm: "zstd", level: 19 });
    for (const bad of ["zstd-0", "zstd-20", "gzip-10", "xz", "zstd:3", "none"]) assert.throws(() => parseCompression(bad), /compression|level/, bad);
  });
});
