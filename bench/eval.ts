/**
 * Evaluation speed and memory against CppNix, side by side in the same run on the
 * same files: each workload is a .nix file evaluated by `lading instantiate --eval
 * --strict FILE` and by `nix-instantiate --eval --strict FILE`, alternately.
 * Results must be equal (stdout of both CLIs, and the in-process result).
 *
 * How each column is computed (every time is CPU = user + system, the median of
 * `--runs` runs; on this shared 2-core machine wall times vary several-fold with
 * the load, CPU times much less; Lading's include its GC and JIT threads):
 *   lading ms / CppNix ms  each CLI process's CPU time, from the rusage the kernel
 *          reports at exit (wait4, µs resolution: timed-rusage.ts). Without
 *          python3 it falls back to /usr/bin/time (10 ms resolution), said in
 *          the output.
 *   total  lading ms / CppNix ms: end to end, start-up included
 *   eval   (lading ms − Lading's start-up) / (CppNix ms − CppNix's start-up),
 *          start-up being the median CPU of `--eval` of the file `1` (measured
 *          with at least 9 runs); each difference at least 1 ms
 *   warm ms  Lading in this process with a warm JIT and a fresh EvalState per
 *          run, as the long-running registry server evaluates (process.cpuUsage
 *          around evalFile + forceDeep + printValue; median of max(runs, 9) runs
 *          after warm-up runs totalling at least 1.5 s of CPU, at least 3)
 *   warm   warm ms / CppNix's eval time (the denominator of `eval`): CppNix has
 *          no warm mode, its per-process start-up is what is subtracted
 *   w+parse  as warm, but every run parses and compiles the files again (the
 *          server keeps parsed files across evaluations; CppNix's eval time
 *          includes parsing them): median of max(runs, 9) such runs / CppNix's
 *          eval time
 *   rss    peak resident set size of the CLI processes (max over the runs)
 * With /tmp/nixlib (nixpkgs.lib, see bench/README or the evaluator notes) it also
 * runs nixpkgs lib workloads.
 *
 *   node dist/bench/eval.js [--runs N] [--only SUBSTRING]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { EvalState, dropParsedFiles, evalFile, forceDeep, printValue } from "../evaluator/index.js";
import { timed, type TimedRun as Run } from "./timed-process.js";
import { haveRusageHelper, timedRusage } from "./timed-rusage.js";
import { nixpkgsLib } from "./nixpkgs-lib.js";

const LADING = fileURLToPath(new URL("../../bin/lading", import.meta.url));

interface Workload {
  readonly name: string;
  /** Nix source of the file to evaluate. */
  readonly expr: string;
}

