/**
 * Evaluation speed against CppNix on the same expressions in the same run.
 * Lading is timed in-process (a fresh EvalState per run, so caches do not help);
 * CppNix is timed as `nix-instantiate --eval --strict -E …` minus the median time
 * of `nix-instantiate --eval -E 1` (its start-up). Times are CPU time (user +
 * system: stable on a loaded machine; CppNix's via /usr/bin/time). Prints medians
 * and the ratio lading/CppNix (lower is better).
 *
 *   node --stack-size=50000 dist/bench/eval.js [--runs N]   (a big stack for deep workloads)
 */
import { spawnSync } from "node:child_process";
import { EvalState, evalString, forceDeep, printValue } from "../evaluator/index.js";

const WORKLOADS: { name: string; expr: string }[] = [
  {
    name: "fib 25 (naive recursion on ints)",
    expr: "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 25",
  },
  {
    name: "200k-element list: genList, map, foldl'",
    expr: "builtins.foldl' (a: b: a + b) 0 (map (x: x * 3) (builtins.genList (x: x) 200000))",
  },
  {
    name: "attrset: listToAttrs 5k, 500 // merges, mapAttrs-like rebuild",
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
    name: "fixpoint with 300 overlays (lib-like extends chain)",
    expr: `let
      fix = f: let x = f x; in x;
      extends = o: f: self: let super = f self; in super // o self super;
      base = self: { a = 1; b = self.a + 1; pkgs = builtins.genList (i: { name = "p\${toString i}"; v = i + self.a; }) 2000; };
      overlays = builtins.genList (i: self: super: { "o\${toString i}" = i; a = super.a + 1; b = super.b + self.a; }) 300;
      final = fix (builtins.foldl' (f: o: extends o f) base overlays);
    in [ final.b (builtins.length final.pkgs) (builtins.foldl' (a: p: a + p.v) 0 final.pkgs) ]`,
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeNix(expr: string): { ms: number; out: string } {
  const r = spawnSync("/usr/bin/time", ["-f", "CPU %U %S", "nix-instantiate", "--eval", "--strict", "-E", expr], { encoding: "latin1" });
  if (r.status !== 0) throw new Error(`nix-instantiate failed: ${r.stderr}`);
  const m = /CPU ([0-9.]+) ([0-9.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no timing in ${r.stderr}`);
  return { ms: (Number(m[1]) + Number(m[2])) * 1000, out: r.stdout.trim() };
}

function timeLading(expr: string): { ms: number; out: string } {
  const c0 = process.cpuUsage();
  new EvalState({ readOnly: true });
  const v = evalString(expr, process.cwd());
  forceDeep(v);
  const out = printValue(v);
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, out };
}

function main(): void {
  const args = process.argv.slice(2);
  const runs = args[0] === "--runs" ? Number(args[1]) : 5;
  const startup = median(Array.from({ length: runs }, () => timeNix("1").ms));
  console.log(`CppNix start-up CPU (nix-instantiate --eval -E 1): ${startup.toFixed(1)} ms, subtracted below`);
  console.log("workload".padEnd(64), "lading cpu ms".padStart(14), "CppNix cpu ms".padStart(14), "ratio".padStart(7));
  for (const w of WORKLOADS) {
    timeLading(w.expr); // warm-up (JIT)
    const ours = Array.from({ length: runs }, () => timeLading(w.expr));
    const theirs = Array.from({ length: runs }, () => timeNix(w.expr));
    if (ours[0]!.out !== theirs[0]!.out) throw new Error(`${w.name}: results differ: ${ours[0]!.out} vs ${theirs[0]!.out}`);
    const a = median(ours.map((r) => r.ms));
    const b = Math.max(10, median(theirs.map((r) => r.ms)) - startup); // /usr/bin/time resolution is 10 ms
    console.log(w.name.padEnd(64), a.toFixed(1).padStart(14), b.toFixed(1).padStart(14), (a / b).toFixed(2).padStart(7));
  }
}

main();
