/**
 * A warm-up parse for fresh processes. V8 optimises the lexer and parser while the
 * first large file is being parsed; functions optimised before their rarer paths
 * (paths, indented strings, formals, operators) have run carry no type feedback
 * for those paths, deoptimise when they meet them, and get compiled again, which
 * cost more CPU than the parse itself. Parsing this small text first, which walks
 * the grammar's common paths, gives every site feedback before V8 compiles it
 * (sites that test a node's kind see several node shapes, so their optimised code
 * does not deoptimise on the next one; V8 allocates a function's feedback only
 * after some calls, so rare tokens also come late in the text):
 * about 5 ms once per process, against 25-35% less CPU for the cold parse of
 * nixpkgs lib (bench/parse). The AST is discarded; nothing is registered.
 */
import { parseSource } from "./parser.js";
import { setLiteralLints } from "./lints.js";
import { Source } from "./source.js";

/** Sources at least this long trigger the warm-up (short `-E` expressions do not). */
export const PRIME_MIN_LENGTH = 4096;

const PRIMER = `# A comment.
/**
  A doc comment.
*/
{ lib, a ? 1, b ? { }, ... }@args:
let
  inherit (lib) x y;
  inherit a b;
  s = "str \${a.b} \\n \\" $x $\${y} end";
  t = ''
    ind \${b} ''$ ''' ''\\n $a 'q'
      more
  '';
  p = ./foo/bar.nix;
  r = <nixpkgs/lib>;
  v = ./a/\${b}/c;
  f = 1.5e3 + .5 - 0.25 * 3 / 2 + 10;
  g = x: y: x ++ [ y 1 "z" ] // { c.d = 1; "e" = 2; \${s} = 3; };
  h = rec { i = -1; j = !true || false && null == 1 -> 2 != 3; k = 1 < 2 && 2 > 1 && 1 <= 2 && 2 >= 1; };
  m = { x, y }: x;
  n = lib.mkOption { type = lib.types.int; default = 1; description = "d"; };
  o = { "a\${s}" = 1; \${s}.q = 2; u = ''one line''; w = "$"; z = "x$\\{"; } // (f a) b // (x: x) 1 // (import ./o.nix) { } // [ 1 ] ++ (-x);
  q = { \${a.b} = 4; \${"c\${s}"} = 5; \${f x} = 6; \${"d"} = 7; \${x} = 8; };
  ap = [ ((f a) b) ((x: x) 1) ("s" x) ({ } x) ([ ] x) (1 x) (a.b x) (./p x) 2.5 .5 __curPos ];
in
with p;
assert a ? b.c && a ? "d";
if a.b.c or d then g (f) a.\${s} else if h.i or false then [ ] else (m { x = 1; y = 2; }).x
`;

let primed = false;

/** Runs the warm-up parse once per process (a no-op afterwards). */
export function primeParser(): void {
  if (primed) return;
  primed = true;
  // Lints off: the primer's literals must not warn whatever the command line set.
  const lints = setLiteralLints({ absolutePaths: "ignore", shortPaths: "ignore", urls: "ignore", warn: () => {} });
  try {
    parseSource(new Source("(primer)", PRIMER, "string", 1, "bytes"), { basePath: "/", home: "/" });
  } catch {
    // Only a speed-up: a failure here must not fail the real parse (parse-primer.test checks the text parses).
  } finally {
    setLiteralLints(lints);
  }
}

/** The warm-up text (tests check that it parses and what it covers). */
export const PRIMER_TEXT = PRIMER;
