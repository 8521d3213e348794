/**
 * The differential fuzzer's per-area generators (fuzz-gen-areas.ts) on fixed
 * seeds (CI): contexts through string operations, paths, floats, scoping,
 * lambdas, comparisons, JSON/TOML/XML, regular expressions and type errors,
 * evaluated by Lading and by CppNix 2.8, must print the same value or fail with
 * the same error. Longer runs: `node dist/test/evaluator/fuzz-run.js AREA[:MODE] …`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nixSkipReason } from "../helpers/nix.js";
import { AREAS } from "./fuzz-gen-areas.js";
import { generateCases } from "./fuzz-gen.js";
import { formatMismatches, fuzzCompare, fuzzDir, removeFuzzDir, type Mode } from "./fuzz-harness.js";

/** Cases per area (error-heavy areas fewer: each failing case costs a run per side); about 30 s in all. */
const COUNT: Readonly<Record<string, number>> = { contexts: 30, lambdas: 30, compare: 40, typeErrors: 40, paths: 40 };

test("fuzzed programs of each language area evaluate as in CppNix", { skip: nixSkipReason() }, async (t) => {
  const dir = fuzzDir();
  try {
    for (const [i, area] of AREAS.entries()) {
      const mode: Mode = ["floats", "formats", "scoping"].includes(area) && i % 2 === 0 ? "json" : "plain";
      const count = COUNT[area] ?? 80;
      await t.test(`${area} (${mode}), seed ${100 + i}, ${count} cases`, async () => {
        const stats = await fuzzCompare(generateCases(area, 100 + i, count, mode), mode, dir);
        assert.equal(stats.mismatches.length, 0, formatMismatches(stats.mismatches));
      });
    }
  } finally {
    removeFuzzDir(dir);
  }
});
