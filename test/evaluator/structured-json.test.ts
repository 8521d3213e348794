/**
 * StructuredJsonObject, the writer of a derivation's `__json`: the object it builds
 * attribute by attribute equals `builtins.toJSON` of the same attributes (integers
 * of every width, floats, escapes, nested sets and lists), another object written
 * between two `add`s (a derivation evaluated meanwhile) leaves it intact, and an
 * error frees the scratch so the next object is right.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EvalState, NixAttrs, evalString, getPrimOp, stringBytes, type NixString } from "../../evaluator/index.js";
import { StructuredJsonObject } from "../../evaluator/derivations/structured-json.js";
import { SeededRandom } from "../helpers/random.js";

/** Nix source as the evaluator reads it: its UTF-8 bytes as a byte string. */
function bytes(source: string): string {
  return Buffer.from(source, "utf8").toString("latin1");
}

function toJson(source: string): string {
  const toJSON = getPrimOp("__toJSON")!;
  return stringBytes(toJSON.impl([evalString(bytes(source), "/")], 0) as string | NixString);
}

/** `__json` of a set's attributes, written by StructuredJsonObject. */
function structured(source: string): string {
  const attrs = evalString(bytes(source), "/") as NixAttrs;
  const json = new StructuredJsonObject(new Set());
  attrs.names.forEach((name, i) => json.add(name, attrs.values[i]!, 0));
  return json.finish();
}

/** A random Nix value expression made of JSON-able parts. */
function valueExpr(rng: SeededRandom, depth: number): string {
  const kind = rng.int(0, depth > 0 ? 7 : 4);
  if (kind === 0) return String(rng.pick([0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 123456789, 999999999999999, 2 ** 53 - 1]));
  if (kind === 1) return `(-${rng.int(1, 100000)})`;
  if (kind === 2) return rng.pick(["0.5", "1.0e300", "3.25", "0.1", "true", "false", "null"]);
  if (kind === 3 || kind === 4) return JSON.stringify(rng.string('ab"\\\n\t\r/ é\u0001', rng.int(0, 12))).replace(/\$/g, "\\$");
  if (kind === 5) return `[ ${Array.from({ length: rng.int(0, 4) }, () => valueExpr(rng, depth - 1)).join(" ")} ]`;
  return `{ ${Array.from({ length: rng.int(0, 4) }, (_, i) => `"k${i}\\"${rng.int(0, 9)}" = ${valueExpr(rng, depth - 1)};`).join(" ")} }`;
}

test("an object written attribute by attribute equals builtins.toJSON of the set", () => {
  new EvalState({ readOnly: true });
  const rng = new SeededRandom(41);
  for (let n = 0; n < 300; n++) {
    const attrs = Array.from({ length: rng.int(0, 5) }, (_, i) => `"a${i}${rng.pick(["", "\\\"", "é", "\\\\"])}" = ${valueExpr(rng, 3)};`);
    const source = `{ ${attrs.join(" ")} }`;
    assert.equal(structured(source), toJson(source), source);
  }
});

test("an object written between two adds, or abandoned after an error, leaves the scratch as it was", () => {
  new EvalState({ readOnly: true });
  const outer = new StructuredJsonObject(new Set());
  outer.add("first", evalString(`[ 1 "two" { three = 3; } ]`, "/"), 0);
  // Meanwhile, another derivation's object, finished, and one abandoned after an error.
  const inner = new StructuredJsonObject(new Set());
  inner.add("x", evalString(`{ y = "z"; }`, "/"), 0);
  assert.equal(inner.finish(), `{"x":{"y":"z"}}`);
  const failing = new StructuredJsonObject(new Set());
  failing.add("ok", evalString("1", "/"), 0);
  assert.throws(() => failing.add("bad", evalString(`[ 1 (throw "no") ]`, "/"), 0), /no/);
  failing.abandon();
  assert.throws(() => outer.add("fn", evalString(`[ 2 (x: x) ]`, "/"), 0), /cannot convert a function to JSON/);
  outer.add("second", evalString(`0.5`, "/"), 0);
  assert.equal(outer.finish(), `{"first":[1,"two",{"three":3}],"second":0.5}`);
  const next = new StructuredJsonObject(new Set());
  assert.equal(next.finish(), "{}");
});
