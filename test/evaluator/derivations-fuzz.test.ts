/**
 * The derivation fuzzer on fixed seeds (CI): generated derivation graphs
 * (derivations-fuzz-gen.ts) instantiated by Lading and by CppNix 2.8 must give
 * byte-identical .drv files, the same --json data about them, or the same error.
 * Longer runs: derivations-fuzz-run.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nixSkipReason } from "../helpers/nix.js";
import { generateDrvCases, writeDrvFixture, type DrvFamily } from "./derivations-fuzz-gen.js";
import { DRV_FUZZ_MODES } from "./derivations-fuzz-modes.js";
import { formatMismatches, fuzzCompare, fuzzDir, removeFuzzDir } from "./fuzz-harness.js";

/** Family, seed, number of cases: about 40 s with CppNix on a loaded 2-core machine. */
const RUNS: readonly [DrvFamily, number, number][] = [
  ["files", 1, 160],
  ["probes", 2, 140],
  ["errors", 3, 80],
];

test("fuzzed derivations instantiate as in CppNix", { skip: nixSkipReason() }, async (t) => {
  const dir = fuzzDir();
  try {
    for (const [family, seed, count] of RUNS) {
      const { mode, batch } = DRV_FUZZ_MODES[family];
      await t.test(`${family} (${mode}), seed ${seed}, ${count} cases`, async () => {
        const stats = await fuzzCompare(generateDrvCases(family, seed, count), mode, dir, batch, writeDrvFixture);
        assert.equal(stats.mismatches.length, 0, formatMismatches(stats.mismatches));
      });
    }
  } finally {
    removeFuzzDir(dir);
  }
});
