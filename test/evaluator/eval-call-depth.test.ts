/**
 * Current CppNix's `max-call-depth` (default 10000): nested calls, deep forcing and
 * toJSON levels beyond it end in "stack overflow; max-call-depth exceeded". CppNix 2.8
 * (the oracle on this machine) has no such limit, so the expectations are hand-written
 * after current CppNix's source (EvalState::addCallDepth, prim_tryEval) and its tests
 * tests/functional/lang/eval-fail-{toJSON,deepseq,derivation-structuredAttrs}-stack-overflow.
 * The CLI runs go through bin/lading, whose stack holds far more than 10000 calls.
 */
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { instantiate, type InstantiateOptions } from "../../evaluator/index.js";

const LADING = join(resolve(fileURLToPath(import.meta.url), "../../../.."), "bin/lading");
const MESSAGE = "error: stack overflow; max-call-depth exceeded";

function lading(args: string[]): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(LADING, ["instantiate", ...args], { encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** The last message of a report (current CppNix's layout puts frames first). */
function finalMessage(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim());
  return lines.filter((l) => l.startsWith("error:")).at(-1) ?? "";
}

/** `n` nested non-tail calls. */
const sum = (n: number) => `let sum = n: if n == 0 then 0 else n + sum (n - 1); in sum ${n}`;
/** A `{ head; tail; }` list nested `n` deep, built without recursion (as the upstream tests build theirs). */
const nested = (n: number) => `builtins.foldl' (tail: head: { inherit head tail; }) null (builtins.genList (x: x) ${n})`;

test("recursion below the default limit evaluates", () => {
  const r = lading(["--eval", "-E", sum(9000)]);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "40504500\n");
});

test("recursion beyond the default limit fails at the call site", () => {
  const r = lading(["--eval", "-E", sum(20_000)]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  // The check is made on entering a call (addCallDepth(pos) in callFunction): the position is the call `sum (n - 1)`.
  assert.ok(r.stderr.includes(`\n       ${MESSAGE}\n       at «string»:1:40:\n`), r.stderr.slice(-600));
  assert.equal(finalMessage(r.stderr), MESSAGE);
});

test("--max-call-depth and --option max-call-depth raise the limit", () => {
  for (const flag of [["--max-call-depth", "200000"], ["--option", "max-call-depth", "200000"]]) {
    const r = lading([...flag, "--eval", "-E", sum(100_000)]);
    assert.equal(r.stderr, "", flag.join(" "));
    assert.equal(r.stdout, "5000050000\n", flag.join(" "));
  }
  // And lower it.
  const low = lading(["--max-call-depth", "100", "--eval", "-E", sum(200)]);
  assert.equal(low.status, 1);
  assert.equal(finalMessage(low.stderr), MESSAGE);
  assert.equal(lading(["--max-call-depth", "100", "--eval", "-E", sum(50)]).stdout, "1275\n");
  const bad = lading(["--max-call-depth", "many", "--eval", "-E", "1"]);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, "");
});

test("tryEval does not catch it (prim_tryEval catches AssertionError only)", () => {
  const r = lading(["--eval", "-E", `(builtins.tryEval (${sum(20_000)})).success`]);
  assert.equal(r.status, 1);
  assert.equal(finalMessage(r.stderr), MESSAGE);
});

test("a throw caught by tryEval deep down leaves the depth where it was", () => {
  // Each attempt unwinds 3000 levels through the error; ten of them would exceed the
  // limit three times over if the unwound levels stayed counted.
  const deepThrow = "let down = n: if n == 0 then throw \"deep\" else 1 + down (n - 1); in down 3000";
  const caught = `builtins.foldl' (acc: i: acc + (if (builtins.tryEval (${deepThrow})).success then 1 else 0)) 0 (builtins.genList (x: x) 10)`;
  // Then 9000 levels still fit, inside a recursion 500 deep.
  const expr = `let at = n: if n == 0 then builtins.seq (${caught}) (${sum(9000)}) else at (n - 1) + 0; in at 500`;
  const r = lading(["--eval", "-E", expr]);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "40504500\n");
  // Without the repeated attempts the same nesting plus 600 more levels is over the limit: the test above is not vacuous.
  const over = lading(["--eval", "-E", `let at = n: if n == 0 then ${sum(9600)} else at (n - 1) + 0; in at 500`]);
  assert.equal(finalMessage(over.stderr), MESSAGE);
});

test("deepSeq, toJSON and structured attributes count each level (upstream eval-fail-*-stack-overflow)", () => {
  const cases = [
    `builtins.deepSeq (${nested(100_000)}) (throw "unexpected success")`,
    `builtins.toJSON (${nested(100_000)})`,
    `derivation { name = "test"; system = "x86_64-linux"; builder = "/bin/sh"; __structuredAttrs = true; nested = ${nested(100_000)}; }`,
  ];
  for (const expr of cases) {
    const started = Date.now();
    const r = lading(["--eval", "--strict", "--readonly-mode", "-E", expr]);
    assert.equal(r.status, 1, expr);
    assert.equal(finalMessage(r.stderr), MESSAGE, expr);
    assert.ok(Date.now() - started < 30_000, `${expr}: ${Date.now() - started} ms`);
  }
  // 5000 levels are within the limit for each.
  const ok = lading(["--eval", "--strict", "-E", `builtins.stringLength (builtins.toJSON (${nested(5000)}))`]);
  assert.equal(ok.stderr, "");
  const deep = lading(["--eval", "--strict", "-E", `builtins.deepSeq (${nested(5000)}) 1`]);
  assert.equal(deep.stdout, "1\n", deep.stderr);
});

test("each evaluation starts at depth 0 with its own limit", () => {
  const options = (expr: string, maxCallDepth?: number): InstantiateOptions => ({
    inputs: [expr],
    fromArgs: true,
    attrPaths: [],
    args: [],
    eval: true,
    strict: false,
    output: "plain",
    includes: [],
    showTrace: false,
    readOnly: true,
    ...(maxCallDepth !== undefined ? { maxCallDepth } : {}),
  });
  const failed = instantiate(options(sum(100), 50));
  assert.equal(failed.exitCode, 1);
  assert.equal(finalMessage(failed.stderr), MESSAGE);
  // The failed evaluation's levels were never left; the next one does not inherit them.
  assert.equal(instantiate(options(sum(40), 50)).stdout, "820\n");
  assert.equal(instantiate(options(sum(200))).stdout, "20100\n");
});
