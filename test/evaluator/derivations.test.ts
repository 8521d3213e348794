/**
 * Derivations against CppNix: generated package sets give the same .drv paths
 * and byte-identical .drv files (CppNix writes them to /nix/store), and the same
 * drvPath/outPath values under `--readonly-mode --eval --strict`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nixSkipReason } from "../helpers/nix.js";
import { drvFileMismatches, generatePackageSet, oursWithDrvs, theirs } from "./derivations-harness.js";
import { ours as oursEval, theirs as theirsEval } from "./eval-harness.js";

const skip = nixSkipReason();
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

test("generated package sets: .drv paths and .drv bytes as CppNix writes them", { skip }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "lading-drv-"));
  try {
    for (const seed of SEEDS) {
      await t.test(`seed ${seed}`, async () => {
        const dir = join(root, `set${seed}`);
        generatePackageSet(dir, seed, { derivations: 40, drvPathContexts: true });
        const expected = await theirs([join(dir, "default.nix")], dir);
        const got = oursWithDrvs([join(dir, "default.nix")], dir);
        assert.equal(expected.exitCode, 0, `CppNix failed: ${expected.error}`);
        assert.equal(got.error, expected.error);
        assert.equal(got.exitCode, expected.exitCode);
        assert.equal(got.stdout, expected.stdout);
        assert.ok(got.drvs.size >= 40, `made ${got.drvs.size} derivations`);
        assert.deepEqual(drvFileMismatches(got.drvs), []);
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("generated package sets: drvPath and outPath of every output in --readonly-mode", { skip }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "lading-drv-ro-"));
  try {
    for (const seed of SEEDS) {
      await t.test(`seed ${seed}`, async () => {
        const dir = join(root, `set${seed}`);
        generatePackageSet(dir, seed + 100, { derivations: 30, drvPathContexts: false });
        const expr =
          "builtins.concatMap (d: [ d.drvPath d.outPath d.name d.outputName ] ++ map (o: d.${o}.outPath) (d.outputs or [ \"out\" ])) " +
          "(builtins.attrValues (import ./default.nix))";
        const args = ["--readonly-mode", "--eval", "--strict", "-E", expr];
        const expected = await theirsEval(args, dir);
        const got = oursEval(args, dir);
        assert.equal(expected.exitCode, 0, `CppNix failed: ${expected.error}`);
        assert.equal(got.error, expected.error);
        assert.equal(got.stdout, expected.stdout);
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
