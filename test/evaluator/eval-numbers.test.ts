/**
 * Ints and floats after the value-model change (ints are JS numbers in the safe
 * range and bigints beyond, floats a wrapper): int/float mixing, division,
 * printing, type predicates and every builtin that takes or returns ints, on
 * small ints and on ints between 2^53 and 2^63. Compared with CppNix 2.8; the
 * overflow cases (current Nix raises an error where 2.8 wraps) against exact
 * bigint arithmetic instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { differential, ours, strictExprs } from "./eval-harness.js";
import { mulberry32 } from "../helpers/random.js";

const MIXING = [
  "1 + 1.0", "1.0 + 1", "1 - 0.5", "2 * 1.5", "3 / 2", "3 / 2.0", "3.0 / 2", "(-7) / 2", "7 / (-2)", "(-7) / (-2)", "0 / 5",
  "0 / (-5)", "0 * (-1)", "(0 * (-1)) * 1.0", "1.0 * (0 - 0)", "1 == 1.0", "1.0 == 1", "2 == 2.5", "[ 1 ] == [ 1.0 ]",
  "{ a = 1; } == { a = 1.0; }", "1 < 1.5", "1.5 < 2", "2 < 1.5", "9007199254740993 == 9007199254740992.0",
  "9007199254740993 < 9007199254740994.0", "builtins.add 1 2", "builtins.add 1 2.0", "builtins.sub 1 2.5", "builtins.mul 4 0.25",
  "builtins.div 9 2", "builtins.div 9 2.0", "builtins.div 1.0 4", "builtins.lessThan 1 1.0", "1 + 2 + 3.5 + 4", "1.5 + 2 + 3",
  "let x = 1; in x + x + x", "builtins.foldl' builtins.add 0 [ 1 2 3.5 ]", "builtins.foldl' (a: b: a * b) 1 (builtins.genList (i: i + 1) 20)",
];

const PRINTING = [
  "1.0", "1.5", "(-0.0)", "0.1 + 0.2", "1.0e21", "1.0e-5", "100000.0", "1000000.0", "123456789.0", "2.0 * 3", "[ 1 1.0 2 2.5 ]",
  "toString 1.0", "toString 2.5", "toString 1", "toString (-3)", "\"${toString 7}\"", "builtins.toJSON [ 1 1.0 2.5 (-3) ]",
  "builtins.toXML [ 1 1.5 ]", "builtins.typeOf 1", "builtins.typeOf 1.0", "builtins.typeOf (1 + 1.0)", "builtins.typeOf (2 / 2)",
  "builtins.isInt 1", "builtins.isInt 1.0", "builtins.isFloat 1", "builtins.isFloat 1.0", "builtins.isFloat (1 * 1.0)",
  "builtins.isInt 9223372036854775807", "builtins.typeOf 9223372036854775807",
  "builtins.ceil 1.5", "builtins.floor (-1.5)", "builtins.ceil 9007199254740993.0", "builtins.floor 1.0e18", "builtins.ceil 2",
  "builtins.fromJSON \"[1, 1.0, 1.5, -2, 1e3]\"", "builtins.fromTOML \"a = 1\\nb = 1.5\\nc = -9223372036854775808\"",
];

/** Ints beyond 2^53 (bigints inside) through every operation that accepts ints. */
const LARGE = [
  "9223372036854775807", "(-9223372036854775807) - 1", "9007199254740991 + 1", "9007199254740992 + 1", "9007199254740993 - 1",
  "(-9007199254740991) - 2", "4611686018427387904 + 4611686018427387903", "3037000499 * 3037000499", "94906265 * 94906265",
  "9223372036854775807 / 2", "9223372036854775807 / (-1)", "(-9223372036854775807 - 1) / 2", "9007199254740993 / 3",
  "9223372036854775807 - 9223372036854775806", "9007199254740993 * 0", "9007199254740993 * (-1)",
  "builtins.bitAnd 9223372036854775807 (-1)", "builtins.bitAnd 9223372036854775807 255", "builtins.bitOr 9007199254740992 1",
  "builtins.bitXor (-1) 9223372036854775807", "builtins.bitAnd (-1) (-2)", "builtins.bitOr 2147483648 1", "builtins.bitXor 2147483647 (-2147483648)",
  "builtins.bitAnd 4294967295 4294967296", "builtins.bitOr (-2147483649) 0", "builtins.bitXor 3 5",
  "builtins.toJSON 9223372036854775807", "builtins.toJSON (-9223372036854775807)", "builtins.fromJSON \"9223372036854775807\"",
  "builtins.fromJSON \"-9223372036854775808\"", "builtins.fromJSON \"9007199254740993\"", "toString 9223372036854775807",
  "toString 9007199254740993", "\"${toString 9007199254740993}\"", "builtins.toXML 9223372036854775807",
  "9007199254740993 > 9007199254740992", "9007199254740993 == 9007199254740992", "9007199254740993 == 9007199254740993",
  "[ 9007199254740993 ] == [ 9007199254740993 ]", "9223372036854775807 < 1", "1 < 9223372036854775807", "(-9007199254740993) < 5",
  "builtins.sort builtins.lessThan [ 9007199254740993 1 9007199254740992 2.5 (-9223372036854775807) 9223372036854775807 ]",
  "builtins.sort (a: b: a > b) [ 9007199254740993 9007199254740994 9007199254740992 ]",
  "builtins.compareVersions \"1.9007199254740993\" \"1.9007199254740992\"", "builtins.elemAt [ 1 2 3 ] 2",
  // 2.8 truncates substring offsets to a C int, current CppNix does not (builtins-strings has those cases); here they agree.
  "builtins.substring 4294967396 2 \"abcdef\"", "builtins.genList (x: x * 9007199254740993) 3", "builtins.length (builtins.genList (x: x) 3)",
  "builtins.stringLength \"abc\"", "builtins.elem 9007199254740993 [ 9007199254740992 9007199254740993 ]",
  "builtins.genericClosure { startSet = [ { key = 9007199254740993; } ]; operator = x: if x.key > 9007199254740995 then [ ] else [ { key = x.key + 1; } ]; }",
  "builtins.listToAttrs [ { name = toString 9223372036854775807; value = 9223372036854775807; } ]",
  "builtins.tryEval 9223372036854775807", "builtins.deepSeq [ 9223372036854775807 ] 1",
];

