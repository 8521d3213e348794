/**
 * Parse speed against CppNix on the same generated file in the same run: a
 * synthetic all-packages-like package set with lib-like functions (~50k lines by
 * default). Lading is timed in-process (`parse` on the file text; and `parse` +
 * `showExpr`, which is what `nix-instantiate --parse` does); CppNix as
 * `nix-instantiate --parse FILE` (parse, variable binding, printing) and
 * `nix-instantiate --eval FILE` (parse and variable binding; the file is a function,
 * so evaluation stops at once), each minus the median of the same command on
 * `-E 1` (start-up). Like-for-like ratios: "parse / CppNix --eval" and
 * "parse+print / CppNix --parse"; lading/CppNix, lower is better.
 *
 * Both wall time and CPU time (user+system, via process.cpuUsage and
 * /usr/bin/time for CppNix) are reported: on a loaded machine CPU time is the
 * steadier measure. Medians over the runs; the first (cold JIT) parse separately.
 *
 *   node dist/bench/parse.js [--lines N] [--runs N]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse, showExpr } from "../evaluator/syntax/index.js";
import { generateNixCorpus } from "../test/helpers/nix-corpus.js";

interface Sample {
  wall: number;
  cpu: number;
}

function parseOptions(argv: string[]): { lines: number; runs: number } {
  const o = { lines: 50000, runs: 7 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--lines" && value) o.lines = Number(argv[++i]);
    else if (argv[i] === "--runs" && value) o.runs = Number(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return o;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const TIME = "/usr/bin/time";
const haveTime = existsSync(TIME);

/** Wall and CPU milliseconds of one nix-instantiate run (CPU is NaN without /usr/bin/time). */
function timeCommand(args: string[]): Sample {
  const cmd = haveTime ? TIME : "nix-instantiate";
  const argv = haveTime ? ["-f", "@cpu %U %S", "nix-instantiate", ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 30 });
  const wall = performance.now() - t0;
  const stderr = r.stderr.toString();
  if (r.status !== 0) throw new Error(`nix-instantiate ${args.join(" ")} failed: ${stderr.slice(0, 500)}`);
  const m = /@cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

function timeInProcess(fn: () => void): Sample {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const ms = (x: number): string => (Number.isNaN(x) ? "n/a" : `${x.toFixed(1)} ms`);
const ratio = (a: number, b: number): string => (Number.isNaN(a / b) ? "n/a" : (a / Math.max(b, 0.001)).toFixed(2));

function medians(samples: Sample[]): Sample {
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)) };
}

function minus(a: Sample, b: Sample): Sample {
  return { wall: a.wall - b.wall, cpu: a.cpu - b.cpu };
}

function main(): void {
  const { lines, runs } = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-parse-"));
  try {
    const file = join(dir, "all-packages.nix");
    writeFileSync(file, generateNixCorpus(lines, 42));
    const text = readFileSync(file, "utf8");
    const mb = Buffer.byteLength(text) / 1e6;
    console.log(`corpus: ${text.split("\n").length} lines, ${mb.toFixed(2)} MB`);

    const cold = timeInProcess(() => parse(text, file));
    const parses: Sample[] = [];
    const prints: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      parses.push(timeInProcess(() => parse(text, file)));
      prints.push(timeInProcess(() => showExpr(parse(text, file))));
    }
    const cppParse: Sample[] = [];
    const cppParseStart: Sample[] = [];
    const cppEval: Sample[] = [];
    const cppEvalStart: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      cppParseStart.push(timeCommand(["--parse", "-E", "1"]));
      cppParse.push(timeCommand(["--parse", file]));
      cppEvalStart.push(timeCommand(["--eval", "-E", "1"]));
      cppEval.push(timeCommand(["--eval", file]));
    }
    const ours = medians(parses);
    const oursPrint = medians(prints);
    const cppP = minus(medians(cppParse), medians(cppParseStart));
    const cppE = minus(medians(cppEval), medians(cppEvalStart));

    console.log(`                            wall        cpu`);
    console.log(`lading parse, first run:    ${ms(cold.wall).padEnd(12)}${ms(cold.cpu)}`);
    console.log(`lading parse:               ${ms(ours.wall).padEnd(12)}${ms(ours.cpu)}   (${(mb / (ours.wall / 1000)).toFixed(1)} MB/s)`);
    console.log(`lading parse+print:         ${ms(oursPrint.wall).padEnd(12)}${ms(oursPrint.cpu)}`);
    console.log(`CppNix --eval (parse+bind): ${ms(cppE.wall).padEnd(12)}${ms(cppE.cpu)}`);
    console.log(`CppNix --parse (+print):    ${ms(cppP.wall).padEnd(12)}${ms(cppP.cpu)}`);
    console.log(`ratio parse / CppNix --eval:         wall ${ratio(ours.wall, cppE.wall)}  cpu ${ratio(ours.cpu, cppE.cpu)}`);
    console.log(`ratio first parse / CppNix --eval:   wall ${ratio(cold.wall, cppE.wall)}  cpu ${ratio(cold.cpu, cppE.cpu)}`);
    console.log(`ratio parse+print / CppNix --parse:  wall ${ratio(oursPrint.wall, cppP.wall)}  cpu ${ratio(oursPrint.cpu, cppP.cpu)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
