import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { mapPool } from "../helpers/nix.js";
import { EXCLUDED, listCases, runCase, type CaseKind, type CaseOutcome } from "./upstream-lang-harness.js";

/**
 * The upstream Nix language suite (NixOS/nix tests/functional/lang) against
 * `lading instantiate`, judged as upstream's lang.sh judges CppNix: exit code, stdout
 * against `.exp`/`.exp.xml`, stderr against `.err.exp`. The suite is not in this
 * repository; scripts/upstream-lang.sh extracts it and sets LADING_NIX_LANG_TESTS.
 * Every case must exit and print as expected; stderr (error messages and traces,
 * after lang.sh's path normalisation) is counted per kind and reported, asserted for
 * every case with LADING_NIX_LANG_STRICT_STDERR=1, and held to a floor per kind with
 * LADING_NIX_LANG_MIN_STDERR.
 */
const langDir = process.env.LADING_NIX_LANG_TESTS;
const cliMain = fileURLToPath(new URL("../../cli/main.js", import.meta.url));

if (!langDir) {
  // Not a skipped test: the suite is external (it may not be committed), so without it
  // this file has nothing to run; CI runs no-skip, and a placeholder would count as one.
  process.stderr.write(
    "upstream-lang: LADING_NIX_LANG_TESTS is not set: the upstream suite (NixOS/nix tests/functional/lang) is not in this repository; run scripts/upstream-lang.sh\n",
  );
} else {
  test("upstream Nix language suite", async (t) => {
    assert.ok(existsSync(langDir), `LADING_NIX_LANG_TESTS=${langDir} does not exist`);
    const cases = listCases(langDir);
    assert.ok(cases.length > 100, `only ${cases.length} cases found in ${langDir}`);
    const strictStderr = process.env.LADING_NIX_LANG_STRICT_STDERR === "1";
    const only = process.env.LADING_NIX_LANG_ONLY ? new RegExp(process.env.LADING_NIX_LANG_ONLY) : undefined;
    const chosen = cases.filter((c) => !only || only.test(c.name));
    const outcomes = await mapPool(chosen, Math.max(2, availableParallelism()), async (c) =>
      EXCLUDED.has(c.name) ? undefined : runCase(cliMain, langDir, c),
    );
    const tally = new Map<CaseKind, { pass: number; total: number; stderr: number; message: number; excluded: number }>();
    const report: Record<string, CaseOutcome | string> = {};
    for (const [i, c] of chosen.entries()) {
      const o = outcomes[i];
      const row = tally.get(c.kind) ?? { pass: 0, total: 0, stderr: 0, message: 0, excluded: 0 };
      tally.set(c.kind, row);
      if (!o) {
        row.excluded++;
        report[c.name] = `excluded: ${EXCLUDED.get(c.name)}`;
        await t.test(c.name, { skip: `excluded: ${EXCLUDED.get(c.name)}` }, () => {});
        continue;
      }
      row.total++;
      const passed = o.exitOk && o.stdoutOk && (o.stderrOk || !strictStderr);
      if (passed) row.pass++;
      if (o.stderrOk) row.stderr++;
      if (o.messageOk) row.message++;
      report[c.name] = o;
      await t.test(c.name, () => {
        assert.ok(passed, o.detail);
      });
    }
    const lines = [...tally].map(([kind, r]) => `${kind}: ${r.pass}/${r.total} pass, stderr identical ${r.stderr}/${r.total}, ${kind.endsWith("-fail") ? `error message identical ${r.message}/${r.total}, ` : ""}${r.excluded} excluded`);
    t.diagnostic(lines.join("; "));
    console.log(lines.join("\n"));
    if (process.env.LADING_NIX_LANG_REPORT) writeFileSync(process.env.LADING_NIX_LANG_REPORT, JSON.stringify(report, null, 1));
    // LADING_NIX_LANG_MIN_STDERR="eval-fail=219,parse-okay=13": stderr (error layout and
    // messages) must stay identical for at least that many cases of each kind.
    for (const item of (process.env.LADING_NIX_LANG_MIN_STDERR ?? "").split(",").filter((x) => x !== "")) {
      const [kind, min] = item.split("=") as [CaseKind, string];
      const row = tally.get(kind);
      if (row) assert.ok(row.stderr >= Number(min), `${kind}: stderr identical for ${row.stderr} cases, fewer than ${min}`);
    }
  });
}
