/**
 * Builtins on generated inputs: each test builds one list expression of many
 * random calls that cannot fail, and compares our printed result with CppNix's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { fixtureDir, ours, theirs } from "./builtins-harness.js";
import { makeRandom, nixString } from "./support-nix.js";
import { nixSkipReason } from "../helpers/nix.js";

const skip = nixSkipReason();
const SEED = 20260512;

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function randomString(r: Rand, alphabet: readonly string[], maxLen: number): string {
  let s = "";
  for (let n = int(r, 0, maxLen); n > 0; n--) s += pick(r, alphabet);
  return s;
}

/** Source text (UTF-8 JS string) for a list of the given Nix expressions. */
function list(exprs: string[]): string {
  return "[\n" + exprs.map((e) => `  (${e})\n`).join("") + "]";
}

async function compare(expr: string): Promise<void> {
  const dir = fixtureDir();
  try {
    const expected = await theirs(expr, dir);
    assert.ok(!expected.out.startsWith("error:"), `CppNix failed: ${expected.out}`);
    assert.equal(ours(expr, dir).out, expected.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const str = (s: string): string => nixString(s);

test(`replaceStrings, substring, stringLength on random strings (seed ${SEED})`, { skip }, async () => {
  const r = makeRandom(SEED);
  const alphabet = ["a", "b", "c", "ab", "é", "\n", "$", "{"];
  const exprs: string[] = [];
  for (let i = 0; i < 150; i++) {
    const n = int(r, 0, 3);
    const from = Array.from({ length: n }, () => randomString(r, ["a", "b", "c", "é"], 2));
    const to = Array.from({ length: n }, () => randomString(r, ["x", "yy", ""], 2));
    const s = randomString(r, alphabet, 10);
    exprs.push(`builtins.replaceStrings [ ${from.map(str).join(" ")} ] [ ${to.map(str).join(" ")} ] ${str(s)}`);
    exprs.push(`builtins.substring ${int(r, 0, 12)} (${int(r, -2, 12)}) ${str(s)}`);
    exprs.push(`builtins.stringLength ${str(s)}`);
  }
  await compare(list(exprs));
});

test(`versions on random version strings (seed ${SEED})`, { skip }, async () => {
  const r = makeRandom(SEED + 1);
  const parts = ["1", "2", "10", "0", "pre", "rc", "a", "b", ".", "-", ".", "-", "alpha", "01"];
  const exprs: string[] = [];
  for (let i = 0; i < 200; i++) {
    const a = randomString(r, parts, 6);
    const b = randomString(r, parts, 6);
    exprs.push(`builtins.compareVersions ${str(a)} ${str(b)}`);
    exprs.push(`builtins.splitVersion ${str(a)}`);
    exprs.push(`builtins.parseDrvName ${str(randomString(r, ["foo", "-", "1", "bar", "2.0", "x"], 5))}`);
  }
  await compare(list(exprs));
});

test(`sort with random (also inconsistent) comparators matches std::stable_sort (seed ${SEED})`, { skip }, async () => {
  const r = makeRandom(SEED + 2);
  const exprs: string[] = [];
  for (let i = 0; i < 60; i++) {
    const xs = Array.from({ length: int(r, 0, 40) }, () => int(r, 0, 20));
    const k = int(r, 1, 13);
    const m = int(r, 1, 13);
    const comparator = pick(r, [
      "a: b: a < b",
      "a: b: a <= b",
      "a: b: a > b",
      `a: b: builtins.bitAnd (a * ${k} + b * ${m}) 4 == 0`,
      `a: b: builtins.bitAnd a ${k} < builtins.bitAnd b ${k}`,
    ]);
    exprs.push(`builtins.sort (${comparator}) [ ${xs.join(" ")} ]`);
  }
  await compare(list(exprs));
});

test(`toJSON and fromJSON on random values (seed ${SEED})`, { skip }, async () => {
  const r = makeRandom(SEED + 3);
  const leaf = (): string =>
    pick(r, [
      () => `(${int(r, -1000, 1000)})`,
      () => `(${(r() * 1000 - 500).toFixed(int(r, 1, 6))})`,
      () => str(randomString(r, ["a", "\"", "\\", "\n", "\t", "\u0001", "é", "/", " "], 6)),
      () => pick(r, ["true", "false", "null"]),
    ])();
  const value = (depth: number): string => {
    if (depth > 2 || r() < 0.4) return leaf();
    if (r() < 0.5) return `[ ${Array.from({ length: int(r, 0, 3) }, () => value(depth + 1)).join(" ")} ]`;
    const names = Array.from({ length: int(r, 0, 3) }, () => str(randomString(r, ["a", "b", "Z", "_", "1"], 3)));
    return `{ ${[...new Set(names)].map((n) => `${n} = ${value(depth + 1)};`).join(" ")} }`;
  };
  const exprs: string[] = [];
  for (let i = 0; i < 150; i++) {
    const v = value(0);
    exprs.push(`builtins.toJSON (${v})`);
    exprs.push(`builtins.fromJSON (builtins.toJSON (${v}))`);
  }
  await compare(list(exprs));
});
