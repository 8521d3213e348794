/**
 * Instantiation speed against CppNix, side by side in the same run on the same
 * files: a synthetic package set (a stdenv from a bootstrap derivation, mkDerivation
 * with a setup hook source, 2000 packages over a deep shared dependency graph) and
 * 300 chained derivations with large `__structuredAttrs`, printed as .drv paths by
 * `nix-instantiate --readonly-mode` and by Lading (checked equal); then the package
 * set written into a fresh store (`lading instantiate` into an empty LADING_DATA_DIR
 * against `nix-instantiate --store DIR`, a fresh chroot store: evaluation, .drv
 * files and registration). Lading and CppNix runs alternate. Times are CPU times
 * (user + system, all threads: Lading's GC and JIT threads count) unless "wall".
 *
 * Columns (medians; ratios are lading/CppNix, lower is better):
 *   warm   (three runs per round in the read-only rows) Lading in a worker of this process with the registry server's
 *          evaluation-worker limits (1 GiB stack, 64 MiB young generation), a warm
 *          JIT (runs first until 1.5 s of CPU, as bench/eval) and a fresh EvalState per run (process.cpuUsage
 *          around the call; the fresh-store row opens a new LocalStore, stages and
 *          commits as `lading instantiate` does) vs CppNix's eval CPU below
 *   eval   CPU of the command minus each tool's own start-up (`lading instantiate
 *          --eval` of a file `1`, `nix-instantiate --eval -E 1`): Lading's from GNU
 *          time (user + sys, 10 ms steps); CppNix's user time from NIX_SHOW_STATS=1's
 *          cpuTime (µs steps) plus GNU time's sys
 *   CLI    whole commands under GNU time: CPU, and wall time (what users wait)
 *
 *   node dist/bench/instantiate.js [--runs N] [--no-writing]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const PACKAGE_SET = (count: number): string => `
let
  bootstrap = derivation {
    name = "bootstrap-tools"; system = "x86_64-linux"; builder = "/bin/sh";
    args = [ "-c" "unpack" ]; src = ./setup-hook.sh;
  };
  stdenv = rec {
    shell = "\${bootstrap}/bin/bash";
    mkDerivation = { name, buildInputs ? [ ], ... } @ attrs: derivation (removeAttrs attrs [ "meta" ] // {
      system = "x86_64-linux";
      builder = shell;
      args = [ "-e" ./setup-hook.sh ];
      stdenv = bootstrap;
      inherit buildInputs;
      outputs = [ "out" "dev" ];
    });
  };
  callPackage = fn: args: fn ({ inherit stdenv; } // args);
  depsOf = i: if i == 0 then [ ] else
    let a = i * 2654435761 / 7; in [ (i - 1) (i / 2) (a - (a / i) * i) ];
  mkPkg = i: callPackage ({ stdenv, deps }: stdenv.mkDerivation {
    name = "pkg\${toString i}-1.\${toString i}";
    buildInputs = deps;
    propagatedBuildInputs = builtins.filter (d: d != null) [ (if deps == [ ] then null else (builtins.head deps).dev) ];
    configureFlags = [ "--enable-x" "--with-n=\${toString i}" ];
    meta = { description = "package \${toString i}"; };
  }) { deps = map (j: pkgs."p\${toString j}") (depsOf i); };
  pkgs = builtins.listToAttrs (builtins.genList (i: { name = "p\${toString i}"; value = mkPkg i; }) ${count});
in pkgs
`;

const STRUCTURED = (count: number): string => `
let
  big = i: builtins.genList (j: { index = j; name = "item-\${toString j}"; weight = j * i; flag = j / 2 * 2 == j; ratio = 0.5; }) 300;
  mk = i: prev: derivation {
    name = "structured-\${toString i}"; system = "x86_64-linux"; builder = "/bin/sh";
    __structuredAttrs = true;
    data = { items = big i; nested = { deps = if prev == null then [ ] else [ prev ]; text = "x\\ny\\t\\"z\\""; }; };
  };
  chain = builtins.genList (i: i) ${count};
  all = builtins.foldl' (acc: i: acc ++ [ (mk i (if acc == [ ] then null else builtins.elemAt acc (builtins.length acc - 1))) ]) [ ] chain;
in all
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const LADING = fileURLToPath(new URL("../../bin/lading", import.meta.url));

/** One command's wall and CPU time (GNU time), CppNix's own cpuTime when asked for (NIX_SHOW_STATS), and its stdout. */
interface Timed {
  wallMs: number;
  cpuMs: number;
  /** CppNix only: NIX_SHOW_STATS's cpuTime (user time, µs steps) plus GNU time's sys, in ms; else NaN. */
  statsCpuMs: number;
  out: string;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S", cmd, ...args], { encoding: "latin1", maxBuffer: 1 << 28, env });
  const m = /TIME ([0-9.]+) ([0-9.]+) ([0-9.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr.slice(0, 2000)}`);
  const stats = /"cpuTime": *([0-9.e-]+)/.exec(r.stderr);
  return {
    wallMs: Number(m[1]) * 1000,
    cpuMs: (Number(m[2]) + Number(m[3])) * 1000,
    statsCpuMs: stats ? (Number(stats[1]) + Number(m[3])) * 1000 : NaN,
    out: r.stdout,
  };
}

const NIX_STATS = { ...process.env, NIX_SHOW_STATS: "1" };

// --- warm: a worker like the registry server's evaluation worker ---

/** server/image-service/eval-worker.ts's limits (the CLI's worker has a 1 GiB stack). */
const WORKER_LIMITS = { stackSizeMb: 1024, maxYoungGenerationSizeMb: 64 };

interface WarmJob {
  file: string;
  /** Write into a fresh store under this directory each run (else --readonly-mode). */
  storeParent?: string;
}

/** Warm runs timed per round of the read-only rows (one CLI run each per round). */
const WARM_PER_ROUND = 3;

/** CPU time spent on warm-up runs before timed ones. */
const WARM_UP_MS = 1500;

interface WarmRun {
  cpuMs: number;
  out: string;
  err: string;
}

async function warmWorkerMain(job: WarmJob): Promise<void> {
  const evaluator = await import("../evaluator/index.js");
  const { parseInstantiateArgs } = await import("../cli/commands/instantiate.js");
  const { instantiateIntoStore } = await import("../cli/commands/instantiate-drv-store.js");
  const { LocalStore } = await import("../builder/index.js");
  // The staging evaluation runs on this thread (it has the big stack), not in one more worker.
  process.env.LADING_EVAL_IN_MAIN = "1";
  let n = 0;
  const run = async (): Promise<WarmRun> => {
    if (job.storeParent === undefined) {
      const c0 = process.cpuUsage();
      const r = evaluator.instantiateDrvs({ ...parseInstantiateArgs(["--readonly-mode", job.file]), nixPath: "" });
      const c = process.cpuUsage(c0);
      return { cpuMs: (c.user + c.system) / 1000, out: r.stdout, err: r.stderr };
    }
    const dataDir = join(job.storeParent, `warm-${n++}`);
    const c0 = process.cpuUsage();
    const store = await LocalStore.open({ root: join(dataDir, "store") });
    let r;
    try {
      r = (await instantiateIntoStore(store, dataDir, { ...parseInstantiateArgs([job.file]), nixPath: "" })).result;
    } finally {
      await store.close();
    }
    const c = process.cpuUsage(c0);
    rmSync(dataDir, { recursive: true, force: true });
    return { cpuMs: (c.user + c.system) / 1000, out: r.stdout, err: r.stderr };
  };
  // Warm-up as bench/eval's: at least 1.5 s of CPU (two runs of the package set left
  // its code partly unoptimised).
  let warmUpMs = 0;
  do warmUpMs += (await run()).cpuMs;
  while (warmUpMs < WARM_UP_MS);
  parentPort!.on("message", () => void run().then((r) => parentPort!.postMessage(r)));
  parentPort!.postMessage(null);
}

/** A worker that has done its warm-up runs of `job`; `next()` times one more. */
async function warmWorker(job: WarmJob): Promise<{ next: () => Promise<WarmRun>; close: () => Promise<number> }> {
  const w = new Worker(new URL(import.meta.url), { workerData: job, resourceLimits: WORKER_LIMITS });
  const replies: ((r: WarmRun | null) => void)[] = [];
  let failure: unknown;
  w.on("message", (r: WarmRun | null) => replies.shift()?.(r));
  w.on("error", (err) => {
    failure = err;
    for (const reply of replies.splice(0)) reply(null);
  });
  const reply = (): Promise<WarmRun | null> => new Promise((resolve) => replies.push(resolve));
  const check = (r: WarmRun | null): WarmRun => {
    if (r === null) throw failure instanceof Error ? failure : new Error("warm worker failed");
    return r;
  };
  if ((await reply()) === null && failure !== undefined) throw failure;
  return {
    next: async () => {
      const r = reply();
      w.postMessage("run");
      return check(await r);
    },
    close: () => w.terminate(),
  };
}

// --- the table ---

interface Row {
  name: string;
  warm: number[];
  ladingCli: Timed[];
  nixCli: Timed[];
}

const HEAD = ["warm ms", "nix eval", "warm", "eval ms", "eval", "CLI ms", "nix CLI", "CLI", "CLI wall"];

function printRow(r: Row, startup: { lading: number; nix: number }): void {
  const nixEval = Math.max(1, median(r.nixCli.map((t) => t.statsCpuMs)) - startup.nix);
  const warm = median(r.warm);
  const ladingEval = Math.max(1, median(r.ladingCli.map((t) => t.cpuMs)) - startup.lading);
  const cli = median(r.ladingCli.map((t) => t.cpuMs));
  const nixCli = median(r.nixCli.map((t) => t.cpuMs));
  const wall = median(r.ladingCli.map((t) => t.wallMs)) / median(r.nixCli.map((t) => t.wallMs));
  const cells = [
    warm.toFixed(0),
    nixEval.toFixed(0),
    (warm / nixEval).toFixed(2),
    ladingEval.toFixed(0),
    (ladingEval / nixEval).toFixed(2),
    cli.toFixed(0),
    nixCli.toFixed(0),
    (cli / nixCli).toFixed(2),
    wall.toFixed(2),
  ];
  console.log(r.name.padEnd(50), cells.map((c) => c.padStart(8)).join(" "));
}

function sameOutput(name: string, ours: string, theirs: string): void {
  if (ours !== theirs) throw new Error(`${name}: .drv paths differ:\n${ours.slice(0, 300)}\n--- CppNix:\n${theirs.slice(0, 300)}`);
}

async function readOnlyRow(name: string, file: string, runs: number): Promise<Row> {
  const worker = await warmWorker({ file });
  const row: Row = { name, warm: [], ladingCli: [], nixCli: [] };
  try {
    for (let i = 0; i < runs; i++) {
      // Warm runs are cheap and noisier than the CLI under load: several per round.
      let w = await worker.next();
      row.warm.push(w.cpuMs);
      for (let k = 1; k < WARM_PER_ROUND; k++) {
        w = await worker.next();
        row.warm.push(w.cpuMs);
      }
      row.ladingCli.push(timed(LADING, ["instantiate", "--readonly-mode", file]));
      row.nixCli.push(timed("nix-instantiate", ["--readonly-mode", file], NIX_STATS));
      sameOutput(name + " (warm)", w.out, row.nixCli[i]!.out);
      sameOutput(name + " (CLI)", row.ladingCli[i]!.out, row.nixCli[i]!.out);
    }
  } finally {
    await worker.close();
  }
  return row;
}

/** The set written into a fresh store each run, by both tools. */
async function writingRow(name: string, file: string, dir: string, runs: number): Promise<Row> {
  const worker = await warmWorker({ file, storeParent: dir });
  const row: Row = { name, warm: [], ladingCli: [], nixCli: [] };
  try {
    for (let i = 0; i < runs; i++) {
      const w = await worker.next();
      row.warm.push(w.cpuMs);
      const data = join(dir, `lading-data-${i}`);
      row.ladingCli.push(timed(LADING, ["instantiate", file], { ...process.env, LADING_DATA_DIR: data }));
      const root = join(dir, `nix-root-${i}`);
      row.nixCli.push(timed("nix-instantiate", ["--store", root, file], NIX_STATS));
      sameOutput(name + " (warm)", w.out, row.nixCli[i]!.out);
      sameOutput(name + " (CLI)", row.ladingCli[i]!.out, row.nixCli[i]!.out);
      rmSync(data, { recursive: true, force: true });
      spawnSync("chmod", ["-R", "u+w", root]);
      rmSync(root, { recursive: true, force: true });
    }
  } finally {
    await worker.close();
  }
  return row;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-inst-"));
  try {
    writeFileSync(join(dir, "setup-hook.sh"), "addToSearchPath() { :; }\n");
    const pkgs = join(dir, "pkgs.nix");
    const structured = join(dir, "structured.nix");
    const one = join(dir, "one.nix");
    writeFileSync(pkgs, PACKAGE_SET(2000));
    writeFileSync(structured, STRUCTURED(300));
    writeFileSync(one, "1");
    console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    const ladingStart: Timed[] = [];
    const nixStart: Timed[] = [];
    for (let i = 0; i < runs; i++) {
      ladingStart.push(timed(LADING, ["instantiate", "--eval", one]));
      nixStart.push(timed("nix-instantiate", ["--eval", "-E", "1"], NIX_STATS));
    }
    const startup = { lading: median(ladingStart.map((t) => t.cpuMs)), nix: median(nixStart.map((t) => t.statsCpuMs)) };
    console.log(`start-up CPU subtracted for "eval": lading ${startup.lading.toFixed(0)} ms, CppNix ${startup.nix.toFixed(1)} ms`);
    console.log("workload".padEnd(50), HEAD.map((h) => h.padStart(8)).join(" "));
    printRow(await readOnlyRow("2000-package set --readonly-mode", pkgs, runs), startup);
    printRow(await readOnlyRow("300 large __structuredAttrs --readonly-mode", structured, runs), startup);
    if (!args.includes("--no-writing")) {
      printRow(await writingRow("2000-package set into a fresh store", pkgs, dir, Math.min(runs, 3)), startup);
    }
    console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) await main();
else await warmWorkerMain(workerData as WarmJob);
