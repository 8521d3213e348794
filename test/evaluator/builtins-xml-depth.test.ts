/**
 * `toXML` and `--xml` count each value they print as one level of current
 * CppNix's max-call-depth (printValueAsXML's addCallDepth), held until everything
 * under it is written. CppNix 2.8, the oracle here, has no such limit: it gives the
 * expected output below the limit; beyond it the expectation follows current
 * CppNix's source, as in eval-call-depth.test.ts. The runs go through bin/lading,
 * whose stack holds far more than 10000 levels.
 */
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { nixSkipReason, runNix } from "../helpers/nix.js";

const LADING = join(resolve(fileURLToPath(import.meta.url), "../../../.."), "bin/lading");
const MESSAGE = "error: stack overflow; max-call-depth exceeded";
const skip = nixSkipReason();

function lading(args: string[]): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(LADING, ["instantiate", ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

function finalMessage(stderr: string): string {
  return stderr.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("error:")).at(-1) ?? "";
}

/** A `{ head; tail; }` chain `n` deep, built without recursion. */
const nestedAttrs = (n: number) => `builtins.foldl' (tail: head: { inherit head tail; }) null (builtins.genList (x: x) ${n})`;
/** `[ [ … [ ] … ] ]` `n` deep, built without recursion. */
const nestedLists = (n: number) => `builtins.foldl' (l: x: [ l ]) [ ] (builtins.genList (x: x) ${n})`;

test("toXML and --xml beyond max-call-depth fail with CppNix's message", () => {
  for (const args of [
    ["--eval", "--strict", "-E", `builtins.stringLength (builtins.toXML (${nestedAttrs(100_000)}))`],
    ["--eval", "--strict", "--xml", "-E", nestedAttrs(100_000)],
    ["--eval", "--strict", "-E", `builtins.stringLength (builtins.toXML (${nestedLists(20_000)}))`],
  ]) {
    const started = Date.now();
    const r = lading(args);
    assert.equal(r.status, 1, args.join(" "));
    assert.equal(finalMessage(r.stderr), MESSAGE, r.stderr.slice(-400));
    assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
  }
});

test("levels are left after each value: two toXML calls below the limit each succeed, as in CppNix", { skip }, () => {
  // 6000 + 6000 levels would exceed 10000 if the first call's levels were not left.
  const expr = `let x = ${nestedLists(6000)}; in [ (builtins.stringLength (builtins.toXML x)) (builtins.stringLength (builtins.toXML [ x ])) ]`;
  const ours = lading(["--eval", "--strict", "-E", expr]);
  assert.equal(ours.stderr, "");
  const theirs = runNix("nix-instantiate", ["--eval", "--strict", "-E", expr]).toString("latin1");
  assert.equal(ours.stdout, theirs);
});
