/**
 * The on-disk parse cache (evaluator/eval/parse-cache.ts): a stored tree gives the
 * same tree as parsing (positions shifted to where this process registered the
 * file), and `lading instantiate` gives the same output and the same error
 * positions with the cache off, filling it, and reading it; a changed file (even
 * with its size and mtime kept), a corrupt, truncated or foreign entry, and an unsafe
 * cache directory all fall back to parsing without a word to the user.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, setSyntaxWarningSink, sourceOf, type Expr } from "../../evaluator/index.js";
import { defaultParseCacheDir, parseCacheDir, parseFileCached, pruneParseCache, setParseCacheDir } from "../../evaluator/index.js";
import { LADING, run, runDist } from "../cli/startup-run.js";

const scratch = mkdtempSync(join(tmpdir(), "lading-parse-cache-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

/** Files touching every node kind that carries a position, and `inherit (e)` (the parser's one shared node). */
const FILES: Record<string, string> = {
  "default.nix": `let
  lib = import ./lib.nix;
  inherit (lib) add pair;
  s = rec { a = 1; b = a + 1; x.y.z = "n\${toString b}"; \${"dyn"} = 2; };
in {
  sum = add 2 3;
  p = pair { x = 1; };
  inherit (s) b x dyn;
  neg = -s.a; cmp = [ (1 < 2) (2 >= 3) (!true || false -> true) ([ 1 ] ++ [ 2 ]) ({ a = 1; } // { b = 2; }) ];
  str = ''
    indented \${toString s.a}
  '';
  path = ./lib.nix;
  has = s ? x.y && s.x.y ? z;
  pos = __curPos;
  attrPos = builtins.unsafeGetAttrPos "b" s;
  w = with s; a + b;
  lam = builtins.functionArgs lib.pair;
  asserted = assert true; if s.a == 1 then "one" else "other";
  f = 1.5;
}
`,
  "lib.nix": `rec {
  add = a: b: a + b;
  pair = { x, y ? x * 2, ... }@args: [ x y (args ? z) ];
  inherit (builtins) length;
}
`,
  "fails.nix": `let
  f = { a }: a.missing;
in
  f { a = { present = 1; }; }
`,
};
/** Files under 4 KB are never cached (parsing them is cheaper than loading node:v8). */
const PADDING = `# ${"padding ".repeat(600)}\n`;
for (const name of Object.keys(FILES)) FILES[name] += PADDING;
for (const [name, text] of Object.entries(FILES)) writeFileSync(join(scratch, name), text);

/** A tree as plain data, every position made relative to the base of the source that owns it. */
function normalized(e: Expr): unknown {
  const base = (pos: number): number => (pos === 0 ? 0 : pos - sourceOf(pos)!.base);
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === "number" && (key === "pos" || key === "partPos")) return base(v);
    if (v instanceof Map) return [...v].map(([k, x]) => [k, walk(x, "")]);
    if (Array.isArray(v)) return v.map((x) => walk(x, key === "partPos" ? "partPos" : ""));
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(e, "");
}

test("a stored tree equals a fresh parse, positions shifted to the new base", () => {
  const dir = join(scratch, "unit-cache");
  const prev = parseCacheDir();
  setParseCacheDir(dir);
  try {
    for (const name of ["default.nix", "lib.nix"]) {
      const path = join(scratch, name);
      const text = FILES[name]!;
      const missed = parseFileCached(text, path);
      assert.equal(readdirSync(dir).filter((f) => f.endsWith(".tree")).length > 0, true, "an entry was written");
      const hit = parseFileCached(text, path); // registered at a later base: relocated
      const fresh = parse(text, path);
      const baseOf = (e: Expr): number | undefined => sourceOf((e as { pos: number }).pos)?.base;
      assert.notEqual(baseOf(hit), baseOf(missed), "the hit was registered at another base");
      assert.deepEqual(normalized(hit), normalized(fresh));
      assert.deepEqual(normalized(missed), normalized(fresh));
    }
  } finally {
    setParseCacheDir(prev);
  }
});

