/**
 * Parse speed against CppNix on the same files in the same run, cold and warm.
 *
 * Corpora: every .nix file of nixpkgs lib (/tmp/nixlib/lib, when present: many
 * small real files, what `import <nixpkgs/lib>` parses) and one synthetic
 * all-packages-like file (test/helpers/nix-corpus, ~50k lines by default).
 *
 * Lading runs in fresh child processes (one per run): each reads the files, then
 * times its FIRST parse of all of them (cold: what a CLI run pays, mostly before
 * V8 has optimised the lexer and parser) and then further passes (warm: a
 * long-running server's JIT; median of the passes). `parse+print` adds `showExpr`,
 * which is what `nix-instantiate --parse` does. CppNix is `nix-instantiate --parse
 * FILE…` (parse, variable binding, printing) minus the median of `--parse -E 1`
 * (its start-up). Ratios lading/CppNix, lower is better. The cold pass is also run
 * in a child started with the V8 flags `bin/lading instantiate` uses (its interrupt
 * budget and inlining limits change how much TurboFan compiles during that pass).
 *
 * CPU time (user+system; process.cpuUsage in the child, /usr/bin/time for CppNix)
 * is the steadier measure on a loaded machine; wall time is shown too. Medians
 * over the runs; the load average is printed first.
 *
 *   node dist/bench/parse.js [--lines N] [--runs N] [--passes N]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { parse, showExpr } from "../evaluator/syntax/index.js";
import { generateNixCorpus } from "../test/helpers/nix-corpus.js";
import { nixpkgsLib } from "./nixpkgs-lib.js";


interface Sample {
  wall: number;
  cpu: number;
}

/** What one child process measured. */
interface ChildResult {
  first: Sample;
  warm: Sample;
  print: Sample;
}

function parseOptions(argv: string[]): { lines: number; runs: number; passes: number } {
  const o = { lines: 50000, runs: 5, passes: 5 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--lines" && value) o.lines = Number(argv[++i]);
    else if (argv[i] === "--runs" && value) o.runs = Number(argv[++i]);
    else if (argv[i] === "--passes" && value) o.passes = Number(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return o;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function medians(samples: Sample[]): Sample {
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)) };
}

function minus(a: Sample, b: Sample): Sample {
  return { wall: a.wall - b.wall, cpu: a.cpu - b.cpu };
}

function timeInProcess(fn: () => void): Sample {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/** Child mode: parse the listed files cold once, then `passes` warm passes; prints a ChildResult. */
function child(listFile: string, passes: number): void {
  const files = readFileSync(listFile, "utf8").split("\n").filter((f) => f !== "");
  const texts = files.map((f) => readFileSync(f, "latin1"));
  const parseAll = (): void => {
    for (let i = 0; i < files.length; i++) parse(texts[i]!, files[i]);
  };
  const first = timeInProcess(parseAll);
  const warm: Sample[] = [];
  const print: Sample[] = [];
  for (let p = 0; p < passes; p++) {
    warm.push(timeInProcess(parseAll));
    print.push(timeInProcess(() => {
      for (let i = 0; i < files.length; i++) showExpr(parse(texts[i]!, files[i]));
    }));
  }
  const none: Sample = { wall: NaN, cpu: NaN };
  const result: ChildResult = { first, warm: passes > 0 ? medians(warm) : none, print: passes > 0 ? medians(print) : none };
  process.stdout.write(JSON.stringify(result));
}

const TIME = "/usr/bin/time";
const haveTime = existsSync(TIME);

/** Wall and CPU milliseconds of one nix-instantiate run (CPU is NaN without /usr/bin/time). */
function timeCppNix(args: string[]): Sample {
  const cmd = haveTime ? TIME : "nix-instantiate";
  const argv = haveTime ? ["-f", "@cpu %U %S", "nix-instantiate", ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 30 });
  const wall = performance.now() - t0;
  const stderr = r.stderr.toString();
  if (r.status !== 0) throw new Error(`nix-instantiate ${args.slice(0, 3).join(" ")} … failed: ${stderr.slice(0, 500)}`);
  const m = /@cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

/**
 * The V8 flags `bin/lading instantiate` starts node with (its `gc` and `jit` shell
 * variables): a cold parse is what that command pays, and the JIT flags decide how
 * much of it goes to TurboFan compiling the lexer and parser. Read from the script
 * so the two cannot drift apart; empty if it cannot be read.
 */
function cliV8Flags(): string[] {
  try {
    const text = readFileSync(fileURLToPath(new URL("../../bin/lading", import.meta.url)), "utf8");
    const flags: string[] = [];
    for (const m of text.matchAll(/^\s*(?:gc|jit)="([^"]*)"/gm)) flags.push(...m[1]!.split(/\s+/).filter((f) => f !== ""));
    return flags;
  } catch {
    return [];
  }
}

function runChild(listFile: string, passes: number, nodeFlags: string[] = []): ChildResult {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...nodeFlags, script, "--child", listFile, String(passes)], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`parse child failed: ${r.stderr.slice(0, 500)}`);
  return JSON.parse(r.stdout) as ChildResult;
}

