/**
 * The compiled fast paths for `a * b`, `a / b` (desugared `__mul`/`__div` calls on
 * two ints without an argument array) and for curried `a: b: …` lambdas entered
 * without their intermediate closure (call sites `f x y`, foldl', sort): values,
 * errors and --show-trace frames against CppNix, with operands that are thunks,
 * that fail, floats, overflow and division by zero.
 */
import { differential, strictExprs } from "./eval-harness.js";

const ARITH = [
  "let x = 6; y = 7; in x * y",
  "let f = x: x * 3; in map f [ 1 2 3 ]",
  "builtins.genList (x: x * x - x / 2) 10",
  "let a = 7; b = -2; in [ (a / b) (a * b) (-7 / 2) (0 * -3) ]",
  "let x = 3037000499; in x * x",
  "let x = 9007199254740993; in [ (x * 1) (x / 3) (x * -1) ]",
  "2.5 * 4",
  "let x = 10; in x / 4.0",
  "let x = 1; y = 0; in x / y",
  "let x = throw \"left\"; in x * 2",
  "let y = throw \"right\"; in 2 / y",
  "let x = \"a\"; in x * 2",
  "let x = { }; in 2 / x",
];

const CURRIED = [
  "let f = a: b: a - b; in f 10 3",
  "let f = a: b: c: a + b * c; in [ (f 1 2 3) ((f 1 2) 3) ]",
  "builtins.foldl' (acc: x: acc + x) 0 (builtins.genList (x: x) 100)",
  "builtins.sort (a: b: a > b) [ 3 1 2 ]",
  "let f = a: { b }: a + b; in f 1 { b = 2; }",
  "let f = a: b@{ ... }: a + b.c; in f 1 { c = 5; }",
  "let f = a: b: throw \"inner\"; in f 1 2",
  "let f = a: b: a.x + b; in f { } 1",
  "builtins.foldl' (acc: x: acc + x) 0 [ 1 \"a\" ]",
  "let g = n: if n == 0 then 0 else (a: b: a + b) 1 (g (n - 1)); in g 200",
];

differential("`*`, `/` and curried calls match CppNix (--eval --strict)", strictExprs([...ARITH, ...CURRIED]));

differential(
  "errors through `*`, `/` and curried calls with --show-trace match CppNix",
  [...ARITH, ...CURRIED].filter((e) => /throw|"a"|\{ \}|y = 0/.test(e)).map((e) => ["--eval", "--strict", "--show-trace", "-E", e]),
);

// genericClosure's int keys (a bitmap for 0 ≤ k < 2^24, a hash set beyond, a sorted
// list once a key of another type comes): every mix, in CppNix's result order.
const closure = (start: string, op: string): string => `map (x: x.key) (builtins.genericClosure { startSet = ${start}; operator = x: ${op}; })`;
differential(
  "genericClosure int keys (small, negative, large, mixed with floats) match CppNix",
  strictExprs([
    closure("[ { key = 0; } ]", "if x.key >= 300 then [ ] else [ { key = x.key + 1; } { key = x.key * 7 - x.key * 7 / 300 * 300; } ]"),
    closure("[ { key = 5; } { key = 5; } ]", "[ { key = 5; } { key = -5; } { key = 16777216; } { key = 16777215; } { key = -9223372036854775807; } ]"),
    closure("[ { key = 3; } ]", "if x.key > 20 then [ ] else [ { key = x.key + 2; } { key = 1.5 * x.key; } ]"),
    closure("[ { key = 40; } ]", "if x.key < 1 then [ ] else [ { key = x.key - 3; } ] ++ (if x.key == 10 then [ { key = 2.0; } { key = 7; } ] else [ ])"),
    closure("[ { key = 9007199254740993; } ]", "[ { key = 9007199254740993; } { key = 1; } { key = 0.5; } ]"),
    closure("[ { key = 1; } ]", "[ { key = \"a\"; } ]"),
  ]),
);
