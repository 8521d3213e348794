/**
 * The derivation hot path's shortcuts give what the exact ways give: `%g` of
 * floats from JS's shortest form, structured attributes' JSON written straight
 * from values (against `builtins.toJSON`), the ATerm's quoting of long strings with
 * escapes and non-ASCII bytes, and sha256 store paths from string digests — checked
 * against the slow paths in-process and against CppNix's .drv files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatGeneral, showFloat } from "../../evaluator/builtins/support/index.js";
import { DerivationRender, Hash, makeStorePath, parseDerivation, renderInputDrvs, sha256Hex, storePathFromHex, hashBytes, type Derivation, type TextOptions } from "../../store/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { SeededRandom } from "../helpers/random.js";
import { drvFileMismatches, nixString, oursWithDrvs, theirs } from "./derivations-harness.js";
import { EvalState, NixString, evalString, fromFsPath, getPrimOp, stringBytes, stringContext } from "../../evaluator/index.js";
import { structuredJson } from "../../evaluator/derivations/structured-json.js";

const skip = nixSkipReason();

/** An integer in [0, n). */
function below(rng: SeededRandom, n: number): number {
  return rng.int(0, n - 1);
}

/** Floats of every kind the fast path must accept or refuse correctly. */
function floats(rng: SeededRandom, n: number): number[] {
  const out = [0.5, 1e-4, 0.0001, 9.99999e-5, 999999, 999999.5, 123456, 1234567, 120000, 0.1, 0.3, 1 / 3, 2 / 3, 1e6, 1e-5, -0.5, -0, 0, 100];
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < n; i++) {
    const digits = 1 + below(rng, 9);
    let mantissa = "";
    for (let d = 0; d < digits; d++) mantissa += String(d === 0 ? 1 + below(rng, 9) : below(rng, 10));
    const exp = below(rng, 16) - 8;
    out.push((below(rng, 2) === 0 ? 1 : -1) * Number(`${mantissa}e${exp - digits + 1}`));
    view.setUint32(0, below(rng, 2 ** 32) >>> 0);
    view.setUint32(4, below(rng, 2 ** 32) >>> 0);
    out.push(view.getFloat64(0));
  }
  return out;
}

test("showFloat's shortcut prints what printf's %g prints (the exact formatter)", () => {
  const rng = new SeededRandom(42);
  for (const x of floats(rng, 50000)) assert.equal(showFloat(x), formatGeneral(x, 6), `float ${x}`);
});

test("store paths from string digests equal makeStorePath's", () => {
  const rng = new SeededRandom(7);
  for (let i = 0; i < 500; i++) {
    let text = "";
    const len = below(rng, 300);
    for (let j = 0; j < len; j++) text += String.fromCharCode(below(rng, 4) === 0 ? below(rng, 256) : 0x20 + below(rng, 0x5f));
    const hex = sha256Hex(text);
    assert.equal(hex, hashBytes("sha256", Buffer.from(text, "latin1")).toBase16());
    const name = `n${i}-1.${i}`;
    const type = i % 2 === 0 ? "text" : `output:out${i}`;
    const expected = makeStorePath(type, new Hash("sha256", Buffer.from(hex, "hex")), name).render("/nix/store");
    assert.equal(storePathFromHex(type, hex, name, "/nix/store"), expected);
  }
  assert.throws(() => storePathFromHex("text", "00".repeat(32), "bad name", "/nix/store"), /illegal character/);
});

/** A derivation with random outputs, inputs and environment (odd bytes, escapes, env entries named after outputs). */
function randomDerivation(rng: SeededRandom): Derivation {
  const chars = ['"', "\\", "\n", "\r", "\t", "a", "z", "é", "\xff", " ", "(", ")", ",", "["];
  const str = (n: number): string => Array.from({ length: below(rng, n) }, () => chars[below(rng, chars.length)]!).join("");
  const outputs = new Map<string, { path: string; hashAlgo: string; hash: string }>();
  for (const name of ["out", "dev", "lib", "a\"b"].slice(0, 1 + below(rng, 4))) outputs.set(name, { path: `/nix/store/${name}-${str(4)}`, hashAlgo: "", hash: "" });
  const env = new Map<string, string>();
  for (let i = below(rng, 12); i > 0; i--) env.set(str(6) + i, below(rng, 5) === 0 ? str(600) : str(20));
  for (const name of outputs.keys()) if (below(rng, 3) > 0) env.set(name, outputs.get(name)!.path);
  const inputDrvs = new Map<string, string[]>();
  for (let i = below(rng, 4); i > 0; i--) inputDrvs.set(`/nix/store/${str(5)}${i}.drv`, ["out", "dev", "bin"].slice(0, 1 + below(rng, 3)).reverse());
  const inputSrcs = Array.from({ length: below(rng, 4) }, (_, i) => `/nix/store/src${3 - i}-${str(3)}`);
  return { outputs, inputDrvs, inputSrcs, platform: str(8), builder: str(10), args: Array.from({ length: below(rng, 4) }, () => str(10)), env };
}

