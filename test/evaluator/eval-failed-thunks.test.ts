/**
 * Current CppNix keeps a thunk's evaluation error (a "failed value"): forcing it
 * again throws a copy of that error without evaluating again (a `builtins.trace`
 * inside runs once), and frames added to a copy do not reach the kept error
 * (upstream eval-okay-tryeval-failed-thunk-reeval, eval-fail-memoised-error-trace-not-mutated).
 * Values are compared with CppNix 2.8 (the same either way); the trace lines and
 * frames, which 2.8 shows otherwise, are checked for what current CppNix shows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { differential, oursWithTraces, strictExprs } from "./eval-harness.js";
import { instantiate } from "../../evaluator/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";

const FAILING = [
  `let a = throw "x"; in [ (builtins.tryEval a).success (builtins.tryEval a).success ]`,
  `let a = assert false; 1; b = a + 1; in [ (builtins.tryEval b) (builtins.tryEval a) (builtins.tryEval b) ]`,
  `let s = { a = throw "x"; b = 1; }; in [ (builtins.tryEval s.a) s.b (builtins.tryEval s.a) ]`,
  `let l = map (x: if x == 2 then throw "two" else x) [ 1 2 3 ]; in map (x: (builtins.tryEval x).success) (l ++ l)`,
  `let a = throw "first"; in builtins.tryEval (builtins.deepSeq [ a a ] 1)`,
  `let f = x: throw "f"; a = f 1; in [ (builtins.tryEval a).success (builtins.tryEval (f 2)).success ]`,
  `let a = throw "x"; in builtins.seq (builtins.tryEval a) (a + 1)`,
];
differential("values of thunks forced again after an error: as CppNix 2.8", strictExprs(FAILING));

test("a failed thunk is not evaluated again: its trace runs once", () => {
  const once = `let foo = builtins.trace "throwing" (throw "nope"); in builtins.seq (builtins.tryEval foo).success (builtins.tryEval foo).success`;
  const { run, traces } = oursWithTraces(["--eval", "--strict", "-E", once]);
  assert.equal(run.stdout, "false\n");
  assert.deepEqual(traces, ["trace: throwing"]);
  // A thunk left by a caught error in another thunk is kept failed too.
  const nested = `let a = builtins.trace "a" (throw "x"); b = a; c = a; in [ (builtins.tryEval b).success (builtins.tryEval c).success (builtins.tryEval a).success ]`;
  const r2 = oursWithTraces(["--eval", "--strict", "-E", nested]);
  assert.equal(r2.run.stdout, "[ false false false ]\n");
  assert.deepEqual(r2.traces, ["trace: a"]);
});

test("frames added while the error first unwound stay with it; later copies add their own only", () => {
  const expr = `let
    a = throw "nope";
    b = builtins.addErrorContext "forcing b" a;
    c = builtins.addErrorContext "forcing c" a;
    d = builtins.addErrorContext "forcing d" a;
  in builtins.seq (builtins.tryEval b) (builtins.seq (builtins.tryEval c) d)`;
  const r = run(expr, true);
  assert.deepEqual(frameLines(r.stderr, / forcing [bcd]$/), [" forcing d", " forcing b"]);
  assert.match(r.stderr, /error: nope\n$/);
  // Each throw gets a copy: a second failure of `d` shows the same frames, not doubled ones.
  const twice = `let a = throw "nope"; d = builtins.addErrorContext "forcing d" a; in builtins.seq (builtins.tryEval d) d`;
  const r2 = run(twice, true);
  assert.deepEqual(frameLines(r2.stderr, / forcing d$/), [" forcing d"]);
});

test("builtins.addErrorContext frames are shown past the truncation of frames", () => {
  const expr = `let countDown = n: if n == 0 then throw "kaboom" else builtins.addErrorContext "while counting down; n = \${toString n}" ("x" + countDown (n - 1)); in countDown 10`;
  const r = run(expr, false);
  assert.equal(frameLines(r.stderr, / while counting down; n = \d+$/).length, 10);
  assert.match(r.stderr, /stack trace truncated/);
  assert.equal(frameLines(r.stderr, / in an operand of '\+'$/).length, 1);
});

/** The frame lines of an error report matching `re` (code excerpts left out), as matched. */
function frameLines(stderr: string, re: RegExp): string[] {
  return stderr
    .split("\n")
    .filter((l) => !/^\s*(\d+)?\|/.test(l))
    .map((l) => re.exec(l)?.[0])
    .filter((m): m is string => m !== undefined);
}

/** Our nix-instantiate --eval --strict [--show-trace] -E `expr`. */
function run(expr: string, showTrace: boolean): { stdout: string; stderr: string } {
  const args = ["--eval", "--strict", ...(showTrace ? ["--show-trace"] : []), "-E", expr];
  return instantiate({ ...parseInstantiateArgs(args), cwd: process.cwd(), nixPath: "" });
}
