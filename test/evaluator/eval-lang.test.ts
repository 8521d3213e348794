/**
 * Every language construct, evaluated by us and by CppNix 2.8
 * (`nix-instantiate --eval --strict -E`), printed output compared exactly.
 */
import { differential, strictExprs } from "./eval-harness.js";

const LITERALS = [
  "1", "(-1)", "0", "9223372036854775807", "1.0", "1.5", "0.1", "1e10", "1.5e-7", "123456789.0", "(-0.0)", "2.5e300",
  "true", "false", "null", '"a\\nb\\tc\\"d\\\\e"', '"${"x"}y"', '"a\\${b}"', '"$${x}"', "''\n  a\n    b\n  ''", "''a''${b}''",
  "''\n  x ''${y} $z\n''", '"é ü"', "[]", "[ 1 2 [ 3 ] ]", "{}", "{ a = 1; b = { c = 2; }; }", '{ "a b" = 1; "if" = 2; x-y = 3; }',
  "./.", "/a/../b/./c", "http://example.org/x?y=1", "./foo + \"/bar\"",
];

const ARITHMETIC = [
  "1 + 2", "1 - 5", "3 * -4", "7 / 2", "(-7 / 2)", "7 / -2", "1 + 2.5", "2.5 * 2", "1 / 2.0", "1.0 / 3", "5 - 0.5",
  "1 < 2", "2 < 1", "1 <= 1", "2 >= 3", "1 > 0.5", '"a" < "b"', '"abc" < "ab"', "[1 2] < [1 3]", "[1] < [1 0]", "[] < []",
  "./a < ./b", "1 == 1.0", "1 == 1", '"a" == "a"', "[1 [2]] == [1 [2]]", "{a = 1;} == {a = 1;}", "{a = 1;} == {a = 2;}",
  "null == null", "1 != 2", "(x: x) == (x: x)", "let f = x: x; in f == f", "let f = x: x; in [f] == [f]",
  "let f = x: x; in { inherit f; } == { inherit f; }", "let s = { f = x: x; }; in s == s",
  "let s = { f = x: x; }; in [ s.f ] == [ s.f ]", '"a" + "b"', '"a" + toString 1', "./a + \"b\"", "./a + \"/b/../c\"",
  "(-(1))", "(- 2.5)", "!true", "!false", "true && false", "false || true", "false -> throw \"no\"", "true -> false",
  "{ a = 1; } // { b = 2; }", "{ a = 1; b = 1; } // { a = 2; }", "{} // {}", "[1] ++ [2 3]", "[] ++ []", "1 + 2 * 3 - 4 / 2",
  "builtins.sub 10 3", "builtins.mul 2 3", "builtins.div 9 2", "builtins.lessThan 1 2", "__sub 1 2",
];

const BINDINGS = [
  "let x = 1; y = x + 1; in y", "let x = y; y = 2; in x", "rec { a = b; b = 1; }", "let a = { x = 1; }; in a.x",
  "let inherit (builtins) length; in length [1 2]", "let x = 1; in { inherit x; }", "let x = 1; in rec { inherit x; y = x; }",
  "let x = 1; in rec { x = 2; y = x; }", "let x = 1; s = rec { inherit x; }; in s", "let a = { b = 3; }; in { inherit (a) b; }",
  "rec { a = { x = 1; }; inherit (a) x; }", "{ a.b.c = 1; a.b.d = 2; a.e = 3; }", "{ a = { b = 1; }; a.c = 2; }",
  'let n = "x"; in { ${n} = 1; "${n}y" = 2; }', "{ ${null} = 1; b = 2; }", 'rec { a = "b"; ${a} = 1; }',
  "let x = 1; in let x = 2; in x", "let f = x: let x = 3; in x; in f 1", "rec { x = 1; y = { x = 2; z = x; }; }.y.z",
  "let { body = 1; }", "let { x = 2; body = x * 2; }", "rec { __overrides = { a = 5; }; a = 1; b = a; }",
  "let a = 1; in { a = 2; b = a; }", "{ inherit (builtins) true; }",
];

