/**
 * Castore: dedup, ingestion and rendering, measured in the same run on generated
 * package-like trees (binaries, libraries, many small text files, symlinks).
 *
 * Two versions of a package set are ingested; version 2 differs slightly (store-path
 * hashes rewritten in place in some binaries, a few bytes inserted in some libraries,
 * edited text files, a new file). Three layouts: content-defined chunks with a blob
 * per file (`cdc`, the default), the same with files up to 4 KiB inline in their
 * directory node (`inline`, LADING_CASTORE_INLINE=4096), fixed-size chunks (`fixed`,
 * dedup only). Reported:
 * - stored bytes versus the sum of NAR sizes;
 * - ingestion MB/s (NAR stream → castore, NAR hash included) versus `restoreNar`
 *   (plain unpacking of the same NAR stream to disk); target ≥ 0.8×;
 * - rendering MB/s (castore → NAR, verifying every object read, and unverified)
 *   versus `nix-store --dump` of the original tree to /dev/null; target ≥ 1.0×.
 * Runs alternate (restore, cdc, inline, … and render, dump, …); medians, with the
 * load average before and after (the machine is shared: compare ratios, not MB/s).
 *
 *   node dist/bench/castore.js [--size-mb N] [--runs N]
 */
import { spawnSync } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Castore, FsCastoreBackend, dumpNarSync, restoreNar, type IngestOptions } from "../store/index.js";
import { mulberry32 as prng } from "../test/helpers/random.js";

