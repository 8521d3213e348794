/**
 * The differential fuzzer on fixed seeds (CI): generated programs of every family
 * (fuzz-gen.ts) evaluated in batches by Lading and by CppNix 2.8 must print the
 * same value (plain, --json, --xml) or .drv files, or fail with the same error
 * (2.8's wording mapped to current CppNix's). Longer runs: fuzz-run.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nixSkipReason } from "../helpers/nix.js";
import { generateCases, type Family } from "./fuzz-gen.js";
import { formatMismatches, fuzzCompare, fuzzDir, removeFuzzDir, type Mode } from "./fuzz-harness.js";

/** Family, output mode, seed, number of cases: about 40 s with CppNix on a loaded 2-core machine. */
const RUNS: readonly [Family, Mode, number, number][] = [
  ["typed", "plain", 1, 120],
  ["typed", "json", 2, 60],
  ["typed", "xml", 3, 60],
  ["illTyped", "plain", 4, 60],
  ["strings", "plain", 5, 120],
  ["operators", "plain", 6, 60],
  ["builtins", "plain", 7, 120],
  ["derivations", "plain", 8, 60],
  ["drvFiles", "drv", 9, 60],
  ["drvErrors", "plain", 10, 40],
  ["edgeBuiltins", "plain", 11, 60],
];

test("fuzzed programs evaluate as in CppNix", { skip: nixSkipReason() }, async (t) => {
  const dir = fuzzDir();
  try {
    for (const [family, mode, seed, count] of RUNS) {
      await t.test(`${family} (${mode}), seed ${seed}, ${count} cases`, async () => {
        const stats = await fuzzCompare(generateCases(family, seed, count, mode), mode, dir);
        assert.equal(stats.mismatches.length, 0, formatMismatches(stats.mismatches));
      });
    }
  } finally {
    removeFuzzDir(dir);
  }
});