const SYNTHETIC: Workload[] = [
  {
    name: "fib 25 (naive recursion on ints)",
    expr: "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 25",
  },
  {
    name: "deep recursion: sum 1..10000, not a tail call",
    expr: "let sum = n: if n == 0 then 0 else n + sum (n - 1); in sum 10000",
  },
  {
    name: "200k-element list: genList, map, foldl'",
    expr: "builtins.foldl' (a: b: a + b) 0 (map (x: x * 3) (builtins.genList (x: x) 200000))",
  },
  {
    name: "foldl' over 1M ints (strict accumulator)",
    expr: "builtins.foldl' (acc: x: acc + x) 0 (builtins.genList (x: x) 1000000)",
  },
  {
    name: "attrset: listToAttrs 5k, 500 // merges, rebuild",
    expr: `let
      inherit (builtins) genList listToAttrs attrNames foldl';
      names = genList (i: "k\${toString i}") 5000;
      set = listToAttrs (map (k: { name = k; value = 1; }) names);
      merged = foldl' (acc: i: acc // { "x\${toString (i - (i / 100) * 100)}" = i; }) set (genList (x: x) 500);
      mapA = f: s: listToAttrs (map (k: { name = k; value = f k s.\${k}; }) (attrNames s));
      r = mapA (k: v: v + 1) merged;
    in foldl' (a: k: a + r.\${k}) 0 (attrNames r)`,
  },
  {
    name: "large merges: 200 × (2k-attr set // 2k-attr set)",
    expr: `let
      inherit (builtins) genList listToAttrs foldl' attrNames length;
      mk = p: listToAttrs (genList (i: { name = "\${p}\${toString i}"; value = i; }) 2000);
      a = mk "a"; b = mk "b";
    in foldl' (n: i: n + length (attrNames ((if i / 2 * 2 == i then a else b) // (mk "c")))) 0 (genList (x: x) 200)`,
  },
  {
    name: "fixpoint: 1500 overlays over 20k packages",
    expr: `let
      fix = f: let x = f x; in x;
      extends = o: f: self: let super = f self; in super // o self super;
      base = self: { a = 1; b = self.a + 1; pkgs = builtins.genList (i: { name = "p\${toString i}"; v = i + self.a; }) 20000; };
      overlays = builtins.genList (i: self: super: { "o\${toString i}" = i; a = super.a + 1; b = super.b + self.a; }) 1500;
      final = fix (builtins.foldl' (f: o: extends o f) base overlays);
    in [ final.b (builtins.length final.pkgs) (builtins.foldl' (a: p: a + p.v) 0 final.pkgs) ]`,
  },
  {
    name: "string building: 20k appends + concatStringsSep of 100k",
    expr: `let
      inherit (builtins) foldl' genList concatStringsSep stringLength;
      s = foldl' (acc: i: acc + "ab") "" (genList (x: x) 20000);
      t = concatStringsSep "," (genList toString 100000);
    in stringLength s + stringLength t + stringLength "\${s}\${t}"`,
  },
  {
    name: "genericClosure over 50k keys",
    expr: `builtins.length (builtins.genericClosure {
      startSet = [ { key = 0; } ];
      operator = x: if x.key >= 50000 then [ ] else [ { key = x.key + 1; } { key = (x.key * 7) - (x.key * 7) / 50000 * 50000; } ];
    })`,
  },
];

/** nixpkgs lib workloads (CppNix 2.8 evaluates these files of current nixpkgs lib). */
function nixlibWorkloads(): Workload[] {
  const NIXLIB = nixpkgsLib();
  if (NIXLIB === undefined) return [];
  return [
    { name: "nixpkgs lib: tests/systems.nix", expr: `import ${NIXLIB}/tests/systems.nix` },
    { name: "nixpkgs lib: tests/fetchers.nix", expr: `import ${NIXLIB}/tests/fetchers.nix` },
    {
      name: "nixpkgs lib: evalModules with 300 options",
      expr: `let
        lib = import ${NIXLIB};
        opts = lib.genAttrs (map (i: "o\${toString i}") (lib.range 1 300)) (n: lib.mkOption { type = lib.types.int; default = 1; });
        r = lib.evalModules { modules = [ { options = opts; } { config = lib.mapAttrs (n: v: lib.mkForce 2) opts; } ]; };
      in lib.foldl' (a: n: a + r.config.\${n}) 0 (lib.attrNames opts)`,
    },
    {
      name: "nixpkgs lib: 300 submodules (attrsOf submodule, defaults, mkForce)",
      expr: `let
        lib = import ${NIXLIB};
        inherit (lib) mkOption types;
        service = { name, config, ... }: {
          options = {
            enable = mkOption { type = types.bool; default = false; };
            port = mkOption { type = types.port; default = 80; };
            user = mkOption { type = types.str; default = name; };
            args = mkOption { type = types.listOf types.str; default = [ ]; };
            env = mkOption { type = types.attrsOf types.str; default = { }; };
            command = mkOption { type = types.str; };
          };
          config.command = "\${config.user} --port \${toString config.port} \${lib.concatStringsSep " " config.args}";
        };
        names = map (i: "s\${toString i}") (lib.range 1 300);
        r = lib.evalModules {
          modules = [
            { options.services = mkOption { type = types.attrsOf (types.submodule service); default = { }; }; }
            { config.services = lib.genAttrs names (n: { enable = true; args = [ "-v" n ]; env.HOME = "/home/\${n}"; }); }
            { config.services = lib.genAttrs names (n: { port = lib.mkForce 8080; }); }
          ];
        };
      in lib.foldl' (a: n: a + builtins.stringLength r.config.services.\${n}.command) 0 names`,
    },
    {
      name: "nixpkgs lib: strings/lists/attrsets helpers",
      expr: `let lib = import ${NIXLIB}; in [
        (lib.concatMapStringsSep "," toString (lib.range 1 20000))
        (lib.length (lib.unique (map (i: lib.mod i 1000) (lib.range 1 5000))))
        (lib.attrNames (lib.recursiveUpdate (lib.genAttrs (map toString (lib.range 1 2000)) (n: { a = n; })) { "5" = { b = 1; }; }))
        (lib.toposort (a: b: a < b) (lib.reverseList (lib.range 1 300))).result
      ]`,
    },
  ];
}


