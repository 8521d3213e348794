/**
 * Parse speed against CppNix on the same generated file in the same run: a
 * synthetic all-packages-like package set with lib-like functions (~50k lines by
 * default). Lading is timed in-process (`parse` on the file text; and `parse` +
 * `showExpr`, which is what `nix-instantiate --parse` does); CppNix as
 * `nix-instantiate --parse FILE` minus the median of `nix-instantiate --parse -E 1`
 * (its start-up). CppNix's figure includes its variable-binding pass and printing,
 * so "lading parse+print / CppNix" is the like-for-like ratio. Prints medians in
 * ms and ratios lading/CppNix (lower is better).
 *
 *   node dist/bench/parse.js [--lines N] [--runs N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse, showExpr } from "../evaluator/index.js";
import { generateNixCorpus } from "../test/helpers/nix-corpus.js";

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

function timeCommand(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync("nix-instantiate", args, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`nix-instantiate ${args.join(" ")} failed: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
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

    const t0 = performance.now();
    parse(text, file);
    const cold = performance.now() - t0;

    const parseTimes: number[] = [];
    const printTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      parse(text, file);
      parseTimes.push(performance.now() - t);
      t = performance.now();
      showExpr(parse(text, file));
      printTimes.push(performance.now() - t);
    }

    const startup: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < runs; i++) {
      startup.push(timeCommand(["--parse", "-E", "1"]));
      full.push(timeCommand(["--parse", file]));
    }
    const cpp = Math.max(median(full) - median(startup), 0.001);
    const ours = median(parseTimes);
    const oursPrint = median(printTimes);
    console.log(`lading parse (first run, cold JIT): ${cold.toFixed(1)} ms`);
    console.log(`lading parse:        ${ours.toFixed(1)} ms  (${(mb / (ours / 1000)).toFixed(1)} MB/s)`);
    console.log(`lading parse+print:  ${oursPrint.toFixed(1)} ms`);
    console.log(`CppNix --parse:      ${cpp.toFixed(1)} ms  (${median(full).toFixed(1)} ms minus ${median(startup).toFixed(1)} ms start-up)`);
    console.log(`ratio parse/CppNix:        ${(ours / cpp).toFixed(2)}`);
    console.log(`ratio parse+print/CppNix:  ${(oursPrint / cpp).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
