/**
 * Builtins from later Nix releases that CppNix 2.8 lacks (readFileType, warn,
 * break). readFileType is checked against CppNix's readDir, which reports the
 * same file types; the others against current Nix's documented behaviour.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { fixtureDir, ours, theirs } from "./builtins-harness.js";
import { nixSkipReason } from "../helpers/nix.js";
import { setTraceSink } from "../../evaluator/builtins/index.js";
import { EvalState, evalString, printValue } from "../../evaluator/eval/index.js";

test("readFileType agrees with CppNix's readDir for every kind of entry", { skip: nixSkipReason() }, async () => {
  const dir = fixtureDir();
  try {
    const names = readdirSync(dir);
    assert.ok(names.length >= 5);
    for (const name of names) {
      const expected = await theirs(`(builtins.readDir ./.).${JSON.stringify(name)}`, dir);
      assert.equal(ours(`builtins.readFileType ./${name}`, dir).out, expected.out, name);
    }
    assert.equal(ours("builtins.readFileType ./.", dir).out, '"directory"');
    assert.match(ours("builtins.readFileType ./missing", dir).out, /^error: getting status of '.*\/missing': No such file or directory$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("warn prints an evaluation warning and returns its second argument; break is the identity", () => {
  const dir = "/";
  const lines: string[] = [];
  const prev = setTraceSink((line) => lines.push(line));
  try {
    new EvalState();
    assert.equal(printValue(evalString('builtins.warn "careful" 42', dir)), "42");
  } finally {
    setTraceSink(prev);
  }
  assert.deepEqual(lines, ["evaluation warning: careful"]);
  assert.equal(ours("builtins.warn 1 2", dir).out, "error: value is an integer while a string was expected");
  assert.equal(ours('builtins.warn "m" (throw "x")', dir).out, "error: x");
  assert.equal(ours("break [ 1 2 ]", dir).out, "[ 1 2 ]");
  assert.equal(ours("builtins.break 3", dir).out, "3");
});
