import { test } from "node:test";
import assert from "node:assert/strict";
import { FloatLiteralError, floatToString, formatGeneral, parseFloatLiteral, showFloat } from "../../evaluator/builtins/support/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { makeRandom, nixEval, nixEvalJson } from "./support-nix.js";

const skip = nixSkipReason();

/** A random Nix float literal (valid grammar), spread over many magnitudes and digit counts. */
function randomLiteral(rand: () => number): string {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join("");
  const r = rand();
  if (r < 0.15) return `${1 + Math.floor(rand() * 9)}${digits(Math.floor(rand() * 4))}.${digits(Math.floor(rand() * 3))}`;
  if (r < 0.3) return `0.${"0".repeat(Math.floor(rand() * 6))}${digits(1 + Math.floor(rand() * 8))}`;
  if (r < 0.4) return `.${digits(1 + Math.floor(rand() * 20))}`;
  // Ties for 6 significant digits / 6 decimals (binary-exact halves) and other short forms.
  if (r < 0.5) return `${1 + Math.floor(rand() * 9)}.${digits(Math.floor(rand() * 6))}5`;
  const exp = Math.floor(rand() * 600) - 300;
  return `${1 + Math.floor(rand() * 9)}.${digits(Math.floor(rand() * 17))}e${exp >= 0 && rand() < 0.5 ? "+" : ""}${exp}`;
}

/** A Nix expression for a value whose double the test knows: a literal, or arithmetic on literals. */
function randomFloatExpr(rand: () => number): [string, number] {
  const lit = randomLiteral(rand);
  const v = parseFloatLiteral(lit);
  const r = rand();
  if (r < 0.5) return [lit, v];
  if (r < 0.7) return [`(${lit} / 3)`, v / 3];
  if (r < 0.8) return [`(0 - ${lit})`, 0 - v];
  if (r < 0.9) return [`(${lit} * 1024)`, v * 1024];
  const k = 1 + Math.floor(rand() * 1000);
  return [`(${k} / 128.0)`, k / 128]; // binary-exact values with ties at 6 digits
}

test("float-format: %g printing and toString agree with CppNix on random doubles", { skip }, () => {
  const seed = 4242;
  const rand = makeRandom(seed);
  const cases: [string, number][] = [];
  for (let i = 0; i < 2500; i++) cases.push(randomFloatExpr(rand));
  cases.push(["(0.0 - 0.0)", 0], ["((0 - 1.0) * 0.0)", -0], ["1.0e308", 1e308], ["2.2250738585072014e-308", 2.2250738585072014e-308]);
  const expr = `map (x: [ (toString x) (builtins.toJSON x) ]) [ ${cases.map(([e]) => e).join(" ")} ]`;
  const expected = nixEvalJson(expr) as [string, string][];
  const plain = nixEval(`[ ${cases.map(([e]) => e).join(" ")} ]`, "plain");
  assert.ok(plain.ok, plain.stderr);
  const printed = plain.stdout.trim().replace(/^\[ | \]$/g, "").split(" ");
  cases.forEach(([e, v], i) => {
    assert.equal(floatToString(v), expected[i]![0], `toString ${e} (seed ${seed})`);
    assert.equal(showFloat(v), expected[i]![1], `toJSON ${e}`);
    assert.equal(showFloat(v), printed[i], `print ${e}`);
  });
});

test("float-format: inf and nan print as CppNix prints them", { skip }, () => {
  const inf = "(1.0e308 * 10)";
  const exprs: [string, number][] = [
    [inf, Infinity],
    [`(0 - ${inf})`, -Infinity],
    [`(${inf} - ${inf})`, Infinity - Infinity],
    [`(0 - (${inf} - ${inf}))`, 0 - (Infinity - Infinity)],
  ];
  const plain = nixEval(`[ ${exprs.map(([e]) => e).join(" ")} ]`, "plain");
  const strings = nixEval(`[ ${exprs.map(([e]) => `(toString ${e}) (builtins.toJSON ${e})`).join(" ")} ]`, "plain");
  const printed = plain.stdout.trim().replace(/^\[ | \]$/g, "").split(" ");
  const texts = strings.stdout.trim().replace(/^\[ | \]$/g, "").split(" ").map((s) => JSON.parse(s) as string);
  exprs.forEach(([e, v], i) => {
    assert.equal(showFloat(v), printed[i], e);
    assert.equal(floatToString(v), texts[2 * i], `toString ${e}`);
    assert.equal(showFloat(v), texts[2 * i + 1], `toJSON ${e}`);
  });
});

test("float-format: literals parse to the same doubles, and the same ones are rejected", { skip }, () => {
  const rand = makeRandom(99);
  const valid: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const lit = randomLiteral(rand);
    if (Math.abs(parseFloatLiteral(lit)) >= 2.2250738585072014e-308 || parseFloatLiteral(lit) === 0) valid.push(lit);
  }
  // Compare each literal against our double written with 17 significant digits.
  const checks = valid.map((lit) => `(${lit} == ${parseFloatLiteral(lit).toExponential(16)})`);
  const results = nixEvalJson(`[ ${checks.join(" ")} ]`) as boolean[];
  results.forEach((ok, i) => assert.ok(ok, `literal ${valid[i]}`));

  const edge = [
    "1.0e400", "1.0e-400", "2.0e-308", "9.0e-309", "1.0e308", "1.7976931348623158e308", "1.7976931348623159e308",
    "2.2250738585072014e-308", "2.2250738585072011e-308", "0.0e-999", "0.0e999", "4.9406564584124654e-324",
    // 2^-1030 written out exactly: an exact subnormal, which strtod accepts.
    "0." + "0".repeat(1030 - (5n ** 1030n).toString().length) + (5n ** 1030n).toString(),
    "1.5", ".5",
  ];
  for (const lit of edge) {
    const r = nixEval(lit, "plain");
    let ours: string;
    try {
      ours = showFloat(parseFloatLiteral(lit));
    } catch (e) {
      assert.ok(e instanceof FloatLiteralError);
      ours = e.message;
    }
    const theirs = r.ok ? r.stdout.trim() : (/error: (.*)/.exec(r.stderr)?.[1] ?? r.stderr);
    assert.equal(ours, theirs, lit);
  }
});

test("float-format: text outside Nix's float grammar is rejected", () => {
  for (const text of ["00.5", "1e5", "1.", "-1.5", "0x1p3", "inf", ""]) {
    if (text === "1.") continue; // `1.` is a valid literal ([1-9][0-9]*\.[0-9]*)
    assert.throws(() => parseFloatLiteral(text), FloatLiteralError, text);
  }
  assert.equal(parseFloatLiteral("1."), 1);
});

test("float-format: %g precision argument", () => {
  assert.equal(formatGeneral(123456789, 17), "123456789");
  assert.equal(formatGeneral(0.1, 17), "0.10000000000000001");
  assert.equal(formatGeneral(1e-5, 1), "1e-05");
});
