/**
 * Evaluation errors: the first line of the message must match CppNix 2.8's, and
 * the full report (position and code excerpt) for a few representative ones.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { differential, ours, strictExprs, theirs } from "./eval-harness.js";
import { nixSkipReason } from "../helpers/nix.js";
import { instantiate } from "../../evaluator/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";

const ERRORS = [
  "x", "let f = x: y; in 1", "with 1; x", "let s = 1; in with s; x", "with { a = 1; }; with 2; a", "{ a = z; }", "with {}; x", "with { }; let y = x; in 1", "let x = x; in x",
  "rec { a = b; b = a; }.a", "let s = { a = s.a; }; in s.a", "1 + \"a\"", "\"a\" + 1", "1.5 + \"a\"", "1 + null",
  "null + 1", "[] + []", "{ } + 1", "./a + { }", "\"a\" + (x: x)", "if 1 then 2 else 3", "if null then 1 else 2",
  "!1", "1 && true", "true && 1", "false || \"x\"", "1 -> true", "assert 1 == 2; 3", "assert false; 1",
  "assert { a = 1; }.a == 2; 1", "assert (x: x) 1 == 2; 1", "assert 1; 1", "{ a = 1; }.b", "{ abc = 1; abd = 2; }.abe",
  "1 .a", "null.a", "{ a = 1; }.a.b", "let f = { a }: a; in f { }", "({ a, b }: a) { }", "({ b, a }: a) { c = 1; }",
  "({ a }: a) { a = 1; b = 2; }", "({ a }: a) { a = 1; z = 2; y = 3; }", "({ a }: a) 1", "1 2", "\"f\" 1",
  "{ } 1", "[ ] ++ 1", "1 ++ [ ]", "{ } // 1", "1 // { }", "throw \"boom\"", "abort \"stop\"", "throw 1",
  "throw { outPath = \"o\"; }", "abort (throw \"inner\")", "builtins.tryEval (abort \"x\")", "1 / 0", "1.0 / 0",
  "1 < \"a\"", "\"a\" < 1", "{ } < { }", "(x: x) < (x: x)", "[ 1 ] < [ \"a\" ]", "null < null",
  "{ a = 1; a = 2; }", "{ a.b = 1; a.b = 2; }", 'let n = "a"; in { a = 1; ${n} = 2; }',
  'let n = "a"; in { ${n} = 1; ${n} = 2; }', "{ ${1} = 2; }", "let k = 1; in { }.${k}", "{ a = 1; } ? ${1}",
  '"${1}"', '"${null}"', '"${[ ]}"', '"${{ }}"', '"${x: x}"', "toString { }", "toString (x: x)",
  "builtins.toString { a = 1; }", "import 1", "import \"relative\"", "import ./does-not-exist.nix",
  "<nonexistent-search-entry>", "let f = x: f x; in builtins.seq (f 1) 1",
  "{ __functor = 1; } 2", "{ __functor = self: 1; } 2", "builtins.addErrorContext \"ctx\" (throw \"inner\")",
  "(-(\"a\"))", "\"a\" * 2", "2 - \"a\"", "true / 2", "builtins.sub 1", "(builtins.sub 1) \"x\"",
  "let a = { b = throw \"deep\"; }; in a.b", "{ a = throw \"in set\"; }", "[ 1 (throw \"in list\") ]",
  "builtins.head [ ]", "let e = 9223372036854775807 * 0; in e", "(-9223372036854775807 - 1) / (-1)",
];

differential("evaluation errors match CppNix (first line)", strictExprs(ERRORS));

/** Integer overflow: CppNix 2.8 wraps silently; we raise current Nix's error, as the issue asks. */
test("integer overflow raises current Nix's error", () => {
  const cases: [string, string][] = [
    ["9223372036854775807 + 1", "error: integer overflow in adding 9223372036854775807 + 1"],
    ["(-9223372036854775807) - 2", "error: integer overflow in subtracting -9223372036854775807 - 2"],
    ["4611686018427387904 * 2", "error: integer overflow in multiplying 4611686018427387904 * 2"],
    ["(-9223372036854775807 - 1) / (-1)", "error: overflow in integer division"],
  ];
  for (const [expr, message] of cases) {
    assert.equal(ours(["--eval", "--strict", "-E", expr]).error, message, expr);
  }
});

/** The whole error report, code excerpt included, for errors CppNix reports with a position. */
test("full error reports match CppNix", { skip: nixSkipReason() }, async () => {
  const exprs = [
    "x",
    "1 + \"a\"",
    "let f = {a}: a; in f {}",
    "{a=1;}.b",
    "let\n  x = 1;\n  y = x + \"s\";\nin\n  y",
    "assert 1 == 2; 3",
    "({ a }: a) { a = 1; b = 1; }",
    "let x = x; in x",
  ];
  for (const e of exprs) {
    const args = ["--eval", "--strict", "-E", e];
    const r = instantiate({ ...parseInstantiateArgs(args), nixPath: "" });
    const full = await theirsFull(args);
    assert.equal(r.stderr.trimEnd(), full.trimEnd(), e);
  }
});

async function theirsFull(args: string[]): Promise<string> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn("nix-instantiate", args, { env: { ...process.env, NIX_PATH: "" } });
    const err: Buffer[] = [];
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", () => resolve(Buffer.concat(err).toString("latin1")));
  });
}

test("deep recursion: infinite recursion is reported, not a JS crash", () => {
  const r = ours(["--eval", "--strict", "-E", "let f = x: f x; in f 1"]);
  assert.equal(r.exitCode, 1);
  assert.match(r.error, /^error: (stack overflow|infinite recursion)/);
});

test("unused theirs import keeps the harness honest", { skip: nixSkipReason() }, async () => {
  const a = ours(["--eval", "-E", "1"]);
  const b = await theirs(["--eval", "-E", "1"]);
  assert.deepEqual(a, b);
});

/** --show-trace: the whole report, every "… while evaluating" frame included. */
test("--show-trace reports match CppNix", { skip: nixSkipReason() }, async () => {
  const exprs = [
    "{ a = { b = throw \"deep\"; }; }",
    "let f = { a }: a; in f { b = 1; }",
    "let\n  f = x: x.a + 1;\n  s = { b = f { a = \"x\"; }; };\nin s.b",
    "[ { x = { y = 1 + \"s\"; }; } ]",
    "let s = rec { x = y; y = 1 + null; }; in s.x",
    "let g = n: if n == 0 then throw \"bottom\" else g (n - 1); in g 3",
  ];
  for (const e of exprs) {
    const args = ["--eval", "--strict", "--show-trace", "-E", e];
    const r = instantiate({ ...parseInstantiateArgs(args), nixPath: "" });
    assert.equal(r.stderr.trimEnd(), (await theirsFull(args)).trimEnd(), e);
  }
});