differential("ints and floats mixed, divided, compared", strictExprs(MIXING));
differential("printing of ints and floats, type predicates, conversions", strictExprs(PRINTING));
differential("ints beyond 2^53 through every int operation", strictExprs(LARGE));

// ---------------------------------------------------------------- overflow (generated)

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;


/** Ints clustered around the representation boundaries (2^31, 2^53, 2^62, 2^63). */
function boundaryInt(r: () => number): bigint {
  const bases = [0n, 1n << 31n, 1n << 32n, 1n << 53n, 3037000499n, 1n << 62n, INT64_MAX];
  const base = bases[Math.floor(r() * bases.length)]!;
  let v = base + BigInt(Math.floor(r() * 7) - 3);
  if (r() < 0.5) v = -v;
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < INT64_MIN + 1n) v = INT64_MIN + 1n;
  return v;
}

/** A Nix expression for `v` (negative literals need parentheses; -2^63 needs a subtraction). */
function lit(v: bigint): string {
  return v < 0n ? `(${v})` : String(v);
}

interface Case {
  expr: string;
  /** The exact result, or null when it leaves the 64-bit range. */
  exact: bigint | null;
  /** Current Nix's message on overflow. */
  overflow: string;
}

function cases(): Case[] {
  const r = mulberry32(53);
  const out: Case[] = [];
  const ops: [string, string, (a: bigint, b: bigint) => bigint][] = [
    ["+", "adding", (a, b) => a + b],
    ["-", "subtracting", (a, b) => a - b],
    ["*", "multiplying", (a, b) => a * b],
  ];
  for (let i = 0; i < 150; i++) {
    const a = boundaryInt(r);
    const b = boundaryInt(r);
    const [op, what, f] = ops[i % ops.length]!;
    const x = f(a, b);
    out.push({ expr: `${lit(a)} ${op} ${lit(b)}`, exact: x >= INT64_MIN && x <= INT64_MAX ? x : null, overflow: `integer overflow in ${what} ${a} ${op} ${b}` });
    if (b !== 0n) out.push({ expr: `${lit(a)} / ${lit(b)}`, exact: a / b, overflow: "" });
  }
  return out;
}

test("generated int arithmetic near 2^31, 2^53, 2^62, 2^63 is exact, and overflow is an error", () => {
  let overflows = 0;
  for (const c of cases()) {
    const r = ours(["--eval", "--strict", "-E", c.expr]);
    if (c.exact === null) {
      overflows++;
      assert.equal(r.exitCode, 1, c.expr);
      // The message line (current CppNix puts call frames before it).
      assert.ok(r.stderr.split("\n").some((l) => l.trim().replace(/^error: /, "") === c.overflow), `${c.expr}: ${r.stderr}`);
    } else {
      assert.equal(r.error, "", c.expr);
      assert.equal(r.stdout, `${c.exact}\n`, c.expr);
    }
  }
  assert.ok(overflows > 10, `only ${overflows} overflowing cases generated`);
});

// The same cases without overflow agree with CppNix 2.8 (which wraps on overflow, so those are left out).
differential(
  "generated int arithmetic without overflow, against CppNix",
  strictExprs(cases().filter((c) => c.exact !== null).map((c) => c.expr)),
);