/** The ATerm text built the plain way, as a reference for the byte renderer. */
function plainText(drv: Derivation, mask: boolean, inputDrvs?: string): string {
  const q = (s: string): string => '"' + s.replace(/[\\"\n\r\t]/g, (c) => "\\" + ({ "\n": "n", "\r": "r", "\t": "t" }[c] ?? c)) + '"';
  const list = (xs: readonly string[]): string => "[" + xs.map(q).join(",") + "]";
  const outs = [...drv.outputs.keys()].sort().map((n) => { const o = drv.outputs.get(n)!; return `(${q(n)},${mask ? '""' : q(o.path)},${q(o.hashAlgo)},${q(o.hash)})`; });
  const ins = inputDrvs ?? "[" + [...drv.inputDrvs.keys()].sort().map((p) => `(${q(p)},${list([...drv.inputDrvs.get(p)!].sort())})`).join(",") + "]";
  const env = [...drv.env.keys()].sort().map((k) => `(${q(k)},${mask && drv.outputs.has(k) ? '""' : q(drv.env.get(k)!)})`);
  return `Derive([${outs.join(",")}],${ins},${list([...drv.inputSrcs].sort())},${q(drv.platform)},${q(drv.builder)},${list(drv.args)},[${env.join(",")}])`;
}

test("the byte renderer's texts (masked, with hashed inputs, interleaved with other renders) equal plainly built ones", () => {
  const rng = new SeededRandom(5);
  const drvs = Array.from({ length: 300 }, () => randomDerivation(rng));
  const renders = drvs.map((d) => new DerivationRender(d));
  const hashed = renderInputDrvs(new Map([["0123abcd", ["out"]], ["ffff", ["b", "a"]]]));
  assert.equal(hashed, '[("0123abcd",["out"]),("ffff",["a","b"])]');
  const hashedMap = new Map([["0123abcd", ["out"]], ["ffff", ["b", "a"]]]);
  for (const r of renders) if (below(rng, 2) === 0) r.hashedInputMap = hashedMap;
  // Every render used in a random order, so the scratch is mostly another render's;
  // output paths sometimes change between texts (the quoted ones must follow).
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < drvs.length; k++) {
      const i = below(rng, drvs.length);
      const drv = drvs[i]!;
      if (below(rng, 4) === 0) {
        for (const [name, o] of drv.outputs) {
          o.path = `/nix/store/${name}-${below(rng, 1000)}-\t"`;
          if (drv.env.has(name) && below(rng, 2) === 0) drv.env.set(name, o.path);
        }
      }
      const mask = below(rng, 2) === 0;
      const useMap = renders[i]!.hashedInputMap !== undefined && below(rng, 2) === 0;
      const given: string | undefined = useMap ? hashed : below(rng, 2) === 0 ? hashed : undefined;
      const expected = plainText(drv, mask, given);
      const options: TextOptions = useMap ? { maskOutputs: mask, hashedInputs: true } : { maskOutputs: mask, ...(given === undefined ? {} : { inputDrvs: given }) };
      assert.equal(renders[i]!.text(options), expected);
      assert.equal(renders[i]!.hashHex(options), hashBytes("sha256", Buffer.from(expected, "latin1")).toBase16());
      assert.deepEqual(renders[i]!.textAndHashHex(options), { text: expected, hex: hashBytes("sha256", Buffer.from(expected, "latin1")).toBase16() });
    }
  }
  for (const d of drvs) assert.equal(new DerivationRender(parseDerivation(plainText(d, false))).text(), plainText(d, false));
});

