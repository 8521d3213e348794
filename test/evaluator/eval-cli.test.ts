/**
 * `lading instantiate` as a process (bin/lading): output bytes, exit codes and
 * deep recursion (the CLI evaluates in a big-stack worker), against nix-instantiate.
 */
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { nixSkipReason } from "../helpers/nix.js";
import { finalMessage, sameErrorAcrossVersions } from "./errors-current.js";

const LADING = join(resolve(fileURLToPath(import.meta.url), "../../../.."), "bin/lading");
/**
 * CppNix 2.8 has no max-call-depth; current CppNix stops at 10000 nested calls
 * (test/evaluator/eval-call-depth.test.ts). Lading gets a limit the JS stack reaches
 * first, so these cases still compare deep recursion and stack overflows with 2.8.
 */
const DEEP = ["--max-call-depth", "1000000"];

function run(cmd: string, args: string[]): { stdout: string; stderr: string; status: number } {
  const r = cmd === "lading" ? spawnSync(LADING, ["instantiate", ...DEEP, ...args]) : spawnSync("nix-instantiate", args);
  return { stdout: r.stdout.toString("latin1"), stderr: r.stderr.toString("latin1"), status: r.status ?? -1 };
}

const CASES: string[][] = [
  ["--eval", "--strict", "-E", "{ a = \"é\\n\"; b = [ 1 2.5 null ]; }"],
  ["--eval", "-E", "{ a = 1 + 1; }"],
  ["--eval", "--strict", "-E", "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 10000"],
  ["--eval", "--strict", "-E", "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 100000)"],
  ["--eval", "--strict", "-E", "let a = { x = 1; }; in [ a a ]"],
  ["--eval", "--strict", "-E", "throw \"bye\""],
  ["--eval", "--strict", "-E", "{ a = 1; }.b"],
  ["--eval", "--strict", "-E", "{"],
  ["--eval", "--strict", "-E", "let f = x: f x; in f 1"],
  ["--eval", "--strict", "-E", "let f = x: 1 + f x; in f 1"],
  ["--eval", "--strict", "-E", "builtins.trace \"once\" (let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 20000)"],
];

test("the lading CLI prints what nix-instantiate prints", { skip: nixSkipReason() }, () => {
  for (const args of CASES) {
    const ours = run("lading", args);
    const theirs = run("nix-instantiate", args);
    const label = args.join(" ");
    assert.equal(ours.status, theirs.status, `${label}: exit status (stderr: ${ours.stderr})`);
    assert.equal(ours.stdout, theirs.stdout, label);
    // Current CppNix's layout puts frames first: our final message against 2.8's first line (errors-current.ts).
    if (theirs.status !== 0) assert.ok(sameErrorAcrossVersions(finalMessage(ours.stderr), theirs.stderr.split("\n")[0]!), `${label}: ${ours.stderr}`);
    else assert.equal(ours.stderr.split("\n")[0], theirs.stderr.split("\n")[0], label);
    // `trace` lines appear once even when the evaluation was retried with a bigger stack.
    assert.equal(ours.stderr.split("trace:").length, theirs.stderr.split("trace:").length, label);
  }
});

test("--parse prints the AST as CppNix does", { skip: nixSkipReason() }, () => {
  for (const e of ["let a = 1; in a + 2", "{ a, b ? 1 }@x: x.a or b"]) {
    assert.equal(run("lading", ["--parse", "-E", e]).stdout, run("nix-instantiate", ["--parse", "-E", e]).stdout, e);
  }
});

test("deep recursion beyond CppNix's stack still evaluates in the CLI", () => {
  const r = run("lading", ["--eval", "--strict", "-E", "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 50000"]);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "50000\n");
});

test("reading the expression from stdin (-) matches CppNix", { skip: nixSkipReason() }, () => {
  for (const input of ["1 + 2\n", "x\n", "__curPos\n", "{ a = ./.; }\n"]) {
    const args = ["--eval", "--strict", "-"];
    const ours = spawnSync(LADING, ["instantiate", ...args], { input });
    const theirs = spawnSync("nix-instantiate", args, { input });
    assert.equal(ours.stdout.toString("latin1"), theirs.stdout.toString("latin1"), input);
    if (theirs.status === 0) assert.equal(ours.stderr.toString("latin1"), theirs.stderr.toString("latin1"), input);
    else assert.ok(sameErrorAcrossVersions(finalMessage(ours.stderr.toString("latin1")), theirs.stderr.toString("latin1").split("\n")[0]!), input);
    assert.equal(ours.status, theirs.status, input);
  }
  // The whole report in current CppNix's layout, hand-written after upstream parse-fail-undef-var (also read from stdin).
  const x = spawnSync(LADING, ["instantiate", "--eval", "--strict", "-"], { input: "x\n" });
  assert.equal(x.stderr.toString("utf8"), "error: undefined variable 'x'\n       at «stdin»:1:1:\n            1| x\n             | ^\n            2|\n");
});
