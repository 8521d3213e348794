import { test } from "node:test";
import assert from "node:assert/strict";
import { compareAttrNames, printAttrName, printString } from "../../evaluator/builtins/support/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { makeRandom, nixEval, nixString } from "./support-nix.js";

const skip = nixSkipReason();

function randomBytes(rand: () => number, pool: string[]): string {
  let s = "";
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) s += pool[Math.floor(rand() * pool.length)];
  return s;
}

const POOL = ["a", "Z", "_", "'", "-", "0", "9", " ", '"', "\\", "$", "{", "}", "${", "$$", "\n", "\r", "\t", "\u0001", "\u001f", "\u007f", "\u00c3\u00a9", "\u00ff", ".", "if", "then", "rec"];

test("string-escape: string values and attribute names print as in CppNix", { skip }, () => {
  const rand = makeRandom(2718);
  const entries = new Map<string, string>();
  for (let i = 0; i < 600; i++) entries.set(randomBytes(rand, POOL), randomBytes(rand, POOL));
  for (const kw of ["if", "then", "else", "let", "in", "rec", "with", "inherit", "assert", "or", ""]) entries.set(kw, kw);
  const expr = `{ ${[...entries].map(([k, v]) => `${nixString(k)} = ${nixString(v)};`).join("\n")} }`;
  const r = nixEval(expr, "plain");
  assert.ok(r.ok, r.stderr);
  const ours = "{ " + [...entries].sort(([a], [b]) => compareAttrNames(a, b)).map(([k, v]) => `${printAttrName(k)} = ${printString(v)}; `).join("") + "}";
  const theirs = r.stdout.replace(/\n$/, "");
  if (ours !== theirs) {
    const a = ours.split("; ");
    const b = theirs.split("; ");
    const i = a.findIndex((x, k) => x !== b[k]);
    assert.fail(`first difference: ours ${JSON.stringify(a[i])} vs CppNix ${JSON.stringify(b[i])}`);
  }
});
