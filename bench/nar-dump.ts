/**
 * NAR dump and NAR hash throughput against CppNix, measured in the same run on the
 * same generated tree (~300 MB: many small files in nested directories, some medium
 * and a few large ones, executables and symlinks). Prints medians of alternated runs
 * (at least 5) and ratios lading/CppNix (lower is better; the target is <= 1.2), of
 * wall time and of the pipeline's CPU time (user + system, every process of it).
 * `hash/lib` is the hash through the store module alone, without the CLI's start-up.
 *
 *   node dist/bench/nar-dump.js [--size-mb N] [--runs N] [--keep DIR]
 */
import { spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mulberry32 as prng } from "../test/helpers/random.js";

const REPO = resolve(fileURLToPath(import.meta.url), "../../..");
const LADING = join(REPO, "bin/lading");
const STORE_MODULE = join(REPO, "dist/store/index.js");

interface Options {
  sizeMb: number;
  runs: number;
  keep: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { sizeMb: 300, runs: 5, keep: undefined };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--size-mb" && value) options.sizeMb = Number(argv[++i]);
    else if (argv[i] === "--runs" && value) options.runs = Number(argv[++i]);
    else if (argv[i] === "--keep" && value) options.keep = argv[++i];
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return options;
}


/** Writes the tree; about 30% of the bytes in small files, 30% medium, 40% large. */
function generateTree(root: string, sizeMb: number): { files: number; bytes: number } {
  const random = prng(42);
  const total = sizeMb * 1024 * 1024;
  const pool = Buffer.allocUnsafe(32 * 1024 * 1024);
  randomFillSync(pool);
  let files = 0;
  let bytes = 0;
  const write = (path: string, size: number, executable: boolean) => {
    const start = Math.floor(random() * (pool.length - size));
    writeFileSync(path, pool.subarray(start, start + size), { mode: executable ? 0o755 : 0o644 });
    files++;
    bytes += size;
  };
  mkdirSync(root);
  // Small files: a package-like layout of nested directories.
  let dirIndex = 0;
  while (bytes < total * 0.3) {
    const dir = join(root, "pkgs", `p${dirIndex % 97}`, `d${dirIndex}`);
    mkdirSync(dir, { recursive: true });
    const count = 5 + Math.floor(random() * 30);
    for (let i = 0; i < count; i++) write(join(dir, `f${i}.txt`), Math.floor(random() * 4096), random() < 0.1);
    symlinkSync(`../d${dirIndex}/f0.txt`, join(dir, "link"));
    dirIndex++;
  }
  const medium = join(root, "medium");
  mkdirSync(medium);
  for (let i = 0; bytes < total * 0.6; i++) write(join(medium, `m${i}`), 64 * 1024 + Math.floor(random() * 1024 * 1024), false);
  const large = join(root, "large");
  mkdirSync(large);
  for (let i = 0; bytes < total; i++) write(join(large, `l${i}.bin`), Math.min(total - bytes + 1, 30 * 1024 * 1024), i % 2 === 0);
  return { files, bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs a shell pipeline; returns its wall time in seconds, the CPU seconds (user +
 * system) of the whole pipeline, and its stdout. CPU time is reported too because on
 * a shared machine the wall time of a pipeline is mostly other people's load.
 */
function timeShell(command: string): { seconds: number; cpu: number; output: string } {
  const start = process.hrtime.bigint();
  // bash's `times` prints the children's user and system time on its second line.
  const result = spawnSync("bash", ["-c", `${command}\ntimes >&2`], { encoding: "utf8", maxBuffer: 1 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`'${command}' failed: ${result.stderr}`);
  const children = result.stderr.trim().split("\n").at(-1) ?? "";
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { seconds, cpu, output: result.stdout.trim() };
}

interface Pair {
  label: string;
  lading: string;
  cppnix: string;
}

function measure(pair: Pair, runs: number): void {
  const ours: number[] = [];
  const theirs: number[] = [];
  const ourCpu: number[] = [];
  const theirCpu: number[] = [];
  let outputs: [string, string] = ["", ""];
  // Alternate the two so drifting machine load hits both alike.
  for (let i = 0; i < runs; i++) {
    const a = timeShell(pair.lading);
    const b = timeShell(pair.cppnix);
    ours.push(a.seconds);
    theirs.push(b.seconds);
    ourCpu.push(a.cpu);
    theirCpu.push(b.cpu);
    outputs = [a.output, b.output];
  }
  const same = outputs[0] === outputs[1] ? "same output" : `OUTPUT DIFFERS: ${outputs[0]} vs ${outputs[1]}`;
  const ratio = median(ours) / median(theirs);
  const cpuRatio = median(ourCpu) / median(theirCpu);
  console.log(
    `${pair.label.padEnd(10)} lading ${median(ours).toFixed(3)} s   cppnix ${median(theirs).toFixed(3)} s   ratio ${ratio.toFixed(2)}` +
      `   cpu ${median(ourCpu).toFixed(2)} / ${median(theirCpu).toFixed(2)} s = ${cpuRatio.toFixed(2)}   (${same})`,
  );
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  options.runs = Math.max(options.runs, 5);
  if (spawnSync("nix-store", ["--version"], { stdio: "ignore" }).status !== 0) {
    console.log("nar-dump: skipped, CppNix (nix-store) is not installed");
    return;
  }
  const base = options.keep ?? mkdtempSync(join(tmpdir(), "lading-bench-nar-"));
  const root = join(base, "tree");
  try {
    mkdirSync(base, { recursive: true });
    rmSync(root, { recursive: true, force: true });
    const { files, bytes } = generateTree(root, options.sizeMb);
    // Warm the page cache so both tools read from memory.
    timeShell(`nix-store --dump '${root}' > /dev/null`);
    console.log(`nar-dump: tree of ${files} files, ${(bytes / 1048576).toFixed(0)} MiB, ${options.runs} runs each, medians`);
    measure(
      {
        label: "dump",
        lading: `'${LADING}' store dump '${root}' | sha256sum`,
        cppnix: `nix-store --dump '${root}' | sha256sum`,
      },
      options.runs,
    );
    measure(
      {
        label: "dump>null",
        lading: `'${LADING}' store dump '${root}' > /dev/null; echo done`,
        cppnix: `nix-store --dump '${root}' > /dev/null; echo done`,
      },
      options.runs,
    );
    measure(
      {
        label: "hash",
        lading: `'${LADING}' store hash '${root}'`,
        cppnix: `nix-hash --type sha256 --base32 '${root}'`,
      },
      options.runs,
    );
    // The same work without the CLI's start-up (which loads every command's modules).
    const storeOnly = `import("${STORE_MODULE}").then((m) => console.log(m.narHashAndSize(process.argv[1]).hash.toBase32()))`;
    measure(
      {
        label: "hash/lib",
        lading: `node -e '${storeOnly}' '${root}'`,
        cppnix: `nix-hash --type sha256 --base32 '${root}'`,
      },
      options.runs,
    );
  } finally {
    if (!options.keep) rmSync(base, { recursive: true, force: true });
  }
}

main();
