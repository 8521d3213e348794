/**
 * `//` with a few names on the right of a large set makes a layered set (no copy of
 * the large side until something iterates it; the layers are merged every 32
 * levels). Every way of reading a set must see the same names, values, positions
 * and errors as a merged set: generated overlay chains (fixed seed, depths across
 * the merge point) read by each kind of consumer, compared with CppNix 2.8.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nixSkipReason } from "../helpers/nix.js";
import { SeededRandom } from "../helpers/random.js";
import { NixAttrs } from "../../evaluator/index.js";
import { compare, ours, pool, theirs } from "./eval-harness.js";

/** A set expression of `n` names (real positions), values of several kinds. */
function baseSet(r: SeededRandom, n: number): string {
  const defs: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.int(0, 5);
    const v = kind === 0 ? `"s${i}"` : kind === 1 ? `{ inner = ${i}; }` : kind === 2 ? `[ ${i} ]` : `${i}`;
    defs.push(`n${i} = ${v};`);
  }
  return `{\n  ${defs.join("\n  ")}\n}`;
}

/** One overlay: a few names, some overriding the base's, some new, some dynamic. */
function overlay(r: SeededRandom, level: number, baseSize: number): string {
  const names = new Set<string>();
  const count = r.int(1, 8);
  const defs: string[] = [];
  for (let k = 0; k < count; k++) {
    const pick = r.int(0, 4);
    const name = pick === 0 ? `o${level}_${k}` : pick === 1 ? `shared${r.int(0, 5)}` : `n${r.int(0, baseSize - 1)}`;
    if (names.has(name)) continue;
    names.add(name);
    const value = r.int(0, 3) === 0 ? `super.${name} or ${level}` : `${level * 100 + k}`;
    defs.push(pick === 0 && r.int(0, 1) === 0 ? `\${"${name}"} = ${value};` : `${name} = ${value};`);
  }
  return `(super: { ${defs.join(" ")} })`;
}

/** Ways to read the layered set `r` (and `m`, a merged set with the same attributes where one is needed). */
const CONSUMERS = [
  "r",
  "builtins.attrNames r",
  "builtins.attrValues r",
  "builtins.length (builtins.attrNames r)",
  "r.n0",
  "r.n3 or null",
  "r.shared1 or null",
  "r.nope or 42",
  "r.nope",
  "r ? n5",
  "r ? shared2",
  "r ? nope",
  "r.n1.inner or r.n1",
  "r ? n1.inner",
  "builtins.unsafeGetAttrPos \"n2\" r",
  "builtins.unsafeGetAttrPos \"shared0\" r",
  "builtins.unsafeGetAttrPos \"o1_0\" r",
  "r == m",
  "r == (m // { n0 = -1; })",
  "builtins.removeAttrs r [ \"n0\" \"shared1\" ]",
  "builtins.mapAttrs (n: v: n) r",
  "builtins.intersectAttrs { n1 = 0; shared3 = 0; o0_0 = 0; } r",
  "r // r",
  "(r // { x = 1; }) // { n4 = 2; }",
  "builtins.toJSON r",
  "with r; n2",
  "({ n0, n1, ... }: [ n0 n1 ]) r",
  "({ n0, nope }: n0) r",
  "let inherit (r) n6; in n6",
  "builtins.getAttr \"n7\" r",
  "builtins.hasAttr \"shared4\" r",
  "builtins.catAttrs \"n8\" [ r r ]",
  "builtins.listToAttrs (map (name: { inherit name; value = r.${name}; }) (builtins.attrNames r))",
  "builtins.foldl' (acc: n: acc + (if builtins.isInt r.${n} then r.${n} else 0)) 0 (builtins.attrNames r)",
];

function program(r: SeededRandom): string {
  const size = r.pick([64, 70, 100]);
  const depth = r.pick([1, 2, 5, 31, 32, 33, 40, 70]);
  const overlays: string[] = [];
  for (let level = 0; level < depth; level++) overlays.push(overlay(r, level, size));
  const consumer = r.pick(CONSUMERS);
  // `m`: the same chain merged by a set of 60 names at each step (never layered).
  return `let
  base = ${baseSet(r, size)};
  overlays = [ ${overlays.join(" ")} ];
  apply = set: builtins.foldl' (acc: o: acc // o acc) set overlays;
  r = apply base;
  m = builtins.listToAttrs (map (name: { inherit name; value = r.\${name}; }) (builtins.attrNames r));
in ${consumer}`;
}

