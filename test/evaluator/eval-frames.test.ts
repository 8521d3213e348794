/**
 * The evaluator's frames and lazy applications against CppNix 2.8: slot 0 of an
 * environment lives inline (Env.v0) and every way a frame is filled (let, rec,
 * formals with defaults, `@`, `with`, `__overrides`) must still see it; the
 * inline call paths (`x: …` entered by the call site, curried calls, map/genList
 * thunks) must keep laziness, errors and traces.
 */
import { differential, strictExprs } from "./eval-harness.js";

const FRAMES = [
  "let a = 1; b = a + 1; in b",
  "let a = b; b = 2; in a",
  "let a = b + 1; b = 2; c = a * b; in [ a b c ]",
  "rec { a = 1; b = a; c = { d = a; }; }.c.d",
  "rec { a = b; b = 3; }",
  "({ a, b ? a }: b) { a = 5; }",
  "(s@{ a ? s.b, b }: a) { b = 3; }",
  "({ a ? b, b ? 7 }: a) { }",
  "({ a ? 1, ... }@s: [ a (s.z or 0) ]) { z = 4; }",
  "with { x = 1; }; with { y = 2; }; x + y",
  "let x = 1; in with { y = 2; }; let z = x + y; in z",
  "let x = 1; in with { x = 2; }; x",
  "with { a = 1; }; (y: a + y) 2",
  "rec { __overrides = { a = 5; }; a = 1; b = a; }.b",
  "rec { b = 1; __overrides = { b = 9; }; c = b; }.c",
  "let f = x: y: x - y; in builtins.foldl' f 100 [ 1 2 3 ]",
  "let f = x: y: z: x * y + z; in [ (f 2 3 4) ((f 2) 3 4) ((f 2 3) 4) ]",
  "let f = x: x; g = f f; in g 3",
  "let fix = f: let x = f x; in x; in (fix (self: { a = 1; b = self.a + 1; })).b",
];

const LAZY_APPLY = [
  "builtins.genList (x: x * x) 5",
  "map (x: x + 1) (builtins.genList (x: x) 4)",
  "let s = { __functor = self: x: x * 2; }; in map s [ 1 2 ]",
  "builtins.map builtins.head [ [ 1 ] [ 2 ] ]",
  "builtins.length (map (x: throw \"never\") [ 1 2 3 ])",
  "builtins.elemAt (builtins.genList (x: if x == 1 then throw \"one\" else x) 3) 2",
  "builtins.foldl' (a: b: a + b) 0 (map (x: x * 3) (builtins.genList (x: x) 1000))",
  "let xs = builtins.genList (x: { v = x; }) 3; in map (x: x.v) xs",
];

const ERRORS = [
  "1 + (throw \"x\")",
  "(throw \"x\") + 1",
  "\"a\" + (throw \"y\")",
  "let f = n: if n == 0 then throw \"boom\" else n + f (n - 1); in f 3",
  "let f = x: y: x + y; in f 1 \"a\"",
  "let f = x: x.a; in f { }",
  "map (x: x + 1) [ 1 \"a\" ]",
  "let x = x + 1; in x",
  "let a = { b = a.b; }; in a.b",
  "let x = throw \"e\"; in [ (builtins.tryEval x).success (builtins.tryEval x).success ]",
  "({ a }: a) { }",
  "({ a }: a) { a = 1; b = 2; }",
];

differential("frames and calls match CppNix (--eval --strict)", strictExprs([...FRAMES, ...LAZY_APPLY, ...ERRORS]));

differential(
  "errors of calls and lazy applications with --show-trace match CppNix",
  ERRORS.map((e) => ["--eval", "--strict", "--show-trace", "-E", e]),
);

// Without --strict the list's elements stay unevaluated thunks (printed as <CODE>).
differential(
  "map and genList elements stay lazy (--eval, not strict)",
  ["builtins.genList (x: x) 3", "map (x: x) [ 1 2 ]", "let f = x: y: x; in [ (f 1) (f 1 2) ]"].map((e) => ["--eval", "-E", e]),
);

// In this process (the test runner's default stack); the CLI raises its stack for deeper ones.
differential(
  "non-tail recursion matches CppNix",
  strictExprs(["let sum = n: if n == 0 then 0 else n + sum (n - 1); in sum 1000", "let f = { n }: if n == 0 then 0 else 1 + f { n = n - 1; }; in f { n = 700; }"]),
);