// bin/lading itself (its shell part sets the stack and GC flags users get), not `node bin/lading`.
const PRECISE = haveRusageHelper();
const run = (cmd: string, args: string[]): Run => (PRECISE ? timedRusage(cmd, args) : timed(cmd, args));
const lading = (file: string): Run => run(LADING, ["instantiate", "--eval", "--strict", file]);
const cppnix = (file: string): Run => run("nix-instantiate", ["--eval", "--strict", file]);

/** Median CPU times of `file` in this process, warm and warm with parsing (see the columns above); NaN when the JS stack is too small (see warmMsDeep). */
interface Warm {
  readonly warm: number;
  readonly withParse: number;
}

function warmMs(file: string, runs: number, expected: string): Warm {
  const once = (): number => {
    const c0 = process.cpuUsage();
    new EvalState({ readOnly: true });
    const v = forceDeep(evalFile(file));
    const out = printValue(v);
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    if (out !== expected) throw new Error(`${file}: in-process result differs: ${out.slice(0, 200)}`);
    return ms;
  };
  let spent: number;
  try {
    spent = once();
  } catch (err) {
    // This process has node's default stack; bin/lading raises it (deep recursion).
    if (err instanceof RangeError) return { warm: NaN, withParse: NaN };
    throw err;
  }
  // A warm JIT, as in a server that has been evaluating for a while: V8 optimises a
  // function after enough calls, so short workloads need many runs to get there.
  for (let i = 1; i < WARMUP_RUNS.max && (i < WARMUP_RUNS.min || spent < WARMUP_CPU_MS); i++) spent += once();
  const warm = median(Array.from({ length: Math.max(runs, 9) }, once));
  const withParse = median(
    Array.from({ length: Math.max(runs, 9) }, () => {
      dropParsedFiles();
      return once();
    }),
  );
  return { warm, withParse };
}

/** Warm-up before the measured in-process runs: at least `min` runs and WARMUP_CPU_MS of CPU, at most `max` runs. */
const WARMUP_RUNS = { min: 3, max: 200 };
const WARMUP_CPU_MS = 1500;

/** Stack of the worker that measures deep recursion (as the evaluator's own big-stack worker). */
const DEEP_STACK_MB = 256;

/**
 * warmMs in a worker thread with a big stack, for workloads too deep for this
 * process's default one (the server evaluates those in such a worker too).
 * process.cpuUsage counts the whole process; the main thread waits meanwhile.
 */
