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
 *
 *   node dist/bench/instantiate.js [--runs N]
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

function timeNix(file: string): { ms: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync("nix-instantiate", ["--readonly-mode", file], { encoding: "latin1", maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`nix-instantiate failed: ${r.stderr}`);
  return { ms, out: r.stdout };
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.url).then((m) => {
  const opts = { inputs: [workerData.file], fromArgs: false, attrPaths: [], args: [], eval: false, strict: false,
    output: "plain", includes: [], showTrace: false, readOnly: true, nixPath: "" };
  const run = () => {
    const t0 = performance.now();
    const r = m.instantiateDrvs(opts);
    return { ms: performance.now() - t0, out: r.stdout, err: r.stderr };
  };
  run(); // warm-up
  parentPort.on("message", () => parentPort.postMessage(run()));
  parentPort.postMessage(null);
});`;

interface Run {
  ms: number;
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
  const runs = args[0] === "--runs" ? Number(args[1]) : 5;
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-inst-"));
  try {
    writeFileSync(join(dir, "setup-hook.sh"), "addToSearchPath() { :; }\n");
    const workloads = [
      { name: "2000-package set (callPackage, stdenv, deep shared graph)", file: join(dir, "pkgs.nix"), text: PACKAGE_SET(2000) },
      { name: "300 derivations with large __structuredAttrs (chained)", file: join(dir, "structured.nix"), text: STRUCTURED(300) },
    ];
    const startupMs = median(
      Array.from({ length: runs }, () => {
        const t0 = performance.now();
        spawnSync("nix-instantiate", ["--eval", "-E", "1"]);
        return performance.now() - t0;
      }),
    );
    console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    console.log(`CppNix start-up (nix-instantiate --eval -E 1): ${startupMs.toFixed(1)} ms, subtracted below`);
    console.log("workload".padEnd(64), "lading ms".padStart(10), "CppNix ms".padStart(10), "ratio".padStart(7));
    for (const w of workloads) {
      writeFileSync(w.file, w.text);
    }
    for (const w of workloads) {
      // Alternated (Lading, CppNix, Lading, …) so that load changes hit both sides alike.
      const worker = await ladingWorker(w.file);
      const ours: Run[] = [];
      const theirs: { ms: number; out: string }[] = [];
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
      const drvs = theirs[0]!.out.split("\n").length - 1;
      console.log(`${w.name} [${drvs} printed]`.padEnd(64), a.toFixed(1).padStart(10), b.toFixed(1).padStart(10), (a / b).toFixed(2).padStart(7));
    }
    writing(workloads[0]!.file, dir, Math.min(runs, 3));
    console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LADING = fileURLToPath(new URL("../../bin/lading", import.meta.url));

/** Writing into a fresh store each run, start-up included on both sides. */
function writing(file: string, dir: string, runs: number): void {
  const ours: number[] = [];
  const theirs: number[] = [];
  let oursOut = "";
  let theirsOut = "";
  for (let i = 0; i < runs; i++) {
    const data = join(dir, `lading-data-${i}`);
    let t0 = performance.now();
    const a = spawnSync(LADING, ["instantiate", file], { encoding: "latin1", maxBuffer: 1 << 28, env: { ...process.env, LADING_DATA_DIR: data } });
    ours.push(performance.now() - t0);
    if (a.status !== 0) throw new Error(`lading instantiate failed: ${a.stderr}`);
    oursOut = a.stdout;
    const root = join(dir, `nix-root-${i}`);
    t0 = performance.now();
    const b = spawnSync("nix-instantiate", ["--store", root, file], { encoding: "latin1", maxBuffer: 1 << 28 });
    theirs.push(performance.now() - t0);
    if (b.status !== 0) throw new Error(`nix-instantiate failed: ${b.stderr}`);
    theirsOut = b.stdout;
    rmSync(data, { recursive: true, force: true });
    spawnSync("chmod", ["-R", "u+w", root]);
    rmSync(root, { recursive: true, force: true });
  }
  if (oursOut !== theirsOut) throw new Error("writing: .drv paths differ");
  const a = median(ours);
  const b = median(theirs);
  const name = `same set written into a fresh store (processes, ${oursOut.split("\n").length - 1} printed)`;
  console.log(name.padEnd(64), a.toFixed(1).padStart(10), b.toFixed(1).padStart(10), (a / b).toFixed(2).padStart(7));
}

await main();