function parseOptions(argv: string[]): { sizeMb: number; runs: number } {
  const options = { sizeMb: 60, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--size-mb" && argv[i + 1]) options.sizeMb = Number(argv[++i]);
    else if (argv[i] === "--runs" && argv[i + 1]) options.runs = Number(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return options;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => bytes / 1e6;

/** Version 1 of a package set: `packages` directories under `root`. */
function writePackageSet(root: string, sizeMb: number): void {
  const random = prng(7);
  // Different bytes for every file: packages share no contents by accident.
  // Seeded (AES-CTR over zeros), so the dedup ratio is the same on every run and machine.
  let stream = 0;
  const slice = (size: number) => {
    const key = Buffer.alloc(16);
    key.writeUInt32LE(++stream);
    return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(size));
  };
  const text = (lines: number) =>
    Array.from({ length: lines }, (_, i) => `line ${i} of ${Math.floor(random() * 1e9).toString(36)} configuration text\n`).join("");
  const total = sizeMb * 1e6;
  let bytes = 0;
  for (let p = 0; bytes < total; p++) {
    const pkg = join(root, `pkg${String(p).padStart(3, "0")}`);
    for (const sub of ["bin", "lib", "share/doc", "share/man/man1"]) mkdirSync(join(pkg, sub), { recursive: true });
    const binary = slice(200_000 + Math.floor(random() * 3_000_000));
    writeFileSync(join(pkg, "bin", `tool${p}`), binary, { mode: 0o755 });
    const library = slice(50_000 + Math.floor(random() * 1_500_000));
    writeFileSync(join(pkg, "lib", `lib${p}.so`), library);
    symlinkSync(`lib${p}.so`, join(pkg, "lib", `lib${p}.so.1`));
    bytes += binary.length + library.length;
    for (let f = 0; f < 40; f++) {
      const doc = text(5 + Math.floor(random() * 60));
      writeFileSync(join(pkg, "share/doc", `doc${f}.txt`), doc);
      bytes += doc.length;
    }
    writeFileSync(join(pkg, "share/man/man1", `tool${p}.1`), text(30));
  }
}

/** Version 2: a copy of version 1 with the small differences a rebuild brings. */
function writeSecondVersion(v1: string, v2: string): void {
  cpSync(v1, v2, { recursive: true, verbatimSymlinks: true });
  const random = prng(8);
  for (const pkg of readdirSync(v2)) {
    if (random() < 0.6) continue; // most packages are unchanged
    const bin = join(v2, pkg, "bin", readdirSync(join(v2, pkg, "bin"))[0]!);
    const binary = readFileSync(bin);
    // A dependency's store path hash, rewritten in place at a few spots.
    for (let k = 0; k < 4; k++) Buffer.from("x".repeat(32)).copy(binary, Math.floor(random() * (binary.length - 32)));
    writeFileSync(bin, binary, { mode: 0o755 });
    const lib = join(v2, pkg, "lib", readdirSync(join(v2, pkg, "lib")).find((n) => n.endsWith(".so"))!);
    const library = readFileSync(lib);
    const at = Math.floor(random() * library.length);
    writeFileSync(lib, Buffer.concat([library.subarray(0, at), Buffer.from("inserted by version 2"), library.subarray(at)]));
    writeFileSync(join(v2, pkg, "share/doc", "doc0.txt"), `changed in version 2\n`);
    writeFileSync(join(v2, pkg, "share/doc", "NEWS"), `news of version 2\n`);
  }
}

interface Path {
  storePath: string;
  nar: Buffer[];
  size: number;
}

function narsOf(root: string, version: number): Path[] {
  return readdirSync(root).map((name, i) => {
    const nar = [...dumpNarSync(join(root, name))];
    const hash = `${version}${String(i).padStart(31, "0")}`.replace(/[eotu]/g, "0");
    return { storePath: `/nix/store/${hash}-${name}`, nar, size: nar.reduce((n, c) => n + c.length, 0) };
  });
}

const LAYOUTS = {
  cdc: { chunking: "cdc" },
  inline: { chunking: "cdc", inlineMax: 4096 },
  fixed: { chunking: "fixed" },
} satisfies Record<string, IngestOptions>;
type Layout = keyof typeof LAYOUTS;
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function ingestAll(dir: string, layout: Layout, paths: Path[]): Promise<{ seconds: number; stored: number }> {
  rmSync(dir, { recursive: true, force: true });
  const castore = new Castore(new FsCastoreBackend(dir), LAYOUTS[layout]);
  const start = performance.now();
  let stored = 0;
  for (const path of paths) stored += (await castore.addNar(path.storePath, path.nar)).storedBytes;
  return { seconds: (performance.now() - start) / 1000, stored };
}

async function restoreAll(dir: string, paths: Path[]): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const start = performance.now();
  for (const path of paths) await restoreNar(path.nar, join(dir, path.storePath.slice("/nix/store/".length)));
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const haveNix = spawnSync("nix-store", ["--version"], { stdio: "ignore" }).status === 0;
  const base = mkdtempSync(join(tmpdir(), "lading-bench-castore-"));
  try {
    const v1 = join(base, "v1");
    const v2 = join(base, "v2");
    mkdirSync(v1);
    writePackageSet(v1, options.sizeMb);
    writeSecondVersion(v1, v2);
    const paths = [...narsOf(v1, 1), ...narsOf(v2, 2)];
    const narBytes = paths.reduce((n, p) => n + p.size, 0);
    console.log(`castore: ${paths.length / 2} packages × 2 versions, NARs ${mb(narBytes).toFixed(0)} MB, ${options.runs} runs, medians; load ${loadavg()}`);

    // Dedup and ingestion speed, alternating with plain unpacking.
    const timed = ["cdc", "inline"] as const;
    const ingest: Record<Layout, number[]> = { cdc: [], inline: [], fixed: [] };
    const stored: Record<Layout, number> = { cdc: 0, inline: 0, fixed: 0 };
    const restore: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      restore.push(await restoreAll(join(base, "unpacked"), paths));
      for (const layout of timed) {
        const result = await ingestAll(join(base, `cas-${layout}`), layout, paths);
        ingest[layout].push(result.seconds);
        stored[layout] = result.stored;
      }
    }
    stored.fixed = (await ingestAll(join(base, "cas-fixed"), "fixed", paths)).stored;
    rmSync(join(base, "cas-fixed"), { recursive: true, force: true });
    for (const layout of ["cdc", "inline", "fixed"] as const) {
      console.log(
        `dedup (${layout.padEnd(6)}) stored ${mb(stored[layout]).toFixed(1)} MB of ${mb(narBytes).toFixed(1)} MB of NARs = ${(stored[layout] / narBytes).toFixed(3)}`,
      );
    }
    const restoreRate = mb(narBytes) / median(restore);
    for (const layout of timed) {
      const rate = mb(narBytes) / median(ingest[layout]);
      console.log(
        `ingest (${layout.padEnd(6)}) ${rate.toFixed(0)} MB/s   restoreNar ${restoreRate.toFixed(0)} MB/s   ratio ${(rate / restoreRate).toFixed(2)} (target ≥ 0.8)`,
      );
    }

    // Rendering: the whole version-1 set as one path, against nix-store --dump of it.
    const whole = "/nix/store/00000000000000000000000000000000-whole-set";
    const renderers: Record<string, Castore> = {};
    let narSize = 0;
    for (const layout of timed) {
      const { info } = await new Castore(new FsCastoreBackend(join(base, `cas-${layout}`)), LAYOUTS[layout]).addNar(whole, dumpNarSync(v1));
      narSize = info.narSize;
      renderers[`${layout} verified`] = new Castore(new FsCastoreBackend(join(base, `cas-${layout}`)));
    }
    renderers["cdc unverified"] = new Castore(new FsCastoreBackend(join(base, "cas-cdc"), { verifyReads: false }));
    const render: Record<string, number[]> = Object.fromEntries(Object.keys(renderers).map((k) => [k, []]));
    const dump: number[] = [];
    const timeRender = async (from: Castore) => {
      const start = performance.now();
      let rendered = 0;
      for await (const chunk of from.nar(whole)) rendered += chunk.length;
      if (rendered !== narSize) throw new Error("rendered NAR has the wrong size");
      return (performance.now() - start) / 1000;
    };
    for (let run = 0; run < options.runs; run++) {
      for (const [label, from] of Object.entries(renderers)) render[label]!.push(await timeRender(from));
      if (!haveNix) continue;
      const start = performance.now();
      const result = spawnSync("sh", ["-c", `nix-store --dump '${v1}' > /dev/null`]);
      dump.push((performance.now() - start) / 1000);
      if (result.status !== 0) throw new Error(`nix-store --dump failed: ${result.stderr}`);
    }
    for (const [label, times] of Object.entries(render)) {
      const rate = mb(narSize) / median(times);
      const peer = haveNix
        ? `   nix-store --dump ${(mb(narSize) / median(dump)).toFixed(0)} MB/s   ratio ${(median(dump) / median(times)).toFixed(2)} (target ≥ 1.0)`
        : "   (nix-store not installed)";
      console.log(`render ${label.padEnd(17)} ${mb(narSize).toFixed(0)} MB: ${rate.toFixed(0)} MB/s${peer}`);
    }
    console.log(`load ${loadavg()}`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
