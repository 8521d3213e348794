/**
 * Layer assembly from the castore versus from an unpacked store, on the same store
 * paths, in one run (issue 8). Both sources give byte-identical layers (checked
 * here: same digests). Measured two ways, alternated per run (A B A B …):
 *   - tar only: the uncompressed tar stream, which is where the sources differ;
 *   - layer: the whole gzip-6 layer with both digests, as the registry writes it.
 * The castore is the local one (FsCastoreBackend, reads verified by BLAKE3, as the
 * registry opens it). Prints medians in MB/s of tar bytes and the ratio
 * castore/unpacked (1.0 = as fast), plus /proc/loadavg.
 *
 *   node dist/bench/layer-assembly.js [--size-mb N] [--runs N]
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { castoreTreeSource, storePathEntries, tarChunks, writeStorePathsLayer, type StoreTreeSource } from "../layering/index.js";
import { Castore, FsCastoreBackend, hashBytes, makeStorePath } from "../store/index.js";
import { mulberry32 } from "../test/helpers/random.js";

function parseOptions(argv: string[]): { sizeMb: number; runs: number } {
  const options = { sizeMb: 64, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--size-mb" && argv[i + 1]) options.sizeMb = Number(argv[++i]);
    else if (argv[i] === "--runs" && argv[i + 1]) options.runs = Number(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return options;
}

/** Package-shaped store paths: a few large binaries (chunked in the castore), a library, many small files. */
function generateStore(root: string, sizeMb: number): { paths: string[]; bytes: number } {
  const random = mulberry32(11);
  // Text-like contents (compress about 3:1) cut from one pool, so generation is quick.
  const words = Array.from({ length: 2000 }, () => Buffer.from(Math.floor(random() * 0xffffffff).toString(36)));
  const parts: Buffer[] = [];
  for (let size = 0; size < 24 << 20; ) {
    const word = words[Math.floor(random() * words.length)]!;
    parts.push(word, Buffer.from(" "));
    size += word.length + 1;
  }
  const pool = Buffer.concat(parts);
  const slice = (size: number) => {
    const start = Math.floor(random() * (pool.length - size));
    return pool.subarray(start, start + size);
  };
  const paths: string[] = [];
  let bytes = 0;
  for (let p = 0; bytes < sizeMb << 20; p++) {
    const path = makeStorePath("output:out", hashBytes("sha256", `assembly${p}`), `pkg${p}-1.0`).render();
    paths.push(path);
    const dir = join(root, path);
    for (const sub of ["bin", "lib", "share/doc"]) mkdirSync(join(dir, sub), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const size = 200_000 + Math.floor(random() * 2_500_000);
      writeFileSync(join(dir, "bin", `tool${i}`), slice(size));
      chmodSync(join(dir, "bin", `tool${i}`), 0o555);
      bytes += size;
    }
    writeFileSync(join(dir, "lib", "libpkg.so.1"), slice(600_000));
    symlinkSync("libpkg.so.1", join(dir, "lib", "libpkg.so"));
    bytes += 600_000;
    for (let i = 0; i < 150; i++) {
      const size = Math.floor(random() * 6000);
      writeFileSync(join(dir, "share/doc", `file${i}.txt`), slice(size));
      bytes += size;
    }
  }
  return { paths, bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeTar(source: string | StoreTreeSource, paths: string[]): Promise<{ seconds: number; bytes: number }> {
  const start = process.hrtime.bigint();
  let bytes = 0;
  for await (const chunk of tarChunks(storePathEntries(source, paths))) bytes += chunk.length;
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes };
}

async function timeLayer(source: string | StoreTreeSource, paths: string[]): Promise<{ seconds: number; digest: string }> {
  const start = process.hrtime.bigint();
  const digests = await writeStorePathsLayer(source, paths, new Writable({ write: (_c, _e, done) => done() }));
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, digest: digests.digest };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const base = mkdtempSync(join(tmpdir(), "lading-bench-assembly-"));
  try {
    const root = join(base, "root");
    const { paths, bytes } = generateStore(root, options.sizeMb);
    const castore = new Castore(new FsCastoreBackend(join(base, "castore")));
    const ingestStart = process.hrtime.bigint();
    for (const path of paths) await castore.addPath(path, join(root, path));
    const ingestSeconds = Number(process.hrtime.bigint() - ingestStart) / 1e9;
    const fromCastore = castoreTreeSource(castore);

    // Warm both (page cache), and check the layers are the same bytes.
    const [warmDisk, warmCastore] = [await timeLayer(root, paths), await timeLayer(fromCastore, paths)];
    if (warmDisk.digest !== warmCastore.digest) throw new Error(`layers differ: ${warmDisk.digest} vs ${warmCastore.digest}`);

    const tarDisk: number[] = [];
    const tarCastore: number[] = [];
    const layerDisk: number[] = [];
    const layerCastore: number[] = [];
    let tarBytes = 0;
    for (let i = 0; i < options.runs; i++) {
      const a = await timeTar(root, paths);
      const b = await timeTar(fromCastore, paths);
      tarDisk.push(a.seconds);
      tarCastore.push(b.seconds);
      tarBytes = a.bytes;
      layerDisk.push((await timeLayer(root, paths)).seconds);
      layerCastore.push((await timeLayer(fromCastore, paths)).seconds);
    }
    const mb = tarBytes / 1e6;
    const row = (name: string, seconds: number[]) =>
      console.log(`  ${name.padEnd(22)} ${median(seconds).toFixed(2)} s  ${(mb / median(seconds)).toFixed(0)} MB/s`);
    console.log(
      `layer-assembly: ${paths.length} store paths, ${(bytes / 1e6).toFixed(0)} MB of files, tar ${mb.toFixed(0)} MB, ` +
        `castore ingestion ${(bytes / 1e6 / ingestSeconds).toFixed(0)} MB/s, ${options.runs} runs alternated, medians; same layer digest`,
    );
    row("tar, unpacked store", tarDisk);
    row("tar, castore", tarCastore);
    console.log(`  ratio castore/unpacked throughput (tar only) ${(median(tarDisk) / median(tarCastore)).toFixed(2)}`);
    row("gzip layer, unpacked", layerDisk);
    row("gzip layer, castore", layerCastore);
    console.log(`  ratio castore/unpacked throughput (gzip layer) ${(median(layerDisk) / median(layerCastore)).toFixed(2)}`);
    console.log(`  load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