test("small files are parsed, not cached", () => {
  const dir = join(scratch, "unit-small");
  const prev = parseCacheDir();
  setParseCacheDir(dir);
  try {
    const path = join(scratch, "small.nix");
    parseFileCached("{ a = 1; }", path);
    assert.throws(() => readdirSync(dir), "no entry, not even the directory");
  } finally {
    setParseCacheDir(prev);
  }
});

test("the cache is off by default in the library and LADING_PARSE_CACHE=off turns the CLI's off", () => {
  assert.equal(parseCacheDir(), null);
  assert.equal(defaultParseCacheDir({ LADING_PARSE_CACHE: "off", HOME: "/h" }), null);
  assert.equal(defaultParseCacheDir({ LADING_PARSE_CACHE: "0", HOME: "/h" }), null);
  assert.equal(defaultParseCacheDir({ HOME: "/h" }), "/h/.cache/lading/parse");
  assert.equal(defaultParseCacheDir({ HOME: "/h", XDG_CACHE_HOME: "/x" }), "/x/lading/parse");
  assert.equal(defaultParseCacheDir({ HOME: "/h", XDG_CACHE_HOME: "relative" }), "/h/.cache/lading/parse");
});

const ARGS = {
  ok: ["instantiate", "--eval", "--strict", join(scratch, "default.nix")],
  json: ["instantiate", "--eval", "--strict", "--json", "-E", `(import ${join(scratch, "default.nix")}).pos`],
  fails: ["instantiate", "--eval", "--strict", "--show-trace", join(scratch, "fails.nix")],
};