const SELECT = [
  "{ a = 1; }.a", "{ a.b = 1; }.a.b", "{ a = 1; }.b or 2", "{ a = 1; }.a.b or 3", "1 .a or 4", "{ a = { b = null; }; }.a.b.c or 5",
  '{ a = 1; }."a"', 'let k = "a"; in { a = 1; }.${k}', "{ a = 1; } ? a", "{ a = 1; } ? b", "{ a.b = 1; } ? a.b", "1 ? a",
  "{ a = 1; } ? a.b", '{ "x y" = 1; } ? "x y"', "let or = 1; in [ or ]", "(x: x) or", "{ a = { }; }.a.b or { }.c or 6",
  "{ a = throw \"no\"; } ? a", "let a = { x = 1; }; in a.x or (throw \"no\")",
];

const FUNCTIONS = [
  "(x: x + 1) 2", "(x: y: x - y) 5 3", "({ a, b }: a + b) { a = 1; b = 2; }", "({ a, b ? a * 10 }: b) { a = 2; }",
  "({ a ? b, b ? 3 }: a) { }", "({ a, ... }: a) { a = 1; z = 2; }", "(args@{ a, ... }: args.z) { a = 1; z = 2; }",
  "({ a, ... }@args: args) { a = 1; }", "(args@{ a ? 5 }: args) { }", "let f = { a ? 1 }@x: [ a x ]; in f { }",
  "let f = x: { inherit x; }; in (f 1).x", "let s = { __functor = self: x: self.n + x; n = 10; }; in s 5",
  "let s = { __functor = self: x: y: x * y; }; in s 3 4", "builtins.map (x: x * 2) [ 1 2 3 ]", "map (builtins.add 1) [ 1 2 ]",
  "let compose = f: g: x: f (g x); in compose (x: x + 1) (x: x * 2) 5", "(builtins.sub 10) 4", "builtins.add 1",
  "let f = { a }: a; in f { a = f { a = 3; }; }", "((x: x) (y: y)) 7", "let id = x: x; in id id id 3",
  "builtins.functionArgs ({ a, b ? 1 }: a)",
];

const CONTROL = [
  "if true then 1 else 2", "if 1 < 2 then \"y\" else throw \"n\"", "assert true; 1", "assert 1 < 2; \"ok\"",
  "with { a = 1; }; a", "with { a = 1; }; with { a = 2; }; a", "with { a = 1; }; with { b = 2; }; a + b",
  "let a = 1; in with { a = 2; }; a", "with { true = 1; }; true", "with builtins; length [ 1 ]", "with (throw \"lazy\"); 1",
  "with { x = 1; }; let y = x; in with { x = 2; }; y", "rec { a = 1; b = with { a = 2; }; a; }",
  "let f = with { z = 3; }; x: x + z; in f 1", "builtins.tryEval (throw \"x\")", "builtins.tryEval (assert false; 1)",
  "builtins.tryEval 1", "builtins.tryEval { a = throw \"deep\"; }", "(builtins.tryEval (throw \"x\")).success",
  "builtins.addErrorContext \"ctx\" 5", "builtins.seq 1 2", "builtins.deepSeq [ 1 ] 2",
];

const LAZINESS = [
  "let x = throw \"unused\"; in 1", "(x: 1) (throw \"no\")", "builtins.length [ (throw \"a\") (abort \"b\") ]",
  "{ a = throw \"no\"; b = 1; }.b", "let s = { a = 1; b = s.a; }; in s.b", "let xs = [ 1 xs ]; in builtins.head xs",
  "builtins.attrNames { a = throw \"x\"; b = abort \"y\"; }", "let f = n: if n == 0 then 0 else f (n - 1); in f 1000",
  "let fix = f: let x = f x; in x; in (fix (self: { a = 1; b = self.a + 1; })).b", "false && throw \"no\"",
  "true || throw \"no\"", "let x = { inherit x; }; in builtins.isAttrs x", "builtins.seq (x: throw \"not called\") 1",
];

const CURPOS = ["__curPos", "{ a = __curPos; }.a.line", "builtins.unsafeGetAttrPos \"a\" { a = 1; }"];

const STRINGS = [
  'toString 1', 'toString 1.5', 'toString true', 'toString false', 'toString null', 'toString [ 1 "a" [ ] [ 2 ] null ]',
  'toString ./foo', '"${toString 2.0}"', '"x${{ outPath = "o"; }}"', '"x${{ __toString = s: "t"; }}"',
  'toString { __toString = s: s.v; v = "w"; }', '"a" + { outPath = "b"; }', "builtins.typeOf \"${./.}\"",
];

