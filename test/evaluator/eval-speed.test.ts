/**
 * The fast paths of the compiled evaluator: `//` merges (binary-search placement,
 * shared names), the inlined `-`/`<`/`+` on integers (overflow included), lazy
 * applications of map/genList, lambda calls entered directly, and dropping parsed
 * source texts while positions keep resolving. Generated cases are compared with
 * CppNix; the data-structure checks compare with a plain reference model.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EvalState, NixAttrs, addSource, evalFile, forceDeep, printValue, resolvePos, sourceOf, type Lazy } from "../../evaluator/index.js";
import { SeededRandom } from "../helpers/random.js";
import { differential, strictExprs } from "./eval-harness.js";

/** A set expression `{ k1 = v; … }` with `n` names drawn from `pool` names. */
function setExpr(r: SeededRandom, n: number, pool: number, tag: number): string {
  const names = new Set<number>();
  while (names.size < Math.min(n, pool)) names.add(r.int(0, pool - 1));
  return `{ ${[...names].map((i) => `a${i} = ${tag * 1000 + i};`).join(" ")} }`;
}

function mergeCases(): string[] {
  const r = new SeededRandom(2024);
  const out: string[] = [];
  for (let i = 0; i < 30; i++) {
    const big = r.int(0, 200);
    const small = r.pick([0, 1, 2, 5, big]);
    const pool = r.pick([10, 300]);
    const left = setExpr(r, big, pool, 1);
    const right = setExpr(r, small, pool, 2);
    out.push(`let s = ${left} // ${right}; in [ (builtins.attrNames s) (builtins.attrValues s) ]`);
  }
  // Overrides only (the shared-names path), chained as overlays do.
  out.push(
    `let base = builtins.listToAttrs (builtins.genList (i: { name = "p\${toString i}"; value = i; }) 100);` +
      ` s = builtins.foldl' (acc: i: acc // { "p\${toString (i * 7 - (i * 7) / 100 * 100)}" = -i; }) base (builtins.genList (x: x) 40);` +
      ` in [ (builtins.attrNames s) (builtins.attrValues s) (base.p7) ]`,
  );
  return out;
}

// CppNix 2.8 wraps on overflow where Lading (like later CppNix) reports it, so the
// differential cases stay inside the range.
const arithmetic = [
  "9223372036854775807 - 1",
  "(-9223372036854775807) - 1",
  "9223372036854775806 + 1",
  "(-9223372036854775807 - 1) < 9223372036854775807",
  "1 < 1.5",
  "2.5 - 1",
  "1 - 2.5",
  "[ (3 < 2) (2 < 3) (\"a\" < \"b\") ]",
  "let f = a: b: a - b; in f 10 3",
  "\"a\" - 1",
  "1 < \"a\"",
];

const calls = [
  // In this process's default 1 MiB stack (deep recursion is tested through bin/lading's
  // raised stack in test/cli/startup and eval-cli).
  "let sum = n: if n == 0 then 0 else n + sum (n - 1); in sum 1200",
  "let f = { a, b ? a + 1, ... }@args: [ a b (builtins.length (builtins.attrNames args)) ]; in [ (f { a = 1; }) (f { a = 1; b = 5; c = 3; }) ]",
  "let f = { a }: a; in f { a = 1; b = 2; }",
  "let f = { a, b }: a; in f { a = 1; }",
  "let compose = f: g: x: f (g x); inc = x: x + 1; in (compose inc inc) 5",
  "let x = x + 1; in x",
  "let xs = map (x: 10 / x) [ 1 2 0 ]; in builtins.elemAt xs 1",
  "let xs = map (x: 10 / x) [ 1 2 0 ]; in builtins.elemAt xs 2",
  "builtins.genList (i: if i == 3 then throw \"three\" else i) 3",
  "(builtins.genList (i: if i == 3 then throw \"three\" else i) 5)",
  "with { a = 1; }; with { b = 2; }; a + b",
  "let a = 5; in with { a = 1; }; a",
  "rec { a = b + 1; b = 2; c = { inherit a; }; }.c.a",
  "({ x = 1; } // { y = 2; }).y",
  'builtins.foldl\' (acc: x: acc // { "${toString x}" = x; }) { } [ 3 1 2 ]',
];

differential("compiled evaluator: // merges match CppNix", strictExprs(mergeCases()));
differential("compiled evaluator: integer fast paths match CppNix", strictExprs(arithmetic));
differential("compiled evaluator: calls, thunks, with-scopes match CppNix", strictExprs(calls));

