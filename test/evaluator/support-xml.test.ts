import { test } from "node:test";
import assert from "node:assert/strict";
import { renderXml, type XmlAttr, type XmlValue } from "../../evaluator/builtins/support/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { makeRandom, nixEval, nixEvalJson, nixString } from "./support-nix.js";

const skip = nixSkipReason();

/** A random value as a Nix expression together with its XML description. */
function randomValue(rand: () => number, depth = 0): [string, XmlValue] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const strs = ["", "a", '<&>"', "line\nbreak", "tab\there", "\u00c3\u00a9", "'", "${x}"];
  const r = rand();
  if (depth < 3 && r < 0.15) {
    const n = Math.floor(rand() * 4);
    const items = Array.from({ length: n }, () => randomValue(rand, depth + 1));
    return [`[ ${items.map(([e]) => `(${e})`).join(" ")} ]`, { kind: "list", items: items.map(([, v]) => v) }];
  }
  if (depth < 3 && r < 0.3) {
    const names = [...new Set(Array.from({ length: Math.floor(rand() * 4) }, () => pick(["a", "b", "z y", "é", "A", "_x", "<n>"])))];
    const vals = names.map(() => randomValue(rand, depth + 1));
    const attrs: XmlAttr[] = names.map((name, i) => ({ name, value: vals[i]![1] }));
    const body = names.map((name, i) => `${nixString(name)} = ${vals[i]![0]};`).join(" ");
    if (rand() < 0.3) {
      const drvPath = pick(["/nix/store/a.drv", "/nix/store/b.drv", ""]);
      attrs.push({ name: "type", value: { kind: "string", value: "derivation" } }, { name: "drvPath", value: { kind: "string", value: drvPath } }, { name: "outPath", value: { kind: "string", value: "/out" } });
      return [`{ ${body} type = "derivation"; drvPath = ${nixString(drvPath)}; outPath = "/out"; }`, { kind: "derivation", drvPath, outPath: "/out", attrs }];
    }
    return [`{ ${body} }`, { kind: "attrs", attrs }];
  }
  if (r < 0.4) {
    const s = pick(strs);
    return [nixString(s), { kind: "string", value: s }];
  }
  if (r < 0.5) {
    const n = BigInt(Math.floor(rand() * 2000) - 1000);
    return [n < 0n ? `(${n})` : String(n), { kind: "int", value: n }];
  }
  if (r < 0.55) {
    const f = pick(["1.5", "0.1", "1.0e20", "123456.75"]);
    return [f, { kind: "float", value: Number(f) }];
  }
  if (r < 0.6) return ["null", { kind: "null" }];
  if (r < 0.7) {
    const b = rand() < 0.5;
    return [String(b), { kind: "bool", value: b }];
  }
  if (r < 0.75) return ["/some/path", { kind: "path", value: "/some/path" }];
  if (r < 0.8) return ["x: x", { kind: "lambda", arg: "x" }];
  if (r < 0.85) return ["{ b, a ? 1, ... }@args: a", { kind: "lambda", arg: "args", formals: { names: ["b", "a"], ellipsis: true } }];
  if (r < 0.9) return ["{ q }: q", { kind: "lambda", formals: { names: ["q"], ellipsis: false } }];
  if (r < 0.95) return ["builtins.add 1", { kind: "unevaluated" }];
  return ["builtins.head", { kind: "unevaluated" }];
}

test("xml: builtins.toXML agrees with CppNix on random values", { skip }, () => {
  const rand = makeRandom(1618);
  const cases = Array.from({ length: 300 }, () => randomValue(rand));
  const expected = nixEvalJson(`[ ${cases.map(([e]) => `(builtins.toXML (${e}))`).join("\n")} ]`) as string[];
  cases.forEach(([e, v], i) => assert.equal(renderXml(v), expected[i], `value ${e}`));
});

test("xml: nix-instantiate --eval --xml with attribute positions", { skip }, () => {
  const rand = makeRandom(7);
  const attrs: XmlAttr[] = [];
  let src = "{\n";
  for (let i = 0; i < 40; i++) {
    const [e, v] = randomValue(rand, 3);
    const name = `n${i}`;
    src += `  ${name} = ${e};\n`;
    // A lambda's position is where its expression starts.
    if (v.kind === "lambda") v.pos = { path: "", line: i + 2, column: 3 + name.length + 3 };
    attrs.push({ name, value: v, pos: { path: "", line: i + 2, column: 3 } });
  }
  src += "}\n";
  const r = nixEval(src, "xml");
  assert.ok(r.ok, r.stderr);
  const file = /path="([^"]*expr\.nix)"/.exec(r.stdout)?.[1] ?? "";
  for (const a of attrs) {
    a.pos!.path = file;
    const v = a.value as XmlValue;
    if (v.kind === "lambda") v.pos!.path = file;
  }
  assert.equal(renderXml({ kind: "attrs", attrs }, { location: true }), r.stdout);
});
