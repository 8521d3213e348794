import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonParseError, parseJson, renderJson, type JsonValue } from "../../evaluator/builtins/support/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { makeRandom, nixEval, nixString } from "./support-nix.js";

const skip = nixSkipReason();

function randomString(rand: () => number): string {
  const pieces = ["a", "b", " ", '\\"', "\\\\", "\\/", "\\n", "\\t", "\\u0041", "\\u00e9", "\\u20ac", "\\ud83d\\ude00", "\\u001f", "\u00c3\u00a9", "\u00e2\u0082\u00ac", "$", "{", "\\u0000x"];
  let s = "";
  const n = Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) s += pieces[Math.floor(rand() * pieces.length)];
  return `"${s}"`;
}

function randomNumber(rand: () => number): string {
  const forms = ["0", "-0", "1", "-1", "42", "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "1.5", "-0.0", "1e2", "1E-2", "2.5e+3", "0.1", "123456789012345678901234567890", "1e-400", "3.14159265358979"];
  return forms[Math.floor(rand() * forms.length)]!;
}

function randomJson(rand: () => number, depth = 0): string {
  const r = rand();
  const ws = () => [" ", "", "\n", "\t", "\r\n"][Math.floor(rand() * 5)]!;
  if (depth < 3 && r < 0.2) {
    const n = Math.floor(rand() * 4);
    return "[" + ws() + Array.from({ length: n }, () => randomJson(rand, depth + 1)).join(ws() + "," + ws()) + "]";
  }
  if (depth < 3 && r < 0.4) {
    const n = Math.floor(rand() * 4);
    const keys = ['"a"', '"b"', '"a"', '"\\u00e9"', '""', '"x y"'];
    return "{" + Array.from({ length: n }, () => keys[Math.floor(rand() * keys.length)] + ws() + ":" + ws() + randomJson(rand, depth + 1)).join(",") + ws() + "}";
  }
  if (r < 0.6) return randomString(rand);
  if (r < 0.85) return randomNumber(rand);
  return ["true", "false", "null"][Math.floor(rand() * 3)]!;
}

/** Our value in the normalised form the Nix side produces: scalars tagged with their Nix type. */
function normalise(v: JsonValue): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof Map) return new Map([...v].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, normalise(x)]));
  const t = v === null ? "null" : typeof v === "boolean" ? "bool" : typeof v === "bigint" ? "int" : typeof v === "number" ? "float" : "string";
  return new Map<string, JsonValue>([["t", t], ["v", v]]);
}

test("json: fromJSON agrees with CppNix on random documents (values, int/float, duplicates, escapes)", { skip }, () => {
  const rand = makeRandom(31337);
  const docs: string[] = [];
  for (let i = 0; i < 1500; i++) docs.push(randomJson(rand));
  const norm = "let norm = v: if builtins.isAttrs v then builtins.mapAttrs (_: norm) v else if builtins.isList v then map norm v else { t = builtins.typeOf v; v = v; }; in";
  const expr = `${norm} map (t: norm (builtins.fromJSON t)) [ ${docs.map(nixString).join("\n")} ]`;
  const r = nixEval(expr, "json");
  assert.ok(r.ok, r.stderr);
  // Compare the whole rendered list as text (JSON.parse would lose -0 and big ints).
  const ours = docs.map((doc) => renderJson(normalise(parseJson(doc)) as JsonValue));
  const theirs = r.stdout.trim();
  if ("[" + ours.join(",") + "]" !== theirs) {
    const expected = JSON.parse(theirs) as unknown[];
    const i = ours.findIndex((o, k) => JSON.stringify(JSON.parse(o)) !== JSON.stringify(expected[k]));
    assert.fail(`first difference near doc ${i}: ${JSON.stringify(docs[i])}: ours ${ours[i]} vs ${JSON.stringify(expected[i])}`);
  }
});

test("json: fromJSON errors carry nlohmann's messages as CppNix shows them", { skip }, () => {
  const bad = [
    "", " ", "tru", "trux", "nul", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{\"a\":1,}", "{\"a\":1 \"b\"}", " 1 2", "01", "-", "-a",
    "1.", "1.e5", "1e", "1e+", "1E400", "-1e400", "\"abc", "\"\t\"", "\"\u0001\"", "\"\n\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"",
    "\"\\ud83d\\u0041\"", "\"\\ude00\"", "\"\u00ff\"", "\"\u00c3\"", "\"\u00ed\u00a0\u0080\"", "[", "{", "[1", "{\"a\":1", "]", "x",
    "\n\n  [1,\n 2,]", "\u00ef\u00bb\u00bf1", "\u00ef\u00bb1", "@",
  ];
  for (const doc of bad) {
    const r = nixEval(`builtins.fromJSON ${nixString(doc)}`, "json");
    let ours: string;
    try {
      ours = "ok " + renderJson(parseJson(doc));
    } catch (e) {
      assert.ok(e instanceof JsonParseError, String(e));
      ours = e.message;
    }
    const theirs = r.ok ? "ok " + r.stdout.trim() : (/error: ([^\n]*?)(?: \(use '--show-trace'.*)?$/m.exec(r.stderr)?.[1] ?? r.stderr);
    assert.equal(ours, theirs, `doc ${JSON.stringify(doc)}`);
  }
});

test("json: toJSON string escaping and numbers agree with CppNix", { skip }, () => {
  const rand = makeRandom(5);
  const strings: string[] = [];
  for (let i = 0; i < 300; i++) {
    let s = "";
    const n = Math.floor(rand() * 6);
    for (let j = 0; j < n; j++) s += String.fromCharCode(1 + Math.floor(rand() * 255));
    strings.push(s);
  }
  const values: JsonValue[] = [...strings, 0n, -5n, 9223372036854775807n, 1.5, 0.1, 1e20, 123456789.5, [1n, "x", null, true], new Map<string, JsonValue>([["a", 1n], ["b c", [false]]])];
  const nixValue = (v: JsonValue): string =>
    typeof v === "string" ? nixString(v) : typeof v === "bigint" ? (v < 0n ? `(${v})` : v === 9223372036854775807n ? "9223372036854775807" : String(v)) : typeof v === "number" ? (Number.isInteger(v) ? `${v}.0` : String(v)) : v === null ? "null" : typeof v === "boolean" ? String(v) : Array.isArray(v) ? `[ ${v.map(nixValue).join(" ")} ]` : `{ ${[...v].map(([k, x]) => `${nixString(k)} = ${nixValue(x)};`).join(" ")} }`;
  const expr = `map builtins.toJSON [ ${values.map((v) => `(${nixValue(v)})`).join("\n")} ]`;
  const r = nixEval(expr, "json");
  assert.ok(r.ok, r.stderr);
  const expected = JSON.parse(r.stdout) as string[];
  values.forEach((v, i) => assert.equal(renderJson(v), expected[i], `value ${i}`));
});
