/**
 * Current CppNix's experimental pipe operators (`x |> f`, `f <| x`, feature
 * `pipe-operators`). CppNix 2.8 has no pipes, so the oracle is the same program
 * written with plain application: generated chains evaluated by us with pipes must
 * equal CppNix's value of their desugared form. Without the feature the lexer
 * refuses the token (upstream eval-fail-pipe-operators).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { callInWorker, instantiate, setPipeOperators, type InstantiateResult } from "../../evaluator/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { nixSkipReason } from "../helpers/nix.js";
import { mulberry32 } from "../helpers/random.js";
import { theirs } from "./eval-harness.js";

function evalWithPipes(expr: string): InstantiateResult {
  const prev = setPipeOperators(true);
  try {
    return instantiate({ ...parseInstantiateArgs(["--eval", "--strict", "-E", expr]), cwd: "/", nixPath: "" });
  } finally {
    setPipeOperators(prev);
  }
}

/** Functions of one int; some are calls, to which a piped argument is appended. */
const FUNCTIONS = ["(x: x * 2)", "(x: x - 7)", "builtins.add 3", "builtins.sub 100", "(a: b: a * 10 + b) 4", "(x: x / 3)"];
const OPERANDS = ["1", "1 + 2", "-5", "2 * 3 - 1", "(builtins.length [ 1 2 ])"];

/** A random chain with pipes and the same chain as plain calls. */
function chain(next: () => number): { piped: string; plain: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const fns = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(FUNCTIONS));
  const start = pick(OPERANDS);
  let plain = `(${start})`;
  for (const f of fns) plain = `(${f} ${plain})`;
  // `x |> f |> g` applies f first; `g <| f <| x` is the same with the list reversed.
  const piped = next() < 0.5 ? [start, ...fns].join(" |> ") : [...fns].reverse().concat(start).join(" <| ");
  return { piped, plain };
}

test("pipe chains give CppNix's value of the same program written with plain calls", { skip: nixSkipReason() }, async () => {
  const next = mulberry32(0x7c1e);
  const cases = Array.from({ length: 40 }, () => chain(next));
  const piped = `[ ${cases.map((c) => `(${c.piped})`).join(" ")} ]`;
  const plain = `[ ${cases.map((c) => c.plain).join(" ")} ]`;
  const ours = evalWithPipes(piped);
  assert.equal(ours.exitCode, 0, ours.stderr);
  const expected = await theirs(["--eval", "--strict", "-E", plain]);
  assert.equal(expected.exitCode, 0, expected.stderr);
  assert.equal(ours.stdout, expected.stdout);
  assert.match(ours.stdout, /^\[ -?\d+( -?\d+){39} \]\n$/);
});

test("pipes bind looser than every operator and cannot be mixed", () => {
  assert.equal(evalWithPipes("1 + 2 * 3 |> builtins.toString").stdout, '"7"\n');
  assert.equal(evalWithPipes('[ 1 ] ++ [ 2 ] |> builtins.length').stdout, "2\n");
  assert.equal(evalWithPipes("builtins.toString <| 1 == 1").stdout, '"1"\n');
  assert.equal(evalWithPipes("let f = x: x + 1; in 1 |> f |> f").stdout, "3\n");
  const mixed = evalWithPipes("1 |> (x: x) <| 2");
  assert.equal(mixed.exitCode, 1);
  assert.match(mixed.stderr, /^error: syntax error, unexpected '<\|'/);
});

test("without the feature the lexer refuses `|>` and `<|` at their position (upstream eval-fail-pipe-operators)", () => {
  for (const [expr, column] of [["1 |> 2", 3], ["f <| 1", 3], ["[ (x |> y) ]", 6]] as const) {
    const r = instantiate({ ...parseInstantiateArgs(["--eval", "-E", expr]), cwd: "/", nixPath: "" });
    assert.equal(r.exitCode, 1);
    assert.equal(
      r.stderr.split("\n").slice(0, 2).join("\n"),
      "error: experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it\n" +
        `       at \u00c2\u00abstring\u00c2\u00bb:1:${column}:`, // «string» as UTF-8 bytes
    );
  }
  assert.equal(instantiate({ ...parseInstantiateArgs(["--eval", "-E", "1 || 2 < 3"]), cwd: "/", nixPath: "" }).exitCode, 1, "`||` and `<` still lex");
});

test("an evaluation worker sees the setting of the thread that starts it", async () => {
  const url = new URL("../../evaluator/index.js", import.meta.url).href;
  const args = [{ ...parseInstantiateArgs(["--eval", "-E", "6 |> (x: x * 7)"]), cwd: "/", nixPath: "" }];
  const prev = setPipeOperators(true);
  try {
    const r = await callInWorker<InstantiateResult>(url, "instantiate", args);
    assert.equal(r.stdout, "42\n", r.stderr);
  } finally {
    setPipeOperators(prev);
  }
  const off = await callInWorker<InstantiateResult>(url, "instantiate", args);
  assert.match(off.stderr, /experimental Nix feature 'pipe-operators' is disabled/);
});
