/**
 * Builtins from later Nix releases that CppNix 2.8 lacks (readFileType, warn,
 * break). readFileType is checked against CppNix's readDir, which reports the
 * same file types; the others against current Nix's documented behaviour.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { fixtureDir, ours, theirs } from "./builtins-harness.js";
import { nixSkipReason, runNixAsync } from "../helpers/nix.js";
import { setAbortOnWarn, setTomlTimestamps, setTraceSink } from "../../evaluator/builtins/index.js";
import { EvalState, evalString, printValue } from "../../evaluator/eval/index.js";
// Registers `derivation` and derivationStrict (the context tests below need drvPath).
import "../../evaluator/index.js";

test("readFileType agrees with CppNix's readDir for every kind of entry", { skip: nixSkipReason() }, async () => {
  const dir = fixtureDir();
  try {
    const names = readdirSync(dir);
    assert.ok(names.length >= 5);
    for (const name of names) {
      const expected = await theirs(`(builtins.readDir ./.).${JSON.stringify(name)}`, dir);
      assert.equal(ours(`builtins.readFileType ./${name}`, dir).out, expected.out, name);
    }
    assert.equal(ours("builtins.readFileType ./.", dir).out, '"directory"');
    // Current CppNix's wording for a missing path (upstream eval-fail-readDir-nonexistent-2).
    assert.match(ours("builtins.readFileType ./missing", dir).out, /^error: path '.*\/missing' does not exist$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The trace and warning lines `fn` makes, evaluating in a fresh EvalState. */
function evaluationLog(fn: () => void): string[] {
  const lines: string[] = [];
  const prev = setTraceSink((line) => lines.push(line));
  try {
    new EvalState();
    fn();
  } finally {
    setTraceSink(prev);
  }
  return lines;
}

test("warn prints an evaluation warning and returns its second argument; break is the identity", () => {
  const dir = "/";
  const lines = evaluationLog(() => assert.equal(printValue(evalString('builtins.warn "careful" 42', dir)), "42"));
  assert.deepEqual(lines, ["evaluation warning: careful"]);
  // Multi-line messages as current CppNix (upstream eval-okay-warn-indentation, -indentation2).
  const multi = evaluationLog(() =>
    assert.equal(printValue(evalString('builtins.warn "foo\nbar  \n" (builtins.warn "\nfoo\nbar" (builtins.warn "ends in \xc3\xa0" 3))', dir)), "3"),
  );
  assert.deepEqual(multi, ["evaluation warning: foo\n                    bar", "evaluation warning:\nfoo\nbar", "evaluation warning: ends in \xc3\xa0"]);
  // Current CppNix's type error (upstream lang.sh: warn of a set "expected a string but found a set").
  assert.equal(ours("builtins.warn 1 2", dir).out, "error: expected a string but found an integer: 1");
  assert.equal(ours('builtins.warn "m" (throw "x")', dir).out, "error: x");
  assert.equal(ours("break [ 1 2 ]", dir).out, "[ 1 2 ]");
  assert.equal(ours("builtins.break 3", dir).out, "3");
});

