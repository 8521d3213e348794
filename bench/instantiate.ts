/**
 * Instantiation speed against CppNix in the same run: synthetic package sets
 * (a stdenv from a bootstrap derivation, mkDerivation with a setup hook source,
 * ~2000 packages over a deep shared dependency graph; and derivations with large
 * `__structuredAttrs`) printed as .drv paths by `nix-instantiate --readonly-mode`
 * and by Lading. Lading runs in a worker with a big stack (as `lading instantiate`
 * does), a fresh EvalState per run after one warm-up; CppNix's time has its start-up
 * (`-E 1`) subtracted. Runs alternate between the two; prints medians, the ratio
 * lading/CppNix (lower is better) and the load average.
 *
 * Then the same package set written into a fresh store, as whole processes:
 * `lading instantiate` into an empty LADING_DATA_DIR against `nix-instantiate
 * --store DIR` (a fresh chroot store): evaluation, .drv files and registration.
 * CPU times (GNU time for processes, process.cpuUsage for the worker) are printed
 * beside wall times: on a loaded machine they compare better.
 *
 *   node dist/bench/instantiate.js [--runs N] [--no-writing]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";

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

/** A command's wall time and CPU time (user + system, from GNU time), and its output. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; cpuMs: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", cmd, ...args], { encoding: "latin1", maxBuffer: 1 << 28, env });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [user, sys] = r.stderr.trimEnd().split("\n").pop()!.split(" ").map(Number);
  return { ms, cpuMs: (user! + sys!) * 1000, out: r.stdout };
}

function timeNix(file: string): { ms: number; cpuMs: number; out: string } {
  return timed("nix-instantiate", ["--readonly-mode", file]);
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.url).then((m) => {
  const opts = { inputs: [workerData.file], fromArgs: false, attrPaths: [], args: [], eval: false, strict: false,
    output: "plain", includes: [], showTrace: false, readOnly: true, nixPath: "" };
  const run = () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = m.instantiateDrvs(opts);
    const c = process.cpuUsage(c0);
    return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, out: r.stdout, err: r.stderr };
  };
  run(); // warm-up
  parentPort.on("message", () => parentPort.postMessage(run()));
  parentPort.postMessage(null);
});`;

interface Run {
  ms: number;
  /** CPU time of the whole process (all threads: GC helpers count). */
  cpuMs: number;
  out: string;
  err: string;
}

/** A big-stack worker that has run one warm-up instantiation of `file`; `next()` times one more. */
async function ladingWorker(file: string): Promise<{ next: () => Promise<Run>; close: () => Promise<number> }> {
  const url = new URL("../evaluator/index.js", import.meta.url).href;
  const w = new Worker(WORKER, { eval: true, workerData: { url, file }, resourceLimits: { stackSizeMb: 1024 } });
  const replies: ((r: Run | null) => void)[] = [];
  w.on("message", (r: Run | null) => replies.shift()?.(r));
  const reply = (): Promise<Run | null> =>
    new Promise((resolve, reject) => {
      replies.push(resolve);
      w.once("error", reject);
    });
  await reply();
  return {
    next: async () => {
      const r = reply();
      w.postMessage("run");
      return (await r)!;
    },
    close: () => w.terminate(),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-inst-"));
  try {
    writeFileSync(join(dir, "setup-hook.sh"), "addToSearchPath() { :; }\n");
    const workloads = [
      { name: "2000-package set (callPackage, stdenv, deep shared graph)", file: join(dir, "pkgs.nix"), text: PACKAGE_SET(2000) },
      { name: "300 derivations with large __structuredAttrs (chained)", file: join(dir, "structured.nix"), text: STRUCTURED(300) },
    ];
    const startup = Array.from({ length: runs }, () => timed("nix-instantiate", ["--eval", "-E", "1"]));
    const startupMs = median(startup.map((r) => r.ms));
    const startupCpuMs = median(startup.map((r) => r.cpuMs));
    console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    console.log(`CppNix start-up (nix-instantiate --eval -E 1): ${startupMs.toFixed(1)} ms wall, ${startupCpuMs.toFixed(0)} ms CPU, subtracted below`);
    console.log("Wall time is what users see; CPU time (all threads) varies less with the machine's load.");
    console.log(
      "workload".padEnd(64),
      ["lading ms", "CppNix ms", "ratio", "lading CPU", "CppNix CPU", "CPU ratio"].map((h) => h.padStart(10)).join(" "),
    );
    for (const w of workloads) {
      writeFileSync(w.file, w.text);
    }
    for (const w of workloads) {
      // Alternated (Lading, CppNix, Lading, …) so that load changes hit both sides alike.
      const worker = await ladingWorker(w.file);
      const ours: Run[] = [];
      const theirs: { ms: number; cpuMs: number; out: string }[] = [];
      try {
        for (let i = 0; i < runs; i++) {
          ours.push(await worker.next());
          theirs.push(timeNix(w.file));
        }
      } finally {
        await worker.close();
      }
      if (ours[0]!.out !== theirs[0]!.out) {
        throw new Error(`${w.name}: .drv paths differ (${ours[0]!.err.slice(0, 300)})`);
      }
      const a = median(ours.map((r) => r.ms));
      const b = Math.max(1, median(theirs.map((r) => r.ms)) - startupMs);
      const ac = median(ours.map((r) => r.cpuMs));
      const bc = Math.max(1, median(theirs.map((r) => r.cpuMs)) - startupCpuMs);
      const drvs = theirs[0]!.out.split("\n").length - 1;
      const cells = [a.toFixed(1), b.toFixed(1), (a / b).toFixed(2), ac.toFixed(0), bc.toFixed(0), (ac / bc).toFixed(2)];
      console.log(`${w.name} [${drvs} printed]`.padEnd(64), cells.map((c) => c.padStart(10)).join(" "));
    }
    if (!args.includes("--no-writing")) writing(workloads[0]!.file, dir, Math.min(runs, 3));
    console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LADING = fileURLToPath(new URL("../../bin/lading", import.meta.url));

/** Writing into a fresh store each run, start-up included on both sides. */
function writing(file: string, dir: string, runs: number): void {
  const ours: { ms: number; cpuMs: number }[] = [];
  const theirs: { ms: number; cpuMs: number }[] = [];
  let oursOut = "";
  let theirsOut = "";
  for (let i = 0; i < runs; i++) {
    const data = join(dir, `lading-data-${i}`);
    const a = timed(LADING, ["instantiate", file], { ...process.env, LADING_DATA_DIR: data });
    ours.push(a);
    oursOut = a.out;
    const root = join(dir, `nix-root-${i}`);
    const b = timed("nix-instantiate", ["--store", root, file]);
    theirs.push(b);
    theirsOut = b.out;
    rmSync(data, { recursive: true, force: true });
    spawnSync("chmod", ["-R", "u+w", root]);
    rmSync(root, { recursive: true, force: true });
  }
  if (oursOut !== theirsOut) throw new Error("writing: .drv paths differ");
  const a = median(ours.map((r) => r.ms));
  const b = median(theirs.map((r) => r.ms));
  const ac = median(ours.map((r) => r.cpuMs));
  const bc = median(theirs.map((r) => r.cpuMs));
  const name = `same set written into a fresh store (processes, ${oursOut.split("\n").length - 1} printed)`;
  const cells = [a.toFixed(1), b.toFixed(1), (a / b).toFixed(2), ac.toFixed(0), bc.toFixed(0), (ac / bc).toFixed(2)];
  console.log(name.padEnd(64), cells.map((c) => c.padStart(10)).join(" "));
}

await main();