function cases(): string[][] {
  const r = new SeededRandom(20261122);
  const out: string[][] = [];
  for (let i = 0; i < 140; i++) {
    const expr = program(r);
    out.push(i % 2 === 0 ? ["--eval", "--strict", "-E", expr] : ["--eval", "-E", expr]);
  }
  return out;
}

test("layered `//` results read like merged sets: values, names, positions and errors match CppNix", { skip: nixSkipReason() }, async () => {
  const all = cases();
  const expected = await pool(all.map((c) => () => theirs(c)));
  let failing = 0;
  let positions = 0;
  for (let i = 0; i < all.length; i++) {
    const args = all[i]!;
    const got = ours(args);
    compare(args.join(" ").slice(-300), got, expected[i]!);
    if (expected[i]!.exitCode !== 0) failing++;
    if (expected[i]!.stdout.includes("column")) positions++;
  }
  // The corpus must exercise errors and positions, not only values.
  assert.ok(failing >= 3, `only ${failing} failing cases`);
  assert.ok(positions >= 3, `only ${positions} cases with positions`);
});

test("a deep overlay chain over a large set evaluates like a merged one (100 levels, every name read)", { skip: nixSkipReason() }, async () => {
  const expr = `let
  base = builtins.listToAttrs (builtins.genList (i: { name = "p\${toString i}"; value = i; }) 500);
  fix = f: let x = f x; in x;
  extends = o: f: self: let super = f self; in super // o self super;
  overlays = builtins.genList (i: self: super: { "o\${toString i}" = i; p0 = super.p0 + 1; p1 = self.p0; }) 100;
  final = fix (builtins.foldl' (f: o: extends o f) (self: base) overlays);
in [ final.p0 final.p1 final.o37 final.p499 (builtins.length (builtins.attrNames final)) (builtins.foldl' (a: n: a + final.\${n}) 0 (builtins.attrNames final)) ]`;
  const args = ["--eval", "--strict", "-E", expr];
  compare("overlay chain", ours(args), await theirs(args));
});

test("layered sets: size, lookups and positions agree with the merged arrays at every depth", () => {
  const r = new SeededRandom(7);
  const baseNames = Array.from({ length: 80 }, (_, i) => `b${String(i).padStart(2, "0")}`);
  let set = NixAttrs.fromSorted(baseNames, baseNames.map((_, i) => i), baseNames.map((_, i) => 1000 + i));
  const expected = new Map(baseNames.map((n, i) => [n, [i, 1000 + i]]));
  let layered = 0;
  for (let level = 0; level < 70; level++) {
    const top = new Map<string, [number, number]>();
    for (let k = r.int(1, 8); k > 0; k--) {
      const name = r.int(0, 2) === 0 ? `new${level}_${k}` : r.pick(baseNames);
      top.set(name, [level * 100 + k, level * 10 + k]);
    }
    const names = [...top.keys()].sort();
    set = set.update(NixAttrs.fromSorted(names, names.map((n) => top.get(n)![0]), names.map((n) => top.get(n)![1])));
    for (const [n, vp] of top) expected.set(n, vp);
    if (set.isLayered()) layered++;
    assert.equal(set.size, expected.size, `size at level ${level}`);
    for (const n of [...top.keys(), "b00", "b79", "absent"]) {
      assert.deepEqual([set.get(n), set.posOf(n), set.has(n)], expected.has(n) ? [...expected.get(n)!, true] : [undefined, 0, false], `${n} at level ${level}`);
    }
  }
  assert.ok(layered >= 60, `only ${layered} layered results`);
  const sortedNames = [...expected.keys()].sort();
  assert.deepEqual(set.names, sortedNames);
  assert.deepEqual(set.values, sortedNames.map((n) => expected.get(n)![0]));
  assert.deepEqual(set.positions, sortedNames.map((n) => expected.get(n)![1]));
  assert.equal(set.isLayered(), false);
});
