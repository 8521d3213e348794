/**
 * `inherit (src) a b;` evaluates `src` once per instantiation of the set or let,
 * as current CppNix does (one shared thunk; upstream eval-okay-inherit-from's
 * .err.exp has a single `trace: used`). CppNix 2.8, the oracle installed here,
 * still evaluates it once per selected name: values are compared with 2.8, the
 * number of `builtins.trace` lines of the source with both rules (2.8's count,
 * one per forced name, shows the generated program really forces those names).
 * Cases are generated from a fixed seed over every form that builds a scope with
 * inherits: sets, rec sets, let, dynamic attributes, `__overrides`, merged
 * nested sets, sources that are calls, selections and `with` variables.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { instantiate, setTraceSink } from "../../evaluator/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { mapPool, nixSkipReason, runNixAsync } from "../helpers/nix.js";
import { mulberry32 } from "../helpers/random.js";
import { differential, strictExprs } from "./eval-harness.js";

interface Case {
  expr: string;
  /** Instantiations of the set whose inherited names are forced. */
  instances: number;
  /** Distinct names forced per instantiation. */
  forced: number;
}

const NAMES = ["a", "b", "c", "d"];

/** Generated cases: a shape × which names are inherited × which of them are used. */
function cases(): Case[] {
  const rand = mulberry32(20261122);
  const out: Case[] = [];
  const source = (k: number): string => {
    const set = `{ ${NAMES.map((n, i) => `${n} = ${i + k};`).join(" ")} }`;
    switch (k % 4) {
      case 0:
        return `builtins.trace "src" ${set}`;
      case 1:
        return `(x: builtins.trace "src" x) ${set}`;
      case 2:
        return `(builtins.trace "src" { inner = ${set}; }).inner`;
      default:
        return `mk ${k}`;
    }
  };
  const prelude = `mk = k: builtins.trace "src" { ${NAMES.map((n, i) => `${n} = ${i} + k;`).join(" ")} };`;
  for (let i = 0; i < 48; i++) {
    const count = 1 + Math.floor(rand() * NAMES.length);
    const inherited = NAMES.slice(0, count);
    const forcedNames = inherited.filter(() => rand() < 0.7);
    const forced = forcedNames.length;
    const src = source(i);
    const list = `[ ${forcedNames.map((n) => `s.${n}`).join(" ")} ]`;
    const inh = `inherit (${src}) ${inherited.join(" ")};`;
    const shape = i % 8;
    let expr: string;
    let instances = 1;
    switch (shape) {
      case 0:
        expr = `let ${prelude} s = { ${inh} z = 0; }; in ${list}`;
        break;
      case 1:
        expr = `let ${prelude} s = rec { ${inh} z = ${forcedNames[0] ?? "0"}; }; in [ s.z ] ++ ${list}`;
        break;
      case 2:
        expr = `let ${prelude} ${inh} in [ ${forcedNames.join(" ")} ]`;
        break;
      case 3:
        expr = `let ${prelude} s = { ${inh} "\${"dyn"}" = 1; }; in [ s.dyn ] ++ ${list}`;
        break;
      case 4:
        expr = `let ${prelude} s = rec { ${inh} __overrides = { z = 1; }; z = 0; }; in [ s.z ] ++ ${list}`;
        break;
      case 5:
        expr = `let ${prelude} t = { s = { ${inh} }; s.z = 0; }; s = t.s; in ${list}`;
        break;
      case 6:
        // Two instantiations of the same set expression: one source evaluation each.
        expr = `let ${prelude} f = _: { ${inh} }; in builtins.concatMap (s: ${list}) [ (f 1) (f 2) ]`;
        instances = 2;
        break;
      default:
        expr = `let ${prelude} in with { w = ${src}; }; let s = { inherit (w) ${inherited.join(" ")}; }; in ${list}`;
        break;
    }
    out.push({ expr, instances: forced === 0 ? 0 : instances, forced });
  }
  return out;
}

function ours(expr: string): { stdout: string; traces: number } {
  let traces = 0;
  const prev = setTraceSink((line) => {
    if (line === "trace: src") traces++;
  });
  try {
    const r = instantiate({ ...parseInstantiateArgs(["--eval", "--strict", "-E", expr]), cwd: process.cwd(), nixPath: "" });
    assert.equal(r.exitCode, 0, `${expr}: ${r.stderr}`);
    return { stdout: r.stdout, traces };
  } finally {
    setTraceSink(prev);
  }
}

test("inherit (src) evaluates src once per instantiation; values match CppNix", { skip: nixSkipReason() }, async () => {
  const all = cases();
  const theirs = await mapPool(all, 8, (c) => runNixAsync("nix-instantiate", ["--eval", "--strict", "-E", c.expr]));
  let sharedSources = 0;
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    const t = theirs[i]!;
    assert.equal(t.exitCode, 0, `${c.expr}: CppNix failed: ${t.stderr}`);
    const mine = ours(c.expr);
    assert.equal(mine.stdout, t.stdout, c.expr);
    const theirTraces = t.stderr.split("\n").filter((l) => l === "trace: src").length;
    // 2.8: once per forced name and instantiation (the `with` case's source is a shared binding).
    const sharedByBinding = c.expr.includes("with { w =");
    assert.equal(theirTraces, sharedByBinding ? Math.min(1, c.instances) : c.forced * c.instances, `${c.expr}: CppNix 2.8's trace count`);
    assert.equal(mine.traces, c.instances, `${c.expr}: our trace count`);
    if (c.forced > 1 && !sharedByBinding) sharedSources++;
  }
  // The generator must produce cases where sharing is observable.
  assert.ok(sharedSources >= 10, `only ${sharedSources} cases force two or more names`);
});

// Errors through a shared source: the same messages as CppNix (frames: see eval-harness).
differential(
  "inherit (src) errors (missing name, failing or non-set source, recursion) match CppNix",
  strictExprs([
    "{ inherit ({ a = 1; }) a b; }.b",
    "let inherit (throw \"no source\") a b; in a",
    "rec { inherit (x) a; x = { a = a; }; }.a",
    "let s = { inherit (1 + 1) a; }; in s.a",
    "let s = rec { inherit ({ a = s.b; }) a b; }; in s.a",
  ]),
);