/** Nix values whose JSON exercises every branch: floats, odd strings, paths, __toString, outPath, nesting. */
function jsonValueExpr(rng: SeededRandom, depth: number): string {
  const leaves = [
    () => String(below(rng, 1000) - 500),
    () => ["0.5", "2.25", "1.0e20", "0.1", "-3.75", "123456.7", "1.0e-5", "0.0"][below(rng, 8)]!,
    () => ["true", "false", "null"][below(rng, 3)]!,
    () => nixString(["plain", "quote\"s", "back\\slash", "nl\nx", "tab\tcr\r", "ünï", "日本", "\u0001ctl", "x".repeat(300) + '"'][below(rng, 9)]!),
    () => "./file.txt",
    () => `{ __toString = self: "str-${below(rng, 9)}"; }`,
    () => `{ outPath = "out-${below(rng, 9)}"; ignored = 1; }`,
  ];
  if (depth === 0 || below(rng, 3) === 0) return leaves[below(rng, leaves.length)]!();
  if (below(rng, 2) === 0) return `[ ${Array.from({ length: below(rng, 5) }, () => `(${jsonValueExpr(rng, depth - 1)})`).join(" ")} ]`;
  const names = ["a", "b", "z", "\"odd key\"", "\"ü\"", "\"q\\\"k\""];
  const attrs = new Map<string, string>();
  for (let i = below(rng, 5); i > 0; i--) attrs.set(names[below(rng, names.length)]!, jsonValueExpr(rng, depth - 1));
  return `{ ${[...attrs].map(([k, v]) => `${k} = (${v});`).join(" ")} }`;
}

test("structured attributes' JSON equals builtins.toJSON of the same value (text, context, errors)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-sjson-"));
  try {
    writeFileSync(join(dir, "file.txt"), "contents\n");
    const rng = new SeededRandom(3);
    const values = Array.from({ length: 200 }, () => jsonValueExpr(rng, 4));
    // Sources as bytes (UTF-8), then a few with raw bytes that are not UTF-8.
    const sources = values.map(fromFsPath);
    sources.push(
      "[ 1 (x: x) ]",
      `{ a = "\xff"; b = throw "later"; }`,
      `[ "ok" "\xc3" "\xff" ]`,
      `{ "\xe9" = 1; }`,
      `let d = derivation { name = "d"; system = "x"; builder = "/b"; }; in [ d d.drvPath "\${d}/bin" { x = d; } ]`,
    );
    new EvalState({ readOnly: true });
    const toJSON = getPrimOp("__toJSON")!;
    for (const v of sources) {
      const value = evalString(v, fromFsPath(dir));
      const context = new Set<string>();
      const ours = attempt(() => structuredJson(value, 0, context));
      const theirs = attempt(() => toJSON.impl([value], 0));
      if (typeof theirs === "string" && typeof ours === "string" && theirs.startsWith("error: ")) {
        assert.equal(ours, theirs, v);
        continue;
      }
      assert.equal(ours, stringBytes(theirs as string | NixString), v);
      assert.deepEqual([...context].sort(), [...stringContext(theirs as string | NixString)], v);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A Nix float literal for `x` (finite): Nix wants digits before the dot and a dot before an exponent. */
function floatLiteral(x: number): string {
  const s = String(x);
  if (s.includes("e")) return s.replace(/^(-?\d+)e/, "$1.0e");
  return s.includes(".") ? s : `${s}.0`;
}

/** The result, or the error's message prefixed with `error: `. */
function attempt<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

test("structured and plain derivations with floats, long escaped and non-ASCII strings: .drv bytes as CppNix writes them", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-fastpaths-"));
  try {
    writeFileSync(join(dir, "file.txt"), "contents\n");
    const rng = new SeededRandom(11);
    const long = (s: string) => nixString(s.repeat(40));
    const drvs: string[] = [];
    for (let i = 0; i < 24; i++) {
      const value = jsonValueExpr(rng, 4);
      const structured = i % 2 === 0;
      const floatList = floats(rng, 20)
        .filter((x) => Number.isFinite(x) && Math.abs(x) < 1e300 && Math.abs(x) > 1e-300)
        .map(floatLiteral);
      drvs.push(`d${i} = derivation {
        name = "fast-${i}"; system = "x86_64-linux"; builder = "/bin/sh";
        ${structured ? "__structuredAttrs = true;" : ""}
        value = ${structured ? `(${value})` : `builtins.toJSON (${value})`};
        floats = ${structured ? "" : "builtins.toJSON"} [ ${floatList.map((f) => `(${f})`).join(" ")} ];
        longQuotes = ${long('say "hi" \\ ')};
        longMixed = ${long("ünï\tcöde\n\r ")};
        longPlain = ${long("abcdefgh")};
        nonAscii = "日本語 😀";
      };`);
    }
    writeFileSync(join(dir, "default.nix"), `{\n${drvs.join("\n")}\n}\n`);
    const expected = await theirs([join(dir, "default.nix")], dir);
    const got = oursWithDrvs([join(dir, "default.nix")], dir);
    assert.equal(expected.exitCode, 0, `CppNix failed: ${expected.error}`);
    assert.equal(got.error, expected.error);
    assert.equal(got.stdout, expected.stdout);
    assert.equal(got.drvs.size, 24);
    assert.deepEqual(drvFileMismatches(got.drvs), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
