/**
 * Lists made on demand (LazyList: the thunk of `map f xs` or `genList f n` read by
 * foldl', length, elemAt, head, map, filter, any or all) must be indistinguishable from the eager
 * lists: the same values, errors, `builtins.trace` lines in the same order, and,
 * printed without `--strict`, the same elements forced (`<CODE>` for the others).
 * Generated programs (fixed seed) bind a produced list, consume it in ways that
 * share it with the fold function, a nested fold or a second consumer, and print
 * the result and the list; each is compared with CppNix 2.8.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nixSkipReason } from "../helpers/nix.js";
import { SeededRandom } from "../helpers/random.js";
import { compare, errorAfterTraces, oursWithTraces, pool, theirs, traceLines } from "./eval-harness.js";

/** genList functions (int → element). */
const GEN = [
  "(i: i)",
  "(i: i * 3 + 1)",
  '(i: builtins.trace "g${toString i}" i)',
  '(i: if i == 2 then throw "g${toString i}" else i)',
  "(i: j: i + j)",
  "(i: { v = i; })",
];

/** map functions (element → element). */
const MAP = [
  "(x: x)",
  "(x: x + 1)",
  '(x: builtins.trace "m${toString x}" x)',
  "(x: x.v or x)",
  "(x: y: x)",
];

/** Consumers of the list `l` (a few share `l` with the function they call). */
const CONSUMERS = [
  "builtins.foldl' (a: b: a + b) 0 l",
  "builtins.foldl' (a: b: a) 0 l",
  "builtins.foldl' (a: b: b) null l",
  "builtins.foldl' (a: b: a + builtins.length l) 0 l",
  "builtins.foldl' (a: b: builtins.seq (builtins.elemAt l (builtins.length l - 1)) (a + 1)) 0 l",
  "builtins.foldl' (a: b: a + builtins.foldl' (c: d: c + d) 0 l) 0 l",
  "builtins.foldl' (a: b: builtins.seq b (a + 1)) 0 l",
  "builtins.length l",
  "builtins.elemAt l 1",
  "builtins.elemAt l 7",
  "builtins.head l",
  "builtins.length (map (x: x) l)",
  "builtins.foldl' (a: b: a + b) 0 (map (x: x * 2) l)",
  "builtins.elemAt (map (x: x) l) 0",
  "builtins.length (builtins.filter (x: x > 1) l)",
  // (Mapped: a filter that keeps every element returns its argument, and CppNix
  // prints that list again as «repeated», which our printer does not; see the notes.)
  "map (x: x) (builtins.filter (x: x != 2) l)",
  "map (x: x) (builtins.filter (x: true) l)",
  "builtins.any (x: x == 2) l",
  "builtins.all (x: builtins.isInt x && x < 3) l",
];

function producer(r: SeededRandom, depth: number): string {
  const k = r.int(0, 9);
  if (depth > 0 && k < 4) return `(map ${r.pick(MAP)} ${producer(r, depth - 1)})`;
  if (k === 9) return "[ 1 2 3 ]";
  return `(builtins.genList ${r.pick(GEN)} ${r.int(0, 5)})`;
}

/** nix-instantiate arguments of the generated programs. */
function cases(): string[][] {
  const r = new SeededRandom(20261122);
  const out: string[][] = [];
  for (let i = 0; i < 160; i++) {
    const list = producer(r, 2);
    const c1 = r.pick(CONSUMERS);
    let expr: string;
    if (i % 4 === 3) {
      // Two consumers of one list, one after the other.
      const c2 = r.pick(CONSUMERS);
      expr = `let l = ${list}; r = ${c1}; s = ${c2}; in builtins.seq r (builtins.seq s [ r s l ])`;
    } else expr = `let l = ${list}; r = ${c1}; in builtins.seq r [ r l ]`;
    // Mostly without --strict: the printed list shows which elements were forced.
    out.push(i % 5 === 4 ? ["--eval", "--strict", "-E", expr] : ["--eval", "-E", expr]);
  }
  return out;
}

test("lists made on demand: values, errors, trace order and forced elements match CppNix", { skip: nixSkipReason() }, async () => {
  const all = cases();
  const expected = await pool(all.map((c) => () => theirs(c)));
  let withTraces = 0;
  let failing = 0;
  let forcedShown = 0;
  for (let i = 0; i < all.length; i++) {
    const args = all[i]!;
    const label = args.join(" ");
    const want = errorAfterTraces(expected[i]!);
    const got = oursWithTraces(args);
    compare(label, got.run, want);
    assert.deepEqual(got.traces, traceLines(want.stderr), `${label}: trace lines`);
    if (got.traces.length > 0) withTraces++;
    if (want.exitCode !== 0) failing++;
    if (!args.includes("--strict") && want.exitCode === 0 && /\[ [^\]]*<CODE>/.test(want.stdout) && /\[ -?\d/.test(want.stdout)) forcedShown++;
  }
  // The generator must reach the cases that matter: traces, errors, and printed
  // lists where some elements are forced and others not.
  assert.ok(withTraces >= 15, `only ${withTraces} cases print traces`);
  assert.ok(failing >= 15, `only ${failing} cases fail`);
  assert.ok(forcedShown >= 5, `only ${forcedShown} cases print partly forced lists`);
});
