/**
 * Differential harness for the builtins: evaluates each expression with our
 * evaluator and with CppNix (`nix-instantiate --eval --strict -E`) and compares
 * the printed value, or the first line of the error, plus the trace lines.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import "../../evaluator/builtins/index.js";
import { setTraceSink } from "../../evaluator/builtins/index.js";
import { EvalError, EvalState, evalString, fromFsPath, forceDeep, formatEvalError, printValue } from "../../evaluator/eval/index.js";
import { mapPool, nixSkipReason, runNixAsync } from "../helpers/nix.js";
import { finalMessage, sameErrorAcrossVersions } from "./errors-current.js";

/** What one evaluator printed: the value or `error: …` (first line), and the trace lines before it. */
export interface Outcome {
  out: string;
  traces: string[];
}

/** A directory with a few files, the working directory of every evaluation (relative paths resolve here). */
export function fixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-builtins-"));
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "hello.txt"), "hello\n");
  writeFileSync(join(dir, "empty"), "");
  writeFileSync(join(dir, "bytes.bin"), Buffer.from([0xff, 0xfe, 0x41, 0x0a]));
  writeFileSync(join(dir, "nul.bin"), Buffer.from([0x61, 0x00, 0x62]));
  writeFileSync(join(dir, "sub", "a.nix"), "{ x = 1; }\n");
  symlinkSync("hello.txt", join(dir, "link"));
  symlinkSync("nowhere", join(dir, "dangling"));
  symlinkSync("sub", join(dir, "dirlink"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  return dir;
}

export function ours(expr: string, dir: string): Outcome {
  const traces: string[] = [];
  const prev = setTraceSink((line) => {
    if (line.startsWith("trace: ")) traces.push(line);
  });
  try {
    new EvalState();
    // Source text is bytes: the UTF-8 of the expression, one char per byte.
    const v = evalString(fromFsPath(expr), dir);
    forceDeep(v);
    return { out: printValue(v), traces };
  } catch (err) {
    // The final message's first line (current CppNix prints frames before it).
    if (err instanceof EvalError) return { out: finalMessage(formatEvalError(err, false)), traces };
    throw err;
  } finally {
    setTraceSink(prev);
  }
}

export async function theirs(expr: string, dir: string): Promise<Outcome> {
  const r = await runNixAsync("nix-instantiate", ["--eval", "--strict", "-E", expr], {
    cwd: dir,
    env: { NIX_CONFIG: "experimental-features = nix-command" },
  });
  const err = r.stderr.split("\n");
  const traces = err.filter((l) => l.startsWith("trace: "));
  if (r.exitCode === 0) return { out: r.stdout.replace(/\n$/, ""), traces };
  return { out: err.find((l) => l.startsWith("error: ")) ?? err.join("\n"), traces };
}

/**
 * Version differences in `trace` output, normalised away (2.8 is the oracle here,
 * current CppNix the target): current CppNix's trace uses its ValuePrinter,
 * `«thunk»`, `«lambda [name] @ pos»`, `«primop name»`, `«partially applied primop
 * name»`, where 2.8 printed `<CODE>`, `<LAMBDA>`, `<PRIMOP>`, `<PRIMOP-APP>`
 * (upstream eval-okay-print's `.err.exp`; the exact forms are pinned by `current` cases).
 */
export function normaliseTrace(line: string): string {
  return line
    .replaceAll("\u00c2\u00abthunk\u00c2\u00bb", "<CODE>")
    .replace(/\u00c2\u00ablambda.*?:\d+:\d+\u00c2\u00bb/g, "<LAMBDA>")
    .replace(/\u00c2\u00abpartially applied primop [^\u00c2]*\u00c2\u00bb/g, "<PRIMOP-APP>")
    .replace(/\u00c2\u00abprimop [^\u00c2]*\u00c2\u00bb/g, "<PRIMOP>");
}

/** Runs CppNix on all expressions, a few at a time. */
async function allTheirs(exprs: readonly string[], dir: string): Promise<Outcome[]> {
  return mapPool(exprs, 4, (expr) => theirs(expr, dir));
}

/**
 * An expression; or one with a known defect outside the builtins (reported as a
 * TODO, not a failure); or one where current CppNix deliberately differs from 2.8:
 * `current` is what current CppNix prints (hand-written), `upstream` the upstream
 * language test (NixOS/nix tests/functional/lang) that pins the new behaviour.
 */
export type Case = string | { expr: string; todo: string } | { expr: string; current: string; currentTraces?: string[]; upstream: string };

/** Cases whose result depends on `${./path}` store paths (kept apart to show which cases copy to the store). */
export function storePathCase(expr: string): Case {
  return expr;
}

/**
 * Registers one test per family: every expression must print what CppNix prints
 * (value, or the first error line) and emit the same trace lines.
 */
export function differential(family: string, cases: readonly Case[]): void {
  const exprs = cases.map((c) => (typeof c === "string" ? c : c.expr));
  const skip = nixSkipReason();
  test(`builtins (${family}) match CppNix 2.8`, { skip }, async (t) => {
    const dir = fixtureDir();
    try {
      const expected = await allTheirs(exprs, dir);
      for (let i = 0; i < exprs.length; i++) {
        const expr = exprs[i]!;
        const c = cases[i]!;
        await t.test(expr, typeof c === "string" || !("todo" in c) ? {} : { todo: c.todo }, () => {
          const got = ours(expr, dir);
          if (typeof c !== "string" && "current" in c) {
            assert.equal(got.out, c.current, `current CppNix (upstream ${c.upstream}) prints this`);
            assert.deepEqual(got.traces, c.currentTraces ?? expected[i]!.traces, `current CppNix (upstream ${c.upstream}) traces this`);
            return;
          }
          const want = expected[i]!.out;
          if (want.startsWith("error: ")) assert.ok(sameErrorAcrossVersions(got.out, want), `error differs\n  ours: ${got.out}\n  2.8:  ${want}`);
          else assert.equal(got.out, want);
          assert.deepEqual(got.traces.map(normaliseTrace), expected[i]!.traces);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
