import { test } from "node:test";
import assert from "node:assert/strict";
import { differential, fixtureDir, ours, storePathCase, type Case } from "./builtins-harness.js";
import { rmSync } from "node:fs";

/**
 * Int overflow in the arithmetic builtins: CppNix 2.8 wraps silently, current Nix
 * raises an error; the issue asks for current Nix's behaviour, the same as the
 * operators'. (In-range edge cases are in the differential list below.)
 */
test("arithmetic builtins raise current Nix's integer overflow error", () => {
  const cases: [string, string][] = [
    ["builtins.add 9223372036854775807 1", "error: integer overflow in adding 9223372036854775807 + 1"],
    ["builtins.add (-9223372036854775807 - 1) (-1)", "error: integer overflow in adding -9223372036854775808 + -1"],
    ["builtins.sub (-9223372036854775807) 2", "error: integer overflow in subtracting -9223372036854775807 - 2"],
    ["builtins.sub 0 (-9223372036854775807 - 1)", "error: integer overflow in subtracting 0 - -9223372036854775808"],
    ["builtins.mul 4611686018427387904 2", "error: integer overflow in multiplying 4611686018427387904 * 2"],
    ["builtins.mul (-9223372036854775807 - 1) (-1)", "error: integer overflow in multiplying -9223372036854775808 * -1"],
    ["builtins.foldl' builtins.add 0 [ 9223372036854775807 1 ]", "error: integer overflow in adding 9223372036854775807 + 1"],
    // CppNix 2.8 said "overflow in integer division"; current wording from upstream eval-fail-overflowing-div.
    ["builtins.div (-9223372036854775807 - 1) (-1)", "error: integer overflow in dividing -9223372036854775808 / -1"],
  ];
  const dir = fixtureDir();
  try {
    for (const [expr, message] of cases) assert.equal(ours(expr, dir).out, message, expr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

differential("types, arithmetic, control, debug, env", [
  // typeOf and predicates
  "map builtins.typeOf [ 1 1.0 true null \"s\" ./x {} [] (x: x) builtins.map (builtins.add 1) ]",
  "builtins.typeOf (throw \"forced\")",
  "map builtins.isFunction [ (x: x) builtins.map (builtins.add 1) { __functor = self: x: x; } 1 ]",
  "map builtins.isInt [ 1 1.0 \"1\" ]",
  "map builtins.isFloat [ 1 1.0 ]",
  "map builtins.isString [ \"a\" \"${./hello.txt}\" ./x ]",
  "map builtins.isBool [ true null ]",
  "map builtins.isPath [ ./x \"/x\" ]",
  "map isNull [ null false ]",
  "builtins.isNull (throw \"forced\")",
  // arithmetic
  "builtins.add 1 2",
  "builtins.add 1 2.5",
  "builtins.add 1.5 2",
  "builtins.add 9223372036854775806 1",
  "builtins.add (-9223372036854775807) (-1)",
  "builtins.sub (-9223372036854775807) 1",
  "builtins.mul (-4611686018427387904) 2",
  "builtins.mul 9223372036854775807 (-1)",
  "builtins.add \"a\" 1",
  "builtins.add 1 \"a\"",
  "builtins.bitAnd 12 10",
  "builtins.bitOr 12 10",
  "builtins.bitXor 12 10",
  "builtins.bitAnd (-1) 255",
  "builtins.bitXor 1.0 1",
  "builtins.ceil 1.5",
  "builtins.ceil (-1.5)",
  "builtins.floor 1.5",
  "builtins.floor (-1.5)",
  "builtins.ceil 2",
  "builtins.floor 1.0e30",
  "builtins.ceil (-1.0e30)",
  "builtins.floor 9007199254740993.0",
  "builtins.ceil \"1\"",
  "builtins.div 7 2",
  "builtins.div (-7) 2",
  // control
  "builtins.seq 1 2",
  "builtins.seq (throw \"first\") 2",
  "builtins.seq { a = throw \"shallow\"; } 2",
  "builtins.deepSeq { a = throw \"deep\"; } 2",
  "builtins.deepSeq [ 1 [ (throw \"deeper\") ] ] 2",
  "builtins.deepSeq { a = [ 1 2 ]; } 3",
  "let x = { y = x; }; in builtins.deepSeq x 1",
  "builtins.genericClosure { startSet = [ { key = 5; } ]; operator = item: [ { key = if (item.key / 2) * 2 == item.key then item.key / 2 else 3 * item.key + 1; } ]; }",
  "builtins.genericClosure { startSet = [ { key = 1; } { key = 1; v = 2; } ]; operator = x: []; }",
  "builtins.genericClosure { startSet = [ { key = [ 1 2 ]; } ]; operator = x: if builtins.length x.key > 4 then [] else [ { key = x.key ++ [ 0 ]; } { key = [ 1 2 ]; } ]; }",
  "builtins.genericClosure { startSet = [ { key = 1; } { key = \"a\"; } ]; operator = x: []; }",
  "builtins.genericClosure { startSet = [ { key = 1; } { key = 1.0; } { key = 2.5; } ]; operator = x: []; }",
  "builtins.genericClosure { startSet = [ { key = {}; } ]; operator = x: []; }",
  "map (x: x.key) (builtins.genericClosure { startSet = [ { key = 2; } { key = 1; } { key = 1.0; } { key = 3; } { key = 2.0; } { key = 2.5; } { key = 3; } ]; operator = x: []; })",
  storePathCase("map (x: x.key) (builtins.genericClosure { startSet = [ { key = \"b\"; } { key = \"a\"; } { key = \"b\"; } { key = \"${./hello.txt}\"; } ]; operator = x: []; })"),
  "builtins.genericClosure { startSet = [ { key = \"b\"; } { key = \"a\"; } { key = 1; } ]; operator = x: []; }",
  "builtins.genericClosure { startSet = [ { key = 1; } { key = 2; } { key = [ 1 ]; } ]; operator = x: []; }",
  "builtins.genericClosure { startSet = [ { key = {}; } { key = {}; } ]; operator = x: []; }",
  "builtins.genericClosure { startSet = [ { k = 1; } ]; operator = x: []; }",
  "builtins.genericClosure { startSet = [ 1 ]; operator = x: []; }",
  "builtins.genericClosure { operator = x: []; }",
  { expr: "builtins.genericClosure { startSet = []; }", current: "[ ]", upstream: "eval-fail-genericClosure-missing-operator (the operator is looked up only for a non-empty startSet)" },
  "builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: 1; }",
  "builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: [ 1 ]; }",
  "builtins.length (builtins.genericClosure { startSet = [ { key = 0; } ]; operator = x: if x.key < 5000 then [ { key = x.key + 1; } { key = x.key; } ] else []; })",
  "builtins.functionArgs ({ a, b ? 1, ... }: a)",
  "builtins.functionArgs (x: x)",
  "builtins.functionArgs ({ }: 1)",
  "builtins.functionArgs builtins.map",
  "builtins.functionArgs (builtins.map (x: x))",
  "builtins.functionArgs { __functor = self: { a }: a; }",
  "builtins.functionArgs 1",
  // debug
  "builtins.trace \"hello\" 1",
  "builtins.trace 1 2",
  "builtins.trace { a = 1; b = \"x\\n\\\"${\"\\${\"}\"; } 2",
  "builtins.trace [ 1 (1 + 1) ] 2",
  "let x = [ 1 ]; in builtins.trace [ x x ] 2",
  "let s = { a = 1; }; in builtins.trace { inherit s; t = s; } 2",
  "builtins.trace (x: x) 2",
  "builtins.trace builtins.map 2",
  "builtins.trace (builtins.map (x: x)) 2",
  "builtins.trace null (builtins.trace true (builtins.trace 1.5 (builtins.trace ./x 0)))",
  storePathCase("builtins.trace \"${./hello.txt}\" 0"),
  // current CppNix's ValuePrinter in trace (2.8: <CODE>, <LAMBDA>, <PRIMOP>, <PRIMOP-APP>)
  { expr: "builtins.trace [ 1 (1 + 1) ] 2", current: "2", currentTraces: ["trace: [ 1 \u00c2\u00abthunk\u00c2\u00bb ]"], upstream: "eval-okay-print" },
  { expr: "let l = [ (x: x) builtins.map (builtins.map (x: x)) ]; in builtins.deepSeq l (builtins.trace l 2)", current: "2", currentTraces: ["trace: [ \u00c2\u00ablambda @ \u00c2\u00abstring\u00c2\u00bb:1:12\u00c2\u00bb \u00c2\u00abprimop map\u00c2\u00bb \u00c2\u00abpartially applied primop map\u00c2\u00bb ]"], upstream: "eval-okay-print" },
  { expr: "let x = builtins.trace { x = x; } true; in x", current: "true", currentTraces: ["trace: { x = \u00c2\u00abpotential infinite recursion\u00c2\u00bb; }"], upstream: "lang.sh" },
  { expr: "let x = { repeating = x; tracing = builtins.trace x true; }; in x.tracing", current: "true", currentTraces: ["trace: { repeating = \u00c2\u00abrepeated\u00c2\u00bb; tracing = \u00c2\u00abpotential infinite recursion\u00c2\u00bb; }"], upstream: "lang.sh" },
  "builtins.trace (throw \"msg forced\") 1",
  "builtins.trace \"a\" (throw \"value forced\")",
  "builtins.sort (a: b: builtins.trace \"cmp ${toString a} ${toString b}\" (a < b)) [ 3 1 2 5 4 9 8 7 6 ]",
  // Returned arguments: a builtin's result is a new Value. 2.8 tracked printed lists
  // by their element storage (inline for one or two elements, so only longer lists
  // were «repeated»); current CppNix tracks them by Value, so none is (upstream
  // eval-okay-print): for three elements current CppNix is the oracle.
  ...["[ 1 ]", "[ 1 2 ]", "[ 1 2 3 ]"].flatMap((l) =>
    [
      `let l = ${l}; in [ l (builtins.seq 1 l) ]`,
      `let l = ${l}; in [ l (builtins.deepSeq 1 l) ]`,
      `let l = ${l}; in [ l (builtins.head [ l ]) ]`,
      `let l = ${l}; in [ l (builtins.elemAt [ 0 l ] 1) ]`,
      `let l = ${l}; in [ l (builtins.getAttr "a" { a = l; }) ]`,
      `let l = ${l}; in [ l (builtins.filter (x: true) l) ]`,
      `let l = ${l}; in [ l (builtins.concatLists [ [ ] l ]) ]`,
      `let l = ${l}; in [ l (builtins.concatMap (x: x) [ l ]) ]`,
      `let l = ${l}; in [ l (builtins.foldl' (a: b: b) l [ ]) ]`,
      `let l = ${l}; in [ l (builtins.trace "t" l) ]`,
    ].map((expr): Case => (l === "[ 1 2 3 ]" ? { expr, current: "[ [ 1 2 3 ] [ 1 2 3 ] ]", upstream: "eval-okay-print" } : expr)),
  ),
  { expr: "let l = [ 1 2 3 ]; in [ l l ]", current: "[ [ 1 2 3 ] \u00c2\u00abrepeated\u00c2\u00bb ]", upstream: "eval-okay-print" },
  { expr: "[ (let x = [ x ]; in x) ]", current: "[ [ [ \u00c2\u00abrepeated\u00c2\u00bb ] ] ]", upstream: "eval-okay-print" },
  "let a = { x = 1; }; in [ a (removeAttrs a [ ]) ]",
  "let a = { x = 1; }; in [ a (builtins.getAttr \"a\" { inherit a; }) ]",
  // env and constants
  "builtins.getEnv \"LADING_SURELY_UNSET_VARIABLE\"",
  "builtins.getEnv \"HOME\"",
  "builtins.getEnv 1",
  "builtins.nixVersion",
  "builtins.langVersion",
  "builtins.storeDir",
  "builtins.currentSystem",
  "builtins.typeOf builtins.currentTime",
]);