test("convertHash gives the forms CppNix's nix-hash gives (upstream eval-okay-convertHash)", { skip: nixSkipReason() }, async () => {
  const dir = fixtureDir();
  try {
    for (const algo of ["md5", "sha1", "sha256", "sha512"]) {
      const hex = ours(`builtins.hashString "${algo}" "lading ${algo}"`, dir).out.slice(1, -1);
      const nix32 = (await runNixAsync("nix-hash", ["--type", algo, "--to-base32", hex])).stdout.trim();
      const sri = (await runNixAsync("nix", ["hash", "to-sri", "--type", algo, hex], { env: { NIX_CONFIG: "experimental-features = nix-command" } })).stdout.trim();
      const b64 = sri.slice(algo.length + 1);
      for (const input of [hex, `${algo}:${hex}`, `${algo}:${nix32}`, sri, `${algo}:${b64}`]) {
        const hasAlgo = input !== hex;
        const convert = (fmt: string): string =>
          ours(`builtins.convertHash { hash = "${input}"; ${hasAlgo ? "" : `hashAlgo = "${algo}"; `}toHashFormat = "${fmt}"; }`, dir).out;
        assert.equal(convert("base16"), JSON.stringify(hex), input);
        assert.equal(convert("nix32"), JSON.stringify(nix32), input);
        assert.equal(convert("base32"), JSON.stringify(nix32), input);
        assert.equal(convert("base64"), JSON.stringify(b64), input);
        assert.equal(convert("sri"), JSON.stringify(sri), input);
      }
    }
    assert.match(ours('builtins.convertHash { hash = "abc"; toHashFormat = "sri"; }', dir).out, /^error: hash 'abc' does not include a type/);
    assert.match(ours('builtins.convertHash { hash = "sha1:abc"; toHashFormat = "hex"; }', dir).out, /^error: unknown hash format 'hex'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fromTOML dates and times with parse-toml-timestamps (upstream eval-okay-fromTOML-timestamps)", () => {
  const doc = "a = 1979-05-27 07:32:00.1Z\\nb = 1979-05-27t00:32:00.1234567891\\nc = 1979-05-27\\nd = 07:32:00.000\\ne = 1979-05-27T00:32:00.999999-07:00\\nf = 1979-05-27T00:32:00.1234";
  assert.match(ours(`builtins.fromTOML "${doc}"`, "/").out, /^error: while parsing TOML: Dates and times are not supported/);
  setTomlTimestamps(true);
  try {
    const out = ours(`builtins.mapAttrs (_: v: v.value) (builtins.fromTOML "${doc}")`, "/").out;
    assert.equal(out, '{ a = "1979-05-27T07:32:00.100Z"; b = "1979-05-27T00:32:00.123456789"; c = "1979-05-27"; d = "07:32:00"; e = "1979-05-27T00:32:00.999999-07:00"; f = "1979-05-27T00:32:00.123400"; }');
    assert.equal(ours(`(builtins.fromTOML "${doc}").a._type`, "/").out, '"timestamp"');
  } finally {
    setTomlTimestamps(false);
  }
});

test("parseFlakeRef and flakeRefToString (upstream eval-okay-parse-flake-ref, eval-okay-flake-ref-to-string)", () => {
  assert.equal(
    ours('builtins.parseFlakeRef "github:NixOS/nixpkgs/23.05?dir=lib"', "/").out,
    '{ dir = "lib"; owner = "NixOS"; ref = "23.05"; repo = "nixpkgs"; type = "github"; }',
  );
  assert.equal(ours('builtins.flakeRefToString { type = "github"; owner = "NixOS"; repo = "nixpkgs"; ref = "23.05"; dir = "lib"; }', "/").out, '"github:NixOS/nixpkgs/23.05?dir=lib"');
  assert.equal(ours('(builtins.parseFlakeRef "gitlab:a/b/0123456789abcdef0123456789abcdef01234567").rev', "/").out, '"0123456789abcdef0123456789abcdef01234567"');
  assert.equal(ours('builtins.flakeRefToString (builtins.parseFlakeRef "git+https://example.org/r?ref=main")', "/").out, '"git+https://example.org/r?ref=main"');
  assert.equal(ours('builtins.flakeRefToString { type = "github"; owner = "o"; repo = -1; }', "/").out, "error: negative value given for flake ref attr repo: -1");
});

test("warn with abort-on-warn fails, past tryEval (nixpkgs lib/tests/modules.sh ABORT_ON_WARN cases)", () => {
  setAbortOnWarn(true);
  try {
    assert.equal(ours('builtins.tryEval (builtins.warn "careful" 42)', "/").out, "error: aborting to reveal stack trace of warning, as abort-on-warn is set");
  } finally {
    setAbortOnWarn(false);
  }
  assert.equal(ours('builtins.tryEval (builtins.warn "careful" 42)', "/").out, "{ success = true; value = 42; }");
});

test("addDrvOutputDependencies undoes unsafeDiscardOutputDependency: the context CppNix gives drvPath", { skip: nixSkipReason() }, async () => {
  const dir = "/";
  const drvs = [
    'derivation { name = "a"; builder = "/bin/sh"; system = "x86_64-linux"; }',
    'derivation { name = "m"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = [ "out" "dev" ]; }',
  ];
  for (const drv of drvs) {
    const expected = await theirs(`builtins.getContext (${drv}).drvPath`, dir);
    assert.match(expected.out, /allOutputs = true/);
    const roundTrip = `let s = builtins.unsafeDiscardOutputDependency (${drv}).drvPath; in builtins.getContext (builtins.addDrvOutputDependencies s)`;
    assert.equal(ours(roundTrip, dir).out, expected.out);
    // Idempotent on a whole-derivation element, as current CppNix is.
    assert.equal(ours(`builtins.getContext (builtins.addDrvOutputDependencies (${drv}).drvPath)`, dir).out, expected.out);
  }
  // The errors of upstream eval-fail-addDrvOutputDependencies-*.
  assert.equal(ours('builtins.addDrvOutputDependencies ""', dir).out, "error: context of string '' must have exactly one element, but has 0");
  assert.equal(
    ours(`builtins.addDrvOutputDependencies (${drvs[1]}).dev.outPath`, dir).out,
    "error: `addDrvOutputDependencies` can only act on derivations, not on a derivation output such as 'dev'",
  );
});

test("traceVerbose returns its second argument and leaves the first unevaluated (no --trace-verbose)", () => {
  assert.equal(ours('builtins.traceVerbose (throw "unused") [ 1 2 ]', "/").out, "[ 1 2 ]");
  assert.equal(ours('builtins.traceVerbose 1 (throw "second")', "/").out, "error: second");
});

test('convertHash warns that "base32" is a deprecated name of nix32, once per call (upstream eval-okay-convertHash)', () => {
  const hash = '"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="';
  const lines = evaluationLog(() => {
    assert.equal(printValue(evalString(`builtins.convertHash { hash = ${hash}; toHashFormat = "base32"; }`, "/")), '"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"');
    assert.equal(printValue(evalString(`builtins.convertHash { hash = ${hash}; toHashFormat = "nix32"; }`, "/")), '"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"');
  });
  assert.deepEqual(lines, ['warning: "base32" is a deprecated alias for hash format "nix32".']);
});
