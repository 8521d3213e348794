/**
 * Layers read from the castore equal layers read from an unpacked store: the same
 * entries and the same digests, for generated trees (tricky names, symlinks anywhere,
 * empty and chunked large files, executables) and over a backend without synchronous
 * reads (as S3 is).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import {
  castoreTreeSource,
  diskTreeSource,
  storePathEntries,
  writeStorePathsLayer,
  type StoreTreeSource,
  type TarEntry,
} from "../../layering/index.js";
import { Castore, FsCastoreBackend, hashBytes, makeStorePath, type CastoreBackend } from "../../store/index.js";
import { writeRandomTree } from "../helpers/random-tree.js";
import { tempDir } from "./fixture.js";

function storePathFor(name: string): string {
  return makeStorePath("output:out", hashBytes("sha256", `castore-layers:${name}`), name).render();
}

/** A layer's digests, the compressed bytes thrown away. */
async function layerDigest(source: string | StoreTreeSource, paths: string[]) {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  return writeStorePathsLayer(source, paths, sink);
}

async function entries(source: string | StoreTreeSource, paths: string[]) {
  const out: unknown[] = [];
  for await (const entry of storePathEntries(source, paths)) {
    const { path, type } = entry;
    if (entry.type === "file") {
      let bytes: Buffer;
      if ("data" in entry) bytes = entry.data;
      else if ("contents" in entry) {
        const pieces: Buffer[] = [];
        for await (const piece of entry.contents()) pieces.push(piece);
        bytes = Buffer.concat(pieces);
      } else {
        const { readFileSync } = await import("node:fs");
        bytes = readFileSync(entry.source);
      }
      out.push({ type, path: path.toString("hex"), mode: entry.mode, size: entry.size, sha: hashBytes("sha256", bytes).format("base16") });
    } else out.push({ ...(entry as TarEntry), path: path.toString("hex") });
  }
  return out;
}

/** A backend that only reads asynchronously, after a pause: how S3 behaves. */
function remoteLike(inner: FsCastoreBackend): CastoreBackend {
  const pause = () => new Promise((r) => setTimeout(r, 0));
  return {
    parallelism: 16,
    has: async (k, key) => (await pause(), inner.has(k, key)),
    get: async (k, key) => (await pause(), inner.get(k, key)),
    put: (k, key, bytes) => inner.put(k, key, bytes),
    delete: (k, key, since) => inner.delete(k, key, since),
    list: (k) => inner.list(k),
  };
}

test("castore and unpacked store give the same layer entries and digests", async () => {
  const root = tempDir("castore-layers");
  mkdirSync(join(root, "nix", "store"), { recursive: true });
  const backend = new FsCastoreBackend(tempDir("castore-layers-cas"));
  const castore = new Castore(backend);
  const paths: string[] = [];
  for (let seed = 1; seed <= 6; seed++) {
    const path = storePathFor(`tree-${seed}`);
    // Seeds 5 and 6 hold files above the single-blob limit, so chunk lists are read too.
    writeRandomTree(join(root, path), seed, seed >= 5 ? { nodes: 40, maxFileSize: 3_000_000 } : { nodes: 120 });
    await castore.addPath(path, join(root, path));
    paths.push(path);
  }

  const fromDisk = await layerDigest(root, paths);
  const fromCastore = await layerDigest(castoreTreeSource(castore), paths);
  assert.deepEqual(fromCastore, fromDisk);
  assert.deepEqual(await entries(castoreTreeSource(castore), paths), await entries(diskTreeSource(root), paths));

  const remote = new Castore(remoteLike(backend));
  assert.deepEqual(await layerDigest(castoreTreeSource(remote, { readAhead: 4 }), paths), fromDisk);

  // Small files kept inline in their directory nodes (no blob of their own): the same layer.
  const inline = new Castore(new FsCastoreBackend(tempDir("castore-layers-inline")), { inlineMax: 4096 });
  for (const path of paths) await inline.addPath(path, join(root, path));
  assert.deepEqual(await layerDigest(castoreTreeSource(inline), paths), fromDisk);

  // Mixed: half the paths on disk, half only in the castore.
  const half = new Set(paths.slice(0, 3));
  const mixed = castoreTreeSource(remote, { local: { storeRoot: root, has: (p) => half.has(p) } });
  assert.deepEqual(await layerDigest(mixed, paths), fromDisk);

  // One path alone, a single-file path, and a path the castore lacks.
  const single = storePathFor("single-file");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(root, single), "just one file\n");
  await castore.addPath(single, join(root, single));
  assert.deepEqual(await layerDigest(castoreTreeSource(castore), [single, paths[0]!]), await layerDigest(root, [single, paths[0]!]));
  await assert.rejects(layerDigest(castoreTreeSource(castore), [storePathFor("absent")]), /neither on disk nor in the castore/);
});

test("the castore inspector answers lstat and readdir as the unpacked store does", async () => {
  const { lstatSync, readdirSync, symlinkSync, mkdirSync: mkdir, writeFileSync } = await import("node:fs");
  const root = tempDir("castore-inspect");
  mkdirSync(join(root, "nix", "store"), { recursive: true });
  const castore = new Castore(new FsCastoreBackend(tempDir("castore-inspect-cas")));
  const tree = storePathFor("inspect-tree");
  writeRandomTree(join(root, tree), 11, { nodes: 120 });
  // Symlinks in the middle of a path: relative inside the path, absolute into another store path.
  const lib = storePathFor("inspect-lib");
  mkdir(join(root, lib, "lib", "deep"), { recursive: true });
  writeFileSync(join(root, lib, "lib", "deep", "libx.so"), "x");
  const app = storePathFor("inspect-app");
  mkdir(join(root, app, "real", "bin"), { recursive: true });
  writeFileSync(join(root, app, "real", "bin", "app"), "#!/bin/sh\n");
  symlinkSync("real/bin", join(root, app, "bin"));
  symlinkSync(`${lib}/lib`, join(root, app, "lib"));
  for (const p of [tree, lib, app]) await castore.addPath(p, join(root, p));
  const inspect = castoreTreeSource(castore);

  // Every node of the random tree, walked without following symlinks.
  const walk = async (logical: Buffer): Promise<void> => {
    const physical = Buffer.concat([Buffer.from(root), logical]);
    const stats = lstatSync(physical);
    const expected = stats.isDirectory() ? "dir" : stats.isSymbolicLink() ? "link" : "file";
    assert.equal(await inspect.kind(logical), expected, logical.toString());
    if (expected !== "dir") return;
    const names = readdirSync(physical, { encoding: "buffer" }).sort(Buffer.compare);
    assert.deepEqual((await inspect.list(logical)).sort(Buffer.compare), names, logical.toString());
    for (const name of names) await walk(Buffer.concat([logical, Buffer.from("/"), name]));
  };
  await walk(Buffer.from(tree));

  assert.equal(await inspect.kind(Buffer.from(`${app}/bin`)), "link");
  assert.equal(await inspect.kind(Buffer.from(`${app}/bin/app`)), "file");
  assert.equal(await inspect.kind(Buffer.from(`${app}/lib/deep/libx.so`)), "file");
  assert.deepEqual(await inspect.list(Buffer.from(`${app}/lib/deep`)), [Buffer.from("libx.so")]);
  assert.equal(await inspect.kind(Buffer.from(`${app}/nothing`)), undefined);
  assert.equal(await inspect.kind(Buffer.from(`${storePathFor("absent")}/bin`)), undefined);
});
