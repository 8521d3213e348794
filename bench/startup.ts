/**
 * Start-up, deep recursion and peak memory of `lading instantiate --eval` against
 * nix-instantiate, side by side in one run: small expressions (where start-up is all
 * there is), deep non-tail recursion, and a few large workloads for memory. Each
 * workload runs, alternately (A B C A B C …):
 *   tsc     node dist/cli/main.js: the unbundled CLI on V8's default stack, with the
 *           big-stack worker re-run on overflow (what bin/lading was before the bundle)
 *   esm     bin/lading before session 4: the ES module bundle (what other commands
 *           run) with the same raised stack and semi-space, V8's default JIT budget
 *   no-pc   bin/lading with LADING_PARSE_CACHE=off: imported files parsed cold
 *   lading  bin/lading: the one-file instantiate bundle from V8's code cache
 *           (bin/instantiate.cjs), `ulimit -s` raised and a matching --stack-size,
 *           imported files read from the parse cache (filled by one untimed run)
 *   CppNix  nix-instantiate
 *   node    `node -e 0`: Node's own start-up, the floor under any Node program
 * and, with --flags "…", a fourth column: bin/lading's setup plus those node flags
 * (to try --max-semi-space-size, --single-threaded-gc, … on the same workloads).
 * Prints median CPU (user + system) and wall ms, peak RSS, ratios to CppNix, and
 * lading's CPU and RSS above `node -e 0`'s. CPU times are the figure to compare on a
 * loaded machine; wall times include waiting.
 *
 *   node dist/bench/startup.js [--runs N] [--only SUBSTRING] [--flags "--max-semi-space-size=16"]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { timed, type TimedRun as Run } from "./timed-process.js";
import { nixpkgsLib } from "./nixpkgs-lib.js";

const LADING = fileURLToPath(new URL("../../bin/lading", import.meta.url));
const LAUNCHER = fileURLToPath(new URL("../../bin/instantiate.cjs", import.meta.url));
const RAISED_STACK = "ulimit -s 150000 2>/dev/null";
const DIST_MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const BUNDLE_MAIN = fileURLToPath(new URL("../bundle/main.js", import.meta.url));

interface Workload {
  readonly name: string;
  readonly expr: string;
}

const nested = (n: number) => `builtins.foldl' (tail: head: { inherit head tail; }) null (builtins.genList (x: x) ${n})`;
const sum = (n: number) => `let sum = n: if n == 0 then 0 else n + sum (n - 1); in sum ${n}`;

const NIXLIB = nixpkgsLib();

const WORKLOADS: Workload[] = [
  { name: "start-up: 1", expr: "1" },
  { name: "small: attrset with a list, strict", expr: "{ a = 1; b = [ 1 2 ]; c = \"x\"; }" },
  { name: "small: mapAttrs, concatStringsSep", expr: "builtins.concatStringsSep \",\" (builtins.attrValues (builtins.mapAttrs (n: v: n + toString v) { a = 1; b = 2; c = 3; }))" },
  { name: "deep: sum 1..10000, not a tail call", expr: sum(10_000) },
  { name: "deep: sum 1..50000", expr: sum(50_000) },
  { name: "deep: deepSeq of a 100k-deep attrset list", expr: `let l = ${nested(100_000)}; in builtins.deepSeq l l.head` },
  { name: "fib 25 (naive recursion on ints)", expr: "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 25" },
  ...(NIXLIB !== undefined ? [{ name: "nixpkgs lib: tests/systems.nix", expr: `import ${NIXLIB}/tests/systems.nix` }] : []),
  { name: "large: foldl' over 1M ints", expr: "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 1000000)" },
  { name: "large: 100k-attr set built and merged", expr: "let s = builtins.listToAttrs (builtins.genList (i: { name = toString i; value = i; }) 100000); in builtins.length (builtins.attrNames (s // s))" },
];


type Tool = (file: string) => Run;

// The deep workloads nest far beyond current CppNix's default max-call-depth (10000):
// Lading is given a limit the JS stack reaches first, so they still measure the stack.
const DEEP_LIMIT = ["--max-call-depth", "1000000"];

const tscCli: Tool = (file) =>
  timed(process.execPath, ["--input-type=module", "-e", `import(${JSON.stringify(DIST_MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`, "--", "instantiate", ...DEEP_LIMIT, "--eval", "--strict", file]);
const esm: Tool = (file) =>
  timed("sh", [
    "-c",
    `${RAISED_STACK}; exec node --stack-size=130000 --max-semi-space-size=4 "$@"`,
    "sh",
    "--input-type=module",
    "-e",
    `import(${JSON.stringify(BUNDLE_MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`,
    "--",
    "instantiate",
    ...DEEP_LIMIT,
    "--eval",
    "--strict",
    file,
  ]);
const lading: Tool = (file) => timed(LADING, ["instantiate", ...DEEP_LIMIT, "--eval", "--strict", file]);
/** bin/lading without its on-disk parse cache (evaluator/eval/parse-cache.ts): every imported file parsed cold. */
const ladingNoParseCache: Tool = (file) => timed("env", ["LADING_PARSE_CACHE=off", LADING, "instantiate", ...DEEP_LIMIT, "--eval", "--strict", file]);
const cppnix: Tool = (file) => timed("nix-instantiate", ["--eval", "--strict", file]);
/** Prints nothing: its output is never compared. */
const nodeAlone: Tool = () => timed(process.execPath, ["-e", "0"]);

