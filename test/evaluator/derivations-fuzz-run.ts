/**
 * The derivation fuzzer's command line, for long local runs (CI runs fixed seeds
 * in derivations-fuzz.test.ts): `node dist/test/evaluator/derivations-fuzz-run.js
 * FAMILY FIRST_SEED SEEDS CASES_PER_SEED`, FAMILY one of files, probes, errors.
 * Prints each difference.
 */
import { generateDrvCases, writeDrvFixture, type DrvFamily } from "./derivations-fuzz-gen.js";
import { formatMismatches, fuzzCompare, fuzzDir, removeFuzzDir } from "./fuzz-harness.js";
import { DRV_FUZZ_MODES } from "./derivations-fuzz-modes.js";

const [family = "files", first = "1", seeds = "10", perSeed = "40"] = process.argv.slice(2) as [DrvFamily?, string?, string?, string?];
const { mode, batch } = DRV_FUZZ_MODES[family];
const dir = fuzzDir();
let cases = 0;
let runs = 0;
let found = 0;
const started = Date.now();
try {
  for (let seed = Number(first); seed < Number(first) + Number(seeds); seed++) {
    const stats = await fuzzCompare(generateDrvCases(family, seed, Number(perSeed)), mode, dir, batch, writeDrvFixture);
    cases += stats.cases;
    runs += stats.runs;
    found += stats.mismatches.length;
    if (stats.mismatches.length > 0) console.log(`seed ${seed}:\n${formatMismatches(stats.mismatches)}`);
  }
} finally {
  removeFuzzDir(dir);
}
console.log(`${family}:${mode}: ${cases} cases, ${runs} runs per side, ${found} differences, ${((Date.now() - started) / 1000).toFixed(1)} s`);
