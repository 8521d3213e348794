/**
 * Layer writing throughput: our deterministic tar + gzip (level 6, one pass with
 * both digests) against `tar --sort=name -c … | gzip -6`, and our zstd-3 against
 * `… | zstd -3 -T0` (all cores; skip with --no-zstd), on the same ~200 MB of
 * generated store paths, measured in the same run. Prints medians in MB/s of tar
 * bytes and the ratio lading/peer (higher is better; the target is > 1).
 *
 *   node dist/bench/layer-write.js [--size-mb N] [--runs N] [--no-zstd]
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { makeStorePath, hashBytes } from "../store/index.js";
import { DEFAULT_COMPRESSION, writeStorePathsLayer, type CompressionSettings } from "../layering/index.js";
import { mulberry32 as prng } from "../test/helpers/random.js";

function parseOptions(argv: string[]): { sizeMb: number; runs: number; zstd: boolean } {
  const options = { sizeMb: 200, runs: 3, zstd: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--no-zstd") {
      options.zstd = false;
      continue;
    }
    if (argv[i] === "--size-mb" && argv[i + 1]) options.sizeMb = Number(argv[++i]);
    else if (argv[i] === "--runs" && argv[i + 1]) options.runs = Number(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return options;
}


/**
 * A pool that compresses about as well as store contents (binaries and text, ~3:1
 * at gzip -6): random picks from a vocabulary of random tokens, with some raw noise.
 */
function makePool(random: () => number, size: number): Buffer {
  const tokens = Array.from({ length: 1024 }, () => {
    const token = Buffer.alloc(4 + Math.floor(random() * 28));
    for (let i = 0; i < token.length; i++) token[i] = Math.floor(random() * 256);
    return token;
  });
  const pool = Buffer.alloc(size);
  for (let at = 0; at < size; ) {
    if (random() < 0.03) {
      pool[at++] = Math.floor(random() * 256);
      continue;
    }
    at += tokens[Math.floor(random() * tokens.length)]!.copy(pool, at);
  }
  return pool;
}

/** Store paths shaped like packages: bin/, lib/ with a few large files, share/ with many small ones. */
function generateStore(root: string, sizeMb: number): { paths: string[]; bytes: number } {
  const random = prng(7);
  const pool = makePool(random, 16 << 20);
  const total = sizeMb << 20;
  const paths: string[] = [];
  let bytes = 0;
  const slice = (size: number) => {
    const start = Math.floor(random() * (pool.length - size));
    return pool.subarray(start, start + size);
  };
  for (let p = 0; bytes < total; p++) {
    const path = makeStorePath("output:out", hashBytes("sha256", `bench${p}`), `pkg${p}-1.0`).render();
    paths.push(path);
    const dir = join(root, path);
    for (const sub of ["bin", "lib", "share/doc", "share/man/man1"]) mkdirSync(join(dir, sub), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const size = 100_000 + Math.floor(random() * 3_000_000);
      writeFileSync(join(dir, "bin", `tool${i}`), slice(size), { mode: 0o755 });
      bytes += size;
    }
    writeFileSync(join(dir, "lib", "libpkg.so.1"), slice(1_000_000));
    symlinkSync("libpkg.so.1", join(dir, "lib", "libpkg.so"));
    bytes += 1_000_000;
    for (let i = 0; i < 80; i++) {
      const size = Math.floor(random() * 8000);
      writeFileSync(join(dir, "share/doc", `file${i}.txt`), slice(size));
      bytes += size;
    }
  }
  return { paths, bytes };
}

const ZSTD: CompressionSettings = { algorithm: "zstd", level: 3 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeOurs(root: string, paths: string[], target: string, settings: CompressionSettings = DEFAULT_COMPRESSION) {
  const start = process.hrtime.bigint();
  const out = createWriteStream(target);
  const digests = await writeStorePathsLayer(root, paths, out, settings);
  out.end();
  await finished(out);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, tarBytes: digests.uncompressedSize, size: digests.size };
}

function timePeer(root: string, paths: string[], target: string, compressor = "gzip -6") {
  const list = join(root, "..", "paths.txt");
  writeFileSync(list, paths.map((p) => p.slice(1)).join("\n") + "\n");
  const command = `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1 -C '${root}' -cf - -T '${list}' | ${compressor} > '${target}'`;
  const start = process.hrtime.bigint();
  const result = spawnSync("sh", ["-c", command], { encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`peer failed: ${result.stderr}`);
  const size = Number(spawnSync("stat", ["-c", "%s", target], { encoding: "utf8" }).stdout.trim());
  return { seconds, size };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const base = mkdtempSync(join(tmpdir(), "lading-bench-layer-"));
  try {
    const root = join(base, "root");
    const { paths, bytes } = generateStore(root, options.sizeMb);
    const ours: number[] = [];
    const theirs: number[] = [];
    const oursZstd: number[] = [];
    const theirsZstd: number[] = [];
    const tarOnly: number[] = [];
    let tarBytes = 0;
    const sizes = [0, 0, 0, 0];
    await timeOurs(root, paths, join(base, "warm.tar.gz")); // warm the page cache
    // Alternated per run (A B A B), so load changes on a shared machine hit all of them.
    for (let i = 0; i < options.runs; i++) {
      const a = await timeOurs(root, paths, join(base, "ours.tar.gz"));
      const b = timePeer(root, paths, join(base, "peer.tar.gz"));
      ours.push(a.seconds);
      theirs.push(b.seconds);
      tarBytes = a.tarBytes;
      sizes[0] = a.size;
      sizes[1] = b.size;
      if (options.zstd) {
        const c = await timeOurs(root, paths, join(base, "ours.tar.zst"), ZSTD);
        const d = timePeer(root, paths, join(base, "peer.tar.zst"), "zstd -3 -T0 -q -c");
        oursZstd.push(c.seconds);
        tarOnly.push((await timeOurs(root, paths, join(base, "ours.tar"), { algorithm: "none", level: 0 })).seconds);
        theirsZstd.push(d.seconds);
        sizes[2] = c.size;
        sizes[3] = d.size;
      }
    }
    const mb = tarBytes / 1e6;
    const row = (name: string, seconds: number[], size: number) =>
      console.log(`  ${name.padEnd(16)} ${median(seconds).toFixed(2)} s  ${(mb / median(seconds)).toFixed(1)} MB/s  compressed ${(size / 1e6).toFixed(1)} MB`);
    console.log(`layer-write: ${paths.length} store paths, ${(bytes / 1e6).toFixed(0)} MB of files, tar ${mb.toFixed(0)} MB, ${options.runs} runs, medians`);
    row("lading gzip-6", ours, sizes[0]!);
    row("tar|gzip -6", theirs, sizes[1]!);
    console.log(`  ratio lading/peer throughput ${(median(theirs) / median(ours)).toFixed(2)} (target > 1)`);
    if (options.zstd) {
      row("lading zstd-3", oursZstd, sizes[2]!);
      row("tar|zstd -3 -T0", theirsZstd, sizes[3]!);
      row("lading tar only", tarOnly, tarBytes);
      console.log(`  zstd ratio lading/peer throughput ${(median(theirsZstd) / median(oursZstd)).toFixed(2)}; lading zstd-3 vs lading gzip-6 ${(median(ours) / median(oursZstd)).toFixed(2)}x`);
    }
    console.log(`  load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
