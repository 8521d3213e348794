/**
 * The parser's warm-up parse (evaluator/syntax/primer.ts): it must be valid Nix
 * that CppNix reads the same way, must not emit lint findings whatever the lint
 * settings, and must leave those settings as they were.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, setLiteralLints, showExpr, type LiteralLints } from "../../evaluator/syntax/index.js";
import { PRIMER_TEXT, primeParser } from "../../evaluator/syntax/primer.js";
import { nixSkipReason } from "../helpers/nix.js";

const skip = nixSkipReason();

test("the warm-up parse emits no lint findings and restores the lint settings", () => {
  const warnings: string[] = [];
  const strict: LiteralLints = { absolutePaths: "fatal", shortPaths: "fatal", urls: "fatal", warn: (m) => warnings.push(m) };
  const before = setLiteralLints(strict);
  try {
    primeParser();
    primeParser(); // once per process: the second call does nothing
    assert.deepEqual(warnings, []);
    assert.equal(setLiteralLints(strict), strict, "the settings in force after priming are the ones set before it");
  } finally {
    setLiteralLints(before);
  }
});

test("the warm-up text prints as CppNix prints it", { skip }, () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "lading-primer-")));
  try {
    const file = join(dir, "primer.nix");
    writeFileSync(file, PRIMER_TEXT, "latin1");
    const theirs = execFileSync("nix-instantiate", ["--parse", file], { encoding: "latin1", env: { ...process.env, HOME: dir } }).replace(/\n$/, "");
    const ours = showExpr(parse(PRIMER_TEXT, file, { home: dir }), { style: "2.8" });
    // Compared sorted by name (CppNix orders `let` bindings and formals by symbol
    // address); the printed `./a/${b}` prefix ends in `/`, which does not parse
    // back, so both texts get the same stand-in for it first.
    const canonical = (printed: string): string =>
      showExpr(parse(printed.replaceAll(`${dir}/a/ +`, `${dir}/a/x +`)), { order: "name", style: "2.8" });
    assert.ok(ours.includes(`${dir}/a/ +`));
    assert.equal(canonical(ours), canonical(theirs));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
