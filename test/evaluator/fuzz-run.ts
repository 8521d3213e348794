/**
 * The fuzzer's command line, for long local runs (CI runs fixed seeds in
 * fuzz-eval.test.ts): `node dist/test/evaluator/fuzz-run.js FAMILY[:MODE] FIRST_SEED
 * SEEDS CASES_PER_SEED`, e.g. `typed:plain 1 50 200`. Prints each difference.
 */
import { generateCases, type Family } from "./fuzz-gen.js";
import { formatMismatches, fuzzCompare, fuzzDir, removeFuzzDir, type Mode } from "./fuzz-harness.js";

const [spec = "typed", first = "1", seeds = "10", perSeed = "100"] = process.argv.slice(2);
const [family, mode = family === "drvFiles" ? "drv" : "plain"] = spec.split(":") as [Family, Mode?];
const dir = fuzzDir();
let cases = 0;
let runs = 0;
let found = 0;
let orderDependent = 0;
let overflow = 0;
const started = Date.now();
try {
  for (let seed = Number(first); seed < Number(first) + Number(seeds); seed++) {
    const stats = await fuzzCompare(generateCases(family, seed, Number(perSeed), mode), mode, dir);
    cases += stats.cases;
    runs += stats.runs;
    found += stats.mismatches.length;
    orderDependent += stats.orderDependent;
    overflow += stats.overflow;
    if (stats.mismatches.length > 0) console.log(`seed ${seed}:\n${formatMismatches(stats.mismatches)}`);
  }
} finally {
  removeFuzzDir(dir);
}
console.log(`${family}:${mode}: ${cases} cases, ${runs} runs per side, ${found} differences, ${orderDependent} order-dependent, ${overflow} overflow (2.8 wraps), ${((Date.now() - started) / 1000).toFixed(1)} s`);
