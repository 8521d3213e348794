/**
 * Differential harness for the evaluator core: runs `lading instantiate` in-process
 * (the `instantiate` library call) and `nix-instantiate` on the same arguments,
 * and compares stdout and exit code, or for failures the error message: the same as
 * 2.8's or its current-CppNix rewording (errors-current.ts). We print current
 * CppNix's layout (frames first, then the message), which 2.8 cannot check: the
 * full layout is checked against the upstream suite's `.err.exp` files
 * (upstream-lang.test.ts) and hand-written cases (eval-errors.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import "../../evaluator/index.js";
import { instantiate, setTraceSink } from "../../evaluator/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { mapPool, nixSkipReason, runNixAsync } from "../helpers/nix.js";
import { finalMessage, sameErrorAcrossVersions } from "./errors-current.js";

export interface Run {
  stdout: string;
  /** First line of stderr. */
  error: string;
  /** All of stderr (warnings dropped), without trailing whitespace. */
  stderr: string;
  exitCode: number;
}

/** Our result for nix-instantiate-style arguments, evaluated in this process. */
export function ours(args: string[], cwd: string = process.cwd(), env: Record<string, string> = {}): Run {
  const opts = parseInstantiateArgs(args);
  const r = instantiate({ ...opts, cwd, nixPath: env.NIX_PATH ?? "" });
  return { stdout: r.stdout, error: r.exitCode === 0 ? firstLine(r.stderr) : finalMessage(r.stderr), stderr: cleanStderr(r.stderr), exitCode: r.exitCode };
}

export async function theirs(args: string[], cwd: string = process.cwd(), env: Record<string, string> = {}): Promise<Run> {
  const r = await runNixAsync("nix-instantiate", args, { cwd, env });
  return { stdout: r.stdout, error: firstLine(r.stderr), stderr: cleanStderr(r.stderr), exitCode: r.exitCode };
}

function cleanStderr(s: string): string {
  return s
    .split("\n")
    .filter((l) => !l.startsWith("warning:"))
    .join("\n")
    .trimEnd();
}

function firstLine(s: string): string {
  // Skip CppNix's warnings (e.g. about unreadable search-path entries).
  const lines = s.split("\n").filter((l) => l !== "" && !l.startsWith("warning:"));
  return lines[0] ?? "";
}

/** Runs `jobs` with at most `limit` in flight. */
export async function pool<T>(jobs: (() => Promise<T>)[], limit = 8): Promise<T[]> {
  return mapPool(jobs, limit, (job) => job());
}

export function compare(label: string, a: Run, b: Run): void {
  if (b.exitCode === 0) {
    assert.equal(a.error, "", `${label}: we failed where CppNix printed ${b.stdout}`);
    assert.equal(a.stdout, b.stdout, label);
  } else {
    assert.ok(sameErrorAcrossVersions(a.error, b.error), `${label}: error differs\n  ours: ${a.error}\n  2.8:  ${b.error}`);
  }
  assert.equal(a.exitCode, b.exitCode, `${label}: exit code`);
}

/**
 * One test per corpus case (each case is nix-instantiate arguments); CppNix runs
 * in parallel up front.
 */
export function differential(name: string, cases: string[][], cwd: () => string = () => process.cwd(), env: Record<string, string> = {}): void {
  const skip = nixSkipReason();
  test(name, { skip }, async (t) => {
    const dir = cwd();
    const expected = await pool(cases.map((c) => () => theirs(c, dir, env)));
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      await t.test(c.join(" ").slice(0, 100), () => compare(c.join(" "), ours(c, dir, env), expected[i]!));
    }
  });
}

/** `nix-instantiate --eval --strict -E <expr>` for each expression. */
export function strictExprs(exprs: string[]): string[][] {
  return exprs.map((e) => ["--eval", "--strict", "-E", e]);
}

/** The `trace: ` lines of an stderr text. */
export function traceLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("trace: "));
}

/** CppNix's run with its error taken as the first stderr line after the trace lines it starts with. */
export function errorAfterTraces(run: Run): Run {
  return { ...run, error: run.stderr.split("\n").find((l) => l !== "" && !l.startsWith("trace: ")) ?? "" };
}

/** Our run, with the `builtins.trace` lines it printed. */
export function oursWithTraces(args: string[]): { run: Run; traces: string[] } {
  const traces: string[] = [];
  const prev = setTraceSink((line) => traces.push(line));
  try {
    return { run: ours(args), traces };
  } finally {
    setTraceSink(prev);
  }
}