test("NixAttrs.update agrees with a Map-based reference (values and positions)", () => {
  const r = new SeededRandom(7);
  // Sets with positions (literals) or without (builtins' results: the shared zero arrays).
  const mk = (n: number, pool: number, tag: string, base: number): NixAttrs => {
    const m = new Map<string, Lazy>();
    for (let i = 0; i < n; i++) {
      const k = `n${r.int(0, pool)}`;
      m.set(k, `${tag}${k}`);
    }
    const set = NixAttrs.fromMap(m);
    if (r.int(0, 2) === 0) return set;
    return NixAttrs.fromSorted(set.names, set.values, set.names.map((_, i) => base + i * 7 + r.int(0, 3)));
  };
  for (let i = 0; i < 500; i++) {
    const pool = r.pick([5, 50, 2000]);
    const a = mk(r.int(0, 400), pool, "a", 1000);
    // Sometimes overrides of existing names with their own positions (the shared-positions path).
    const k = Math.min(3, a.size);
    const b =
      r.int(0, 4) === 0
        ? NixAttrs.fromSorted(a.names.slice(0, k), ["x", "y", "z"].slice(0, k), a.positions.slice(0, k))
        : mk(r.pick([0, 1, 3, r.int(0, 400)]), pool, "b", 5000);
    const merged = a.update(b);
    const ref = new Map<string, [Lazy, number]>();
    for (const s of [a, b]) s.names.forEach((name, j) => ref.set(name, [s.values[j]!, s.positions[j]!]));
    assert.deepEqual([...merged.names], [...ref.keys()].sort());
    assert.equal(merged.values.length, merged.names.length);
    assert.equal(merged.positions.length, merged.names.length);
    merged.names.forEach((name, j) => {
      assert.equal(merged.get(name), ref.get(name)![0]);
      assert.equal(merged.values[j], ref.get(name)![0]);
      assert.equal(merged.positions[j], ref.get(name)![1]);
      assert.equal(merged.posOf(name), ref.get(name)![1]);
    });
  }
});

test("file sources drop their text but keep resolving positions", () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-eval-speed-"));
  const first = join(dir, "first.nix");
  const text = "let\n  a = 1;\r\n  b = \"\u00e9\";\nin a\n";
  writeFileSync(first, text, "latin1");
  const src = addSource(first, text, "file");
  const at = (needle: string): number => src.base + text.indexOf(needle);
  const before = [at("a ="), at("b ="), at("in")].map((p) => resolvePos(p));
  // Many later files push the first one out of the recent-texts cache.
  for (let i = 0; i < 200; i++) addSource(join(dir, `f${i}.nix`), `{ x${i} = ${i}; }\n`, "file");
  const after = [at("a ="), at("b ="), at("in")].map((p) => resolvePos(p));
  assert.deepEqual(after, before);
  assert.deepEqual(before.map((p) => [p!.line, p!.column]), [[2, 3], [3, 3], [4, 1]]);
  // The text comes back from disk when asked for.
  assert.equal(sourceOf(at("in"))!.text, text);
  // Strings given with -E are not files: kept.
  const expr = "1 + 2";
  const s = addSource("", expr, "string");
  for (let i = 0; i < 100; i++) addSource(join(dir, `g${i}.nix`), "{ }\n", "file");
  assert.equal(s.text, expr);
});

test("parsed files are shared across EvalStates but re-read when they change", () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-eval-speed-"));
  const file = join(dir, "f.nix");
  const evalIn = (): string => {
    new EvalState({ readOnly: true });
    return printValue(forceDeep(evalFile(file)));
  };
  writeFileSync(file, "{ a = 1; b = [ 2 ]; }\n");
  assert.equal(evalIn(), "{ a = 1; b = [ 2 ]; }");
  assert.equal(evalIn(), "{ a = 1; b = [ 2 ]; }");
  // Same size, later mtime: parsed again.
  writeFileSync(file, "{ a = 7; b = [ 3 ]; }\n");
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.equal(evalIn(), "{ a = 7; b = [ 3 ]; }");
  writeFileSync(file, "let f = { zeta, alpha }: 1; in f { }\n");
  const errorOf = (): string => {
    try {
      evalIn();
      return "";
    } catch (err) {
      return (err as Error).message;
    }
  };
  // The missing argument CppNix names depends on symbol order: the same from the cache.
  const first = errorOf();
  assert.match(first, /called without required argument 'zeta'/);
  assert.equal(errorOf(), first);
});