const ms = (x: number): string => (Number.isNaN(x) ? "n/a" : `${x.toFixed(1)}`);
const ratio = (a: number, b: number): string => (Number.isNaN(a / b) ? "n/a" : (a / Math.max(b, 0.001)).toFixed(2));

function nixFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...nixFilesUnder(p));
    else if (name.endsWith(".nix")) out.push(p);
  }
  return out;
}

/** Files CppNix 2.8 parses (current nixpkgs lib may use newer syntax somewhere). */
function parsableByCppNix(files: string[]): string[] {
  if (spawnSync("nix-instantiate", ["--parse", ...files], { stdio: "ignore" }).status === 0) return files;
  return files.filter((f) => spawnSync("nix-instantiate", ["--parse", f], { stdio: "ignore" }).status === 0);
}

function benchCorpus(label: string, files: string[], listFile: string, runs: number, passes: number, cppStart: Sample): void {
  writeFileSync(listFile, files.join("\n") + "\n");
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const ours: ChildResult[] = [];
  const oursCli: ChildResult[] = [];
  const theirs: Sample[] = [];
  const cliFlags = cliV8Flags();
  // Alternated, so all see the same load.
  for (let i = 0; i < runs; i++) {
    ours.push(runChild(listFile, passes));
    oursCli.push(runChild(listFile, 0, cliFlags));
    theirs.push(timeCppNix(["--parse", ...files]));
  }
  const first = medians(ours.map((r) => r.first));
  const firstCli = medians(oursCli.map((r) => r.first));
  const warm = medians(ours.map((r) => r.warm));
  const print = medians(ours.map((r) => r.print));
  const cpp = minus(medians(theirs), cppStart);
  console.log(`\n${label}: ${files.length} files, ${(bytes / 1e6).toFixed(2)} MB`);
  console.log(`                                  wall ms     cpu ms   ratio cpu (wall)`);
  const line = (name: string, s: Sample, vs?: Sample): void => {
    const r = vs ? `${ratio(s.cpu, vs.cpu)} (${ratio(s.wall, vs.wall)})` : "";
    console.log(`${name.padEnd(34)}${ms(s.wall).padStart(7)}${ms(s.cpu).padStart(11)}   ${r}`);
  };
  line("lading parse, cold (first pass)", first, cpp);
  line("  cold with the CLI's V8 flags", firstCli, cpp);
  line("lading parse, warm", warm, cpp);
  line("lading parse+print, warm", print, cpp);
  line("CppNix --parse (parse+bind+print)", cpp);
  console.log(`lading warm throughput: ${(bytes / 1e6 / (warm.wall / 1000)).toFixed(1)} MB/s`);
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") {
    child(argv[1]!, Number(argv[2]));
    return;
  }
  const { lines, runs, passes } = parseOptions(argv);
  console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-parse-"));
  try {
    const cppStart = medians(Array.from({ length: runs }, () => timeCppNix(["--parse", "-E", "1"])));
    const NIXLIB = nixpkgsLib();
    if (NIXLIB !== undefined) {
      const files = parsableByCppNix(nixFilesUnder(NIXLIB));
      benchCorpus(`nixpkgs lib (${NIXLIB})`, files, join(dir, "lib-files.txt"), runs, passes, cppStart);
    } else {
      console.log("\n(no nixpkgs lib: its corpus is left out)");
    }
    const file = join(dir, "all-packages.nix");
    writeFileSync(file, generateNixCorpus(lines, 42));
    benchCorpus(`synthetic all-packages.nix (${lines} lines)`, [file], join(dir, "synthetic-files.txt"), runs, passes, cppStart);
    console.log(`\nload average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