async function outputs(env: Record<string, string>): Promise<string[]> {
  const out: string[] = [];
  for (const args of Object.values(ARGS)) {
    const r = await runDist(args, { env });
    out.push(`${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return out;
}

const entries = (dir: string): string[] => readdirSync(join(dir, "lading", "parse")).filter((f) => f.endsWith(".tree")).sort();

test("lading instantiate: same output and error positions without the cache, filling it and reading it", async () => {
  const reference = await outputs({ LADING_PARSE_CACHE: "off", XDG_CACHE_HOME: join(scratch, "never") });
  assert.match(reference[2]!, /fails\.nix:2:14/, "the error names the file, line and column");
  assert.match(reference[1]!, /"line":15/);
  assert.throws(() => statSync(join(scratch, "never")), "nothing written with LADING_PARSE_CACHE=off");
  const xdg = join(scratch, "xdg");
  const env = { XDG_CACHE_HOME: xdg };
  assert.deepEqual(await outputs(env), reference, "filling the cache");
  assert.equal(entries(xdg).length, 3);
  assert.equal(statSync(join(xdg, "lading", "parse")).mode & 0o777, 0o700);
  const before = entries(xdg).map((f) => readFileSync(join(xdg, "lading", "parse", f)));
  assert.deepEqual(await outputs(env), reference, "reading the cache");
  assert.deepEqual(entries(xdg).map((f) => readFileSync(join(xdg, "lading", "parse", f))), before, "a hit rewrites nothing");
  // bin/lading's one-file bundle: a build of its own (entries keyed to it), same output filling and reading.
  const bundled = join(scratch, "xdg-bundle");
  for (let i = 0; i < 2; i++) {
    const r = await run(LADING, ARGS.fails, { env: { XDG_CACHE_HOME: bundled } });
    assert.equal(`${r.status}\n${r.stdout}\n${r.stderr}`, reference[2]);
    assert.equal(entries(bundled).length, 1);
  }
});

test("a changed file is parsed again, even with the same size and mtime", async () => {
  const dir = join(scratch, "stale");
  mkdirSync(dir);
  const file = join(dir, "f.nix");
  writeFileSync(file, "{ v = 1; }.v" + PADDING);
  const env = { XDG_CACHE_HOME: join(scratch, "xdg-stale") };
  const args = ["instantiate", "--eval", file];
  assert.equal((await runDist(args, { env })).stdout, "1\n");
  const { mtime } = statSync(file);
  writeFileSync(file, "{ v = 2; }.v" + PADDING);
  utimesSync(file, mtime, mtime);
  assert.equal((await runDist(args, { env })).stdout, "2\n");
  assert.equal((await runDist(args, { env })).stdout, "2\n");
});

test("corrupt, truncated and foreign entries are ignored and rewritten", async () => {
  const xdg = join(scratch, "xdg-corrupt");
  const env = { XDG_CACHE_HOME: xdg };
  const reference = await outputs(env);
  const dir = join(xdg, "lading", "parse");
  const good = new Map(entries(xdg).map((f) => [f, readFileSync(join(dir, f))]));
  const damage: ((b: Buffer) => Buffer)[] = [
    (b) => b.subarray(0, b.length - 7), // truncated in V8's data
    (b) => b.subarray(0, b.indexOf(10) + 3), // truncated in the copied text
    (b) => {
      const c = Buffer.from(b);
      for (let i = c.length - 40; i < c.length; i++) c[i] = (c[i]! * 7 + 13) & 0xff; // garbage in V8's data
      return c;
    },
    (b) => Buffer.from(b.toString("latin1").replace(/^lading-parse-cache \d+ [^ ]+/, "lading-parse-cache 1 other-build"), "latin1"),
    () => Buffer.from("not an entry at all"),
    () => Buffer.alloc(0),
  ];
  for (const harm of damage) {
    for (const [f, bytes] of good) writeFileSync(join(dir, f), harm(bytes));
    assert.deepEqual(await outputs(env), reference);
    for (const [f, bytes] of good) assert.deepEqual(readFileSync(join(dir, f)), bytes, `${f} rewritten`);
  }
});

test("a cache directory others can write to is not used, and nothing fails", async () => {
  const xdg = join(scratch, "xdg-open");
  mkdirSync(join(xdg, "lading", "parse"), { recursive: true });
  chmodSync(join(xdg, "lading", "parse"), 0o777);
  const reference = await outputs({ LADING_PARSE_CACHE: "off" });
  assert.deepEqual(await outputs({ XDG_CACHE_HOME: xdg }), reference);
  assert.deepEqual(entries(xdg), []);
  const notDir = join(scratch, "xdg-file");
  writeFileSync(notDir, "");
  assert.deepEqual(await outputs({ XDG_CACHE_HOME: notDir }), reference);
});

test("a cache over its entry limit loses its least recently written quarter", () => {
  const dir = join(scratch, "prune");
  mkdirSync(dir);
  for (let i = 0; i < 12; i++) {
    const f = join(dir, `${i.toString(16).padStart(16, "0")}.tree`);
    writeFileSync(f, "x");
    utimesSync(f, new Date(1000 * (i + 1)), new Date(1000 * (i + 1)));
  }
  writeFileSync(join(dir, "other-file"), "kept");
  assert.equal(pruneParseCache(dir, 12), 0, "at the limit nothing goes");
  writeFileSync(join(dir, "00000000000000ff.tree"), "newest");
  assert.equal(pruneParseCache(dir, 12), 4);
  const left = readdirSync(dir).sort();
  assert.deepEqual(left, ["0000000000000004.tree", "0000000000000005.tree", "0000000000000006.tree", "0000000000000007.tree", "0000000000000008.tree", "0000000000000009.tree", "000000000000000a.tree", "000000000000000b.tree", "00000000000000ff.tree", "other-file"]);
});

test("a file whose parse warned is not cached, so every parse of it warns as CppNix's would", () => {
  const dir = join(scratch, "unit-warned");
  const prev = parseCacheDir();
  setParseCacheDir(dir);
  const warnings: number[] = [];
  const prevSink = setSyntaxWarningSink((pos) => warnings.push(pos));
  try {
    const path = join(scratch, "cursed.nix");
    const text = `let or = 1; in [ (x: x) or ]\n${PADDING}`;
    for (let i = 0; i < 3; i++) parseFileCached(text, path);
    assert.equal(warnings.length, 3, "warned on every parse");
    assert.deepEqual(existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".tree")) : [], [], "nothing stored");
    parseFileCached(FILES["lib.nix"]!, join(scratch, "lib.nix"));
    assert.equal(readdirSync(dir).filter((f) => f.endsWith(".tree")).length, 1, "a file that does not warn is stored");
  } finally {
    setSyntaxWarningSink(prevSink);
    setParseCacheDir(prev);
  }
});