function warmMsDeep(file: string, runs: number, expected: string): Promise<Warm> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), {
      workerData: { file, runs, expected },
      resourceLimits: { stackSizeMb: DEEP_STACK_MB },
    });
    w.once("message", (ms: Warm) => resolve(ms));
    w.once("error", reject);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 5;
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1]! : "";
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-eval-"));
  console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  console.log(PRECISE ? "CLI CPU times from wait4 rusage (µs)" : "CLI CPU times from /usr/bin/time (10 ms resolution: python3 missing)");
  try {
    const file = (name: string, expr: string): string => {
      const p = join(dir, name.replace(/[^a-z0-9]+/gi, "-") + ".nix");
      writeFileSync(p, expr);
      return p;
    };
    const one = file("startup", "1");
    const oursStart: Run[] = [];
    const theirsStart: Run[] = [];
    for (let i = 0; i < Math.max(runs, 9); i++) {
      oursStart.push(lading(one));
      theirsStart.push(cppnix(one));
    }
    const ls = median(oursStart.map((r) => r.cpuMs));
    const ns = median(theirsStart.map((r) => r.cpuMs));
    const head = ["workload".padEnd(54), "lading ms", "CppNix ms", "total", "eval", "Nix eval", "warm ms", "warm", "w+parse", "lading MB", "CppNix MB", "rss"];
    console.log(head.map((h, i) => (i === 0 ? h : h.padStart(9))).join(" "));
    const row = (name: string, a: Run[], b: Run[], evalRatio: string, nixEval: string, warm: string, warmRatio: string, parseRatio: string): void => {
      const wa = median(a.map((r) => r.cpuMs));
      const wb = median(b.map((r) => r.cpuMs));
      const ra = Math.max(...a.map((r) => r.rssKb)) / 1024;
      const rb = Math.max(...b.map((r) => r.rssKb)) / 1024;
      const cells = [wa.toFixed(0), wb.toFixed(0), (wa / wb).toFixed(2), evalRatio, nixEval, warm, warmRatio, parseRatio, ra.toFixed(0), rb.toFixed(0), (ra / rb).toFixed(2)];
      console.log(name.padEnd(54), cells.map((c) => c.padStart(9)).join(" "));
    };
    row("start-up: --eval -E 1 (time to first result)", oursStart, theirsStart, "-", "-", "-", "-", "-");
    for (const w of [...SYNTHETIC, ...nixlibWorkloads()]) {
      if (only !== "" && !w.name.includes(only)) continue;
      const p = file(w.name, w.expr);
      const ours: Run[] = [];
      const theirs: Run[] = [];
      for (let i = 0; i < runs; i++) {
        ours.push(lading(p));
        theirs.push(cppnix(p));
      }
      if (ours[0]!.out !== theirs[0]!.out) {
        throw new Error(`${w.name}: results differ:\n${ours[0]!.out.slice(0, 300)}\n${theirs[0]!.out.slice(0, 300)}`);
      }
      // Start-up subtracted; at least the timer's resolution.
      const floor = PRECISE ? 1 : 10;
      const ea = Math.max(floor, median(ours.map((r) => r.cpuMs)) - ls);
      const eb = Math.max(floor, median(theirs.map((r) => r.cpuMs)) - ns);
      let timing = warmMs(p, runs, ours[0]!.out);
      let mark = "";
      if (Number.isNaN(timing.warm)) {
        timing = await warmMsDeep(p, runs, ours[0]!.out);
        mark = "*";
      }
      const warmCells: [string, string, string] = Number.isNaN(timing.warm)
        ? ["stack", "-", "-"]
        : [timing.warm.toFixed(0) + mark, (Math.max(timing.warm, 1) / eb).toFixed(2), (Math.max(timing.withParse, 1) / eb).toFixed(2)];
      row(w.name, ours, theirs, (ea / eb).toFixed(2), eb.toFixed(1), ...warmCells);
    }
    console.log("* warm in a worker with a " + DEEP_STACK_MB + " MB stack (too deep for this process's default stack)");
    console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) await main();
else {
  const { file, runs, expected } = workerData as { file: string; runs: number; expected: string };
  parentPort!.postMessage(warmMs(file, runs, expected));
}