// `==` on sets: derivations by outPath (only when both sides are), the left `type` forced first,
// slots compared by identity before their values, ints against floats, names in any order.
const D = 'd = { type = "derivation"; outPath = "/a"; x = 1; }';
const EQUALITY = [
  `let ${D}; in d == { type = "derivation"; outPath = "/a"; }`, `let ${D}; in d == { type = "derivation"; outPath = "/b"; x = 1; }`,
  `let ${D}; in d == d // { y = x: x; }`, '{ type = "derivation"; } == { type = "derivation"; }', '{ type = "derivation"; a = 1; } == { type = "derivation"; a = 2; }',
  '{ type = "x"; outPath = 1; } == { type = "x"; outPath = 1; a = 2; }', "{ a = 1; } == { a = 1.0; }", "[ 1 ] == [ 1.0 ]", "{ a = 1.5; } == { a = 1.5; }",
  "{ a = 1; b = 2; } == { b = 2; a = 1; }", "{ a = 1; } == { b = 1; }", "{ a = 1; } == { a = 1; b = 2; }", '{ x = { y = [ 1 "a" null true ]; }; } == { x = { y = [ 1 "a" null true ]; }; }',
  "let f = x: x; s = { a = f; }; in (s // { }) == s", "let f = x: x; s = { a = f; }; in s // { b = 1; } == s // { b = 1; }", "let f = x: x; in { a = f; } == { a = x: x; }",
  'let t = { __toString = _: "x"; }; in [ (t == "x") (t == { __toString = _: "x"; }) ]', '{ a = "x${toString 1}"; } == { a = "x1"; }',
  '(builtins.tryEval ({ type = throw "t"; } == { })).success', '(builtins.tryEval ({ a = throw "t"; } == { a = 1; })).success',
  '(builtins.tryEval ({ a = throw "t"; } == { b = 1; })).success', '(builtins.tryEval ({ type = "derivation"; } == { type = throw "t"; })).success',
  '(builtins.tryEval ({ type = "derivation2"; } == { type = throw "t"; })).success', "9223372036854775807 == 9223372036854775807.0",
  // Partial applications of primops given their last argument(s); dynamic `?`.
  "let e = builtins.elem 3; in e [ 3 ]", 'let h = builtins.hasAttr "a"; in h { a = 1; }', 'let s = builtins.substring 1; in s 2 "abcd"',
  'let s = builtins.substring; in s 0 1 "xy"', "let f = builtins.foldl' builtins.add; in f 0 [ 1 2 ]", 'let n = "a"; in [ ({ a = 1; } ? ${n}) ({ b = 1; } ? ${n}) ]',
  'let e = builtins.elem; in builtins.tryEval (e (throw "x") [ 1 ])', "builtins.map (builtins.elem 1) [ [ 1 ] [ 2 ] ]",
];

const EXPRS = [...LITERALS, ...ARITHMETIC, ...EQUALITY, ...BINDINGS, ...SELECT, ...FUNCTIONS, ...CONTROL, ...LAZINESS, ...CURPOS, ...STRINGS];

differential("language constructs match CppNix (--eval --strict)", strictExprs(EXPRS));

// Without --strict: unevaluated parts print as <CODE>, and CppNix's other placeholders.
differential(
  "non-strict printing matches CppNix",
  [
    "{ a = 1 + 1; b = 2; c = x: x; d = map; e = map (x: x); f = [ (1 + 1) ]; g = ./a; h = 1.0; }",
    "let a = { x = 1; }; l = [ 1 2 ]; in [ a a l l { } { } [ ] [ ] ]",
    "x: x",
    "map",
    "builtins.add 1",
    "[ (x: x) ]",
    "let s = { x = 1; }; in { a = s; b = s; }",
    "{ a.b.c = 1; }",
  ].map((e) => ["--eval", "-E", e]),
);

// --strict printing of shared values: «repeated».
differential(
  "repeated values print as CppNix does",
  strictExprs([
    "let a = { x = 1; }; in { inherit a; b = a; }",
    "let a = { x = 1; }; in [ a a ]",
    "let l = [ 1 2 3 ]; in [ l l ]",
    "let e = { }; in [ e e ]",
    "let s = { a = 1; }; in [ (s // { }) s ]",
  ]),
);