/**
 * bin/lading's own set-up (see its shell part) with extra node flags. V8 takes a code
 * cache only under the flags it was made with, so this column compiles the bundle:
 * compare it with lading for evaluation and memory, not for start-up.
 */
function withFlags(flags: string): Tool {
  const script = `${RAISED_STACK}; exec node --stack-size=130000 --verify-snapshot-checksum ${flags} "$@"`;
  return (file) => timed("sh", ["-c", script, "sh", LAUNCHER, "instantiate", ...DEEP_LIMIT, "--eval", "--strict", file]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const runs = Number(opt("--runs") ?? 3);
  const only = opt("--only") ?? "";
  const flags = opt("--flags");
  if (!existsSync(BUNDLE_MAIN)) throw new Error("dist/bundle is missing: run npm run build");
  const tools: [string, Tool][] = [["tsc", tscCli], ["esm", esm], ["no-pc", ladingNoParseCache], ["lading", lading], ["CppNix", cppnix], ["node", nodeAlone]];
  if (flags !== undefined) tools.push(["+flags", withFlags(flags)]);
  const dir = mkdtempSync(join(tmpdir(), "lading-bench-startup-"));
  try {
    console.log(`load average at start: ${readFileSync("/proc/loadavg", "utf8").trim()}${flags ? `; +flags = ${flags}` : ""}`);
    const names = tools.map(([n]) => n);
    const peers = names.filter((n) => n !== "CppNix" && n !== "node");
    const cols = [
      ...names.map((n) => `${n} cpu`),
      ...peers.map((n) => `${n}/Nix`),
      "lading-node",
      ...names.map((n) => `${n} wall`),
      ...names.map((n) => `${n} MB`),
      ...peers.map((n) => `${n} rss`),
      "lading-node",
    ];
    console.log(["workload".padEnd(44), ...cols.map((c) => c.padStart(11))].join(" "));
    for (const w of WORKLOADS) {
      if (only !== "" && !w.name.includes(only)) continue;
      const file = join(dir, w.name.replace(/[^a-z0-9]+/gi, "-") + ".nix");
      writeFileSync(file, w.expr);
      lading(file); // fills the parse cache, so that lading's runs all read it (RSS is the maximum of the runs)
      const results = tools.map((): Run[] => []);
      for (let i = 0; i < runs; i++) tools.forEach(([, tool], t) => results[t]!.push(tool(file)));
      const nixIndex = names.indexOf("CppNix");
      const nodeIndex = names.indexOf("node");
      const ladingIndex = names.indexOf("lading");
      const expected = results[nixIndex]![0]!.out;
      results.forEach((rs, t) => {
        if (t !== nodeIndex && rs.some((r) => r.out !== expected)) throw new Error(`${w.name}: ${names[t]} printed ${rs[0]!.out.slice(0, 200)}, CppNix ${expected.slice(0, 200)}`);
      });
      const cpu = results.map((rs) => median(rs.map((r) => r.cpuMs)));
      const wall = results.map((rs) => median(rs.map((r) => r.wallMs)));
      const rss = results.map((rs) => Math.max(...rs.map((r) => r.rssKb)) / 1024);
      const others = names.map((n, t) => t).filter((t) => t !== nixIndex && t !== nodeIndex);
      const cells = [
        ...cpu.map((c) => c.toFixed(0)),
        ...others.map((t) => (cpu[t]! / cpu[nixIndex]!).toFixed(2)),
        `+${(cpu[ladingIndex]! - cpu[nodeIndex]!).toFixed(0)} ms`,
        ...wall.map((c) => c.toFixed(0)),
        ...rss.map((m) => m.toFixed(0)),
        ...others.map((t) => (rss[t]! / rss[nixIndex]!).toFixed(2)),
        `+${(rss[ladingIndex]! - rss[nodeIndex]!).toFixed(1)} MB`,
      ];
      console.log([w.name.padEnd(44), ...cells.map((c) => c.padStart(11))].join(" "));
    }
    console.log(`load average at end: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
