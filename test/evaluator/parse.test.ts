/**
 * Differential tests of the Nix parser against CppNix 2.8: both print the parsed
 * expression in `nix-instantiate --parse` format and the texts must agree; syntax
 * errors must be rejected by both at the same line and column with the same message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { NixSyntaxError, parse, resolvePos, setSyntaxWarningSink, showExpr } from "../../evaluator/syntax/index.js";
import { mapPool, nixSkipReason } from "../helpers/nix.js";
import { generateNixCorpus } from "../helpers/nix-corpus.js";
import { currentTokenNames } from "./errors-current.js";

const run = promisify(execFile);
const skip = nixSkipReason();

interface CppResult {
  ok: boolean;
  out: string;
  /** For failures: message, line and column from `error: … at «string»:L:C:`. */
  message?: string;
  line?: number;
  column?: number;
}

async function cppParse(args: string[]): Promise<CppResult> {
  try {
    const { stdout } = await run("nix-instantiate", ["--parse", ...args], { maxBuffer: 1 << 30 });
    return { ok: true, out: stdout.replace(/\n$/, "") };
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? err);
    const m = /^error: ([\s\S]*?)\n\n\s+at (.*):(\d+):(\d+):/m.exec(stderr);
    if (!m) return { ok: false, out: stderr };
    return { ok: false, out: stderr, message: m[1]!.trim(), line: Number(m[3]), column: Number(m[4]) };
  }
}


/**
 * Canonical form for texts whose only freedom is CppNix's symbol-address order of
 * `let` bindings and formals: parse the printed text and print it sorted by name.
 */
function canonical(printed: string): string {
  return showExpr(parse(printed), { order: "name", style: "2.8" });
}

// Test inputs are ordinary JS strings (the evaluator passes latin1 byte strings).
function oursPrinted(text: string, file?: string): string {
  return showExpr(parse(text, file, { encoding: "utf16" }), { style: "2.8" });
}

/** Our text matches CppNix's exactly, or up to the order CppNix leaves to its heap. */
function samePrint(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  try {
    return canonical(ours) === canonical(theirs);
  } catch {
    return false;
  }
}

// Variables are bound by a leading `with {};` so CppNix's parse-time
// undefined-variable check never fires; it shifts every line by one for both.
const PRELUDE = "with {};\n";

// ---------------------------------------------------------------------------
// The corpus of valid expressions.

const BIN_OPS = ["->", "||", "&&", "==", "!=", "<", ">", "<=", ">=", "//", "+", "-", "*", "/", "++"];

// `==`/`!=` and `<`/`>`/`<=`/`>=` are non-associative: chaining two of one group
// is a syntax error (checked against CppNix in the error test).
const NONASSOC_GROUPS = [["==", "!="], ["<", ">", "<=", ">="]];
const chainIsError = (a: string, b: string): boolean => NONASSOC_GROUPS.some((g) => g.includes(a) && g.includes(b));

function precedenceCorpus(): string[] {
  const out: string[] = [];
  for (const a of BIN_OPS) {
    for (const b of BIN_OPS) if (!chainIsError(a, b)) out.push(`x ${a} y ${b} z`, `!x ${a} y ${b} -z`);
    out.push(`!x ${a} y`, `-x ${a} y`, `x ${a} !y`, `x ${a} -y`, `f x ${a} g y`, `x.a ${a} y.b or c`);
    out.push(`x ${a} y ? z`, `x ? y ${a} z`, `-x ${a} -y ? z`, `x ${a} (y)`, `x ${a} f y`);
  }
  return out;
}

function nonassocErrors(): string[] {
  const out: string[] = [];
  for (const a of BIN_OPS) for (const b of BIN_OPS) if (chainIsError(a, b)) out.push(`x ${a} y ${b} z`);
  return out;
}

const CORPUS: string[] = [
  // literals
  "1", "0", "007", "9223372036854775807", "123456789012", "[1 2 3]", "[]", "[ [ ] [ 1 ] ]",
  "1.5", "0.5", ".5", "1.", "1.e3", "1.5e10", "1.5E3", ".5e+2", "1.e-3", "0.0001", "0.00001", "1234567.0",
  "100000000.0", "999999.5", "9999995.0", "1234565.0", "0.1e-4", "1.5e300", "2.2250738585072014e-308",
  "0.000001234567", "123456789012345678901234567890.0", "3.14159265358979", "0.0", "1.0e0", "01.5", "1.a",
  "true", "false", "null", "__curPos", "x: __curPos", "[ __curPos ]",
  // strings
  '""', '"abc"', '"a\\nb\\tc\\rd"', '"\\$"', '"\\${x}"', '"$${x}"', '"$$"', '"a$"', '"$"', '"\\\\"', '"\\""', '"\\q"',
  '"${x}"', '"a${x}"', '"${x}b"', '"a${x}b${y}c"', '"${x}${y}"', '"nested ${"inner ${x} str"} done"',
  '"multi\nline\n"', '"cr\r\nlf"', '"lone\rcr"', '"tab\there"', '"unicode é ∀ 😀"', '"$\\{x}"', '"${ {a=1;}.a }"',
  '"\\\n"', '"a\\\r\nb"',
  // indented strings
  "''''", "'' ''", "''\n''", "''abc''", "''\n  a\n  b\n''", "''\n  a\n   b\n\n  c\n  ''", "''  a''${x}b\n    c   ''",
  "''\n    a\n  b\n''", "''\n\ta\n\tb\n''", "''\n  \ta\n  b\n''", "''\n  a\n \n  b\n''", "''\n  a\n    \n  b\n  ''",
  "''a\n  b''", "''\n  a ''${x} b\n''", "'' $${x} ''${x} ''' ''\\n ''\\t ${x}''", "''\n  ${x}\n  a\n''",
  "''\n  a\n  ${x}''", "''\n    ${x} a\n  b\n''", "''\n  '${x}\n''", "''a'b''", "''a'''b''", "''$''", "''a$b''",
  "''\n  a\n  ''\\n\n  b\n''", "''\n\n\n  a\n\n''", "''  \n  a\n''", "''   \n  a''", "''\n  a\n  b ''",
  "''\n  a\r\n  b\n''", "''\n  x ''\\\n''", "''\n  ${x}${y}\n    z\n''", "''${x}''", "''\n''${x}\n''",
  "''\n  ''$a\n''", "''\n  '''\n  a\n''", "''''\\t''", "''  ${x}  ''", "''\n  \n''",
  // line-wise indentation stripping: runs split by escapes and interpolations, deeper and shallower lines
  "''\n    a\n  b${x}\n      c\n   d''", "''\n   ${x}   \n  a\n    ''", "''\n    a''$\n   b\n''", "''\n  a\n\n\n    b\n''",
  "''\n     ''\\t  a\n    b\n''", "''\n  a\n  ''", "''\n  \n  \n''", "''\n\t a\n  b\n''",
  // comments: `#` up to LF, or to a lone CR
  "1 # c\n+ 2", "1 # c\r+ 2", "1 # c\r\n+ 2", "[ 1 # a\n 2 # b\n ]", "1 #", "{ a = 1; # x\n b = 2; }",
  // paths
  "./a", "./a/b.nix", "../a", "/abs/path", "/abs/./x/../y", "a/b", "a/b/c", "./a-b_c+d.e", "/.", "./.",
  "~/a", "~/a/../b", "<nixpkgs>", "<nixpkgs/lib>", "<a.b-c_d+e>", "./a/${x}", "./a/${x}/b", "./a${x}",
  "./a/${x}.nix", "~/${x}", "a/${x}", "./${x}", "/a/${x}${y}/c", "./a/${x}b${y}", "[ ./a ./b ]", "x: ./a.${x}",
  "1/2", "1.5/a", "-/a", "+/a", "a/b.c/d", "foo-1.0/bar", "(./a)", "a//b", "x::y", "x.1", "1e-400", "x ? a ? b",
  // URIs
  "http://example.org/a?b=c&d=e", "https://x.y/z~a*b'c!d$e,f", "mailto:user@host", "a:b", "x+y-z.w:a", "git+ssh://x:y",
  "[ http://a.b/c https://d ]",
  // identifiers
  "a-b", "a'b", "a_b", "_a", "a'", "a--b''", "x: x-1", "x: x - 1", "__sub", "f.or", "{ or = 1; }.or", "a or",
  "map or [ ]", "x.or.y", "{ or = 1; }", "{ inherit or; }",
  // selection and has-attr
  "x.a", "x.a.b.c", "x.a or 1", "x.a.b or x.c or 2", "x.\"a b\"", "x.${y}", "x.${\"y\"}", "x.\"${y}\"",
  "x.\"a${y}\"", "x.a.${y}.\"c\"", "(x).a", "{ a = 1; }.a", "[ x.a ]", "x ? a", "x ? a.b.c", "x ? \"a\"",
  "x ? ${y}", "x ? \"${y}\"", "x.a ? b", "!x ? a", "-x ? a", "f x ? a", "x.a or y ? b", "let {body = 1;}.x or 2",
  // attribute sets
  "{ }", "{ a = 1; }", "{ a = 1; b = 2; }", "rec { a = 1; b = a; }", "{ a.b = 1; }", "{ a.b = 1; a.c = 2; }",
  "{ a.b.c = 1; a.b.d = 2; a.e = 3; }", "{ a = { b = 1; }; a.c = 2; }", "{ a.c = 2; a = { b = 1; }; }",
  "{ a = rec { b = 1; }; a.c = 2; }", "{ a = { b = 1; }; a = { c = 2; }; }", "{ ${x} = 1; }", "{ \"${x}\" = 1; }",
  "{ \"a\" = 1; }", "{ \"a b\" = 1; }", "{ ${\"a\"} = 1; }", "{ a.${x} = 1; }", "{ ${x}.a = 1; }",
  "{ a.${x}.b = 1; a.c = 2; }", "{ inherit a; }", "{ inherit a b c; }", "{ inherit (x) a; }", "{ inherit (x) a b; }",
  "{ inherit (x) a; inherit (y) b; inherit c; }", "rec { inherit (x) a; b = a; }", "{ inherit \"a\"; }",
  "{ inherit ${\"a\"}; }", "{ inherit; }", "{ inherit (x); }", "{ \"\" = 1; }", "{ \"if\" = 1; }", "{ \"1a\" = 1; }",
  "{ a = x: x; }", "{ a.b = x: x; }", "{ a = { inherit (x) y; }; a.b = 1; }", "{ \"a\".b = 1; a.c = 2; }",
  "{ x = 1; \"y\" = 2; ${\"z\"} = 3; \"${w}\" = 4; }", "{ a = { ${x} = 1; }; a.b = 2; }",
  // lists
  "[ x y z ]", "[ (f x) ]", "[ x.a x.b or 1 ]", "[ (x: x) ]", "[ a or ]", "[ { } [ ] \"s\" ]",
  // functions
  "x: x", "x: y: x", "{ }: 1", "{ ... }: 1", "{ a }: a", "{ a, b }: a", "{ a ? 1 }: a", "{ a ? 1, b ? a }: b",
  "{ a, ... }: a", "{ a, b ? 2, ... }: a", "{ a, }: a", "args @ { a }: a", "{ a } @ args: a", "args@{ a, ... }: a",
  "{ ... } @ args: args", "a: { b }: c: a", "{ a ? x: x }: a", "{ a ? { b = 1; } }: a", "{ a ? b.c or d }: a",
  "x: -x", "x: !x", "{ a ? (1) }: a", "{a?1,b?2}:a", "f: x: f (f x)",
  // application
  "f x", "f x y z", "(f x) y", "f (x y)", "(x: x) 1", "(f x y) z", "(x - y) z", "(x < y) z", "f x.a y.b",
  "f -x", "f (-x)", "- f x", "f x or", "f x or y", "<nixpkgs> { }", "import <nixpkgs> { }", "(<p>) x",
  "f { a = 1; } [ 1 ] \"s\" ./p http://u", "f rec { }", "f let { body = 1; }",
  // operators
  "1 + 2", "1 - 2", "1 * 2", "1 / 2", "1 + 2 * 3", "(1 + 2) * 3", "1 - 2 - 3", "1 / 2 / 3", "- 1", "--1", "- - 1",
  "!!x", "!-x", "-!x", "!x.a", "-x.a", "x ++ y ++ z", "x // y // z", "x -> y -> z", "x && y || z", "x || y && z",
  "x == y", "x != y", "x < y", "x > y", "x <= y", "x >= y", "x == (y == z)", "(x == y) == z", "x + y == z + w",
  "x // y ? z", "x ++ y.a or [ ]", "x: -x + 1", "-1 - -1", "1 + -2", "a -b", "a - b", "a-b", "a -1", "2 -1",
  "x+y", "x*y", "x/ y", "x /y", "x/y", "x ? y && z", "!x && !y", "!(x && y)", "x -> !y", "x == !y",
  // control
  "if x then y else z", "if x then if y then 1 else 2 else 3", "if x then y else if z then 1 else 2",
  "assert x; y", "assert x; assert y; z", "with x; y", "with x; with y; z", "let a = 1; in a",
  "let a = 1; b = a; in b", "let in 1", "let a.b = 1; a.c = 2; in a", "let inherit (x) a b; c = a; in c",
  "let inherit a; in a", "let { body = 1; }", "let { a = 1; body = a; }", "let { inherit (x) body; }",
  "let f = x: x; in f", "x: assert x; x", "x: with x; x", "x: if x then x else x", "x: let y = x; in y",
  "(if x then y else z).a", "(let a = 1; in a) b", "assert x -> y; z", "with { a = 1; }; a",
  "let x = 1; \"y\" = 2; in x",
  // comments and whitespace
  "# comment\n1", "1 # trailing", "/* block */ 1", "1 /* block */", "/** doc */ x", "/* multi\nline */ 1",
  "/* a * b */ 1", "/* **/ 1", "/***/ 1", "x /* c */ . /* d */ a", "x# comment\n.a", "1\r\n+\r\n2", "\t1\t+\t2",
  "x:/* c */x", "[ 1 # c\n 2 ]",
  // the lexer's shortcuts: `.` right after an identifier (no path or URI can start there), `x:` without a URI char after it
  "a.b.c", "a.5", "a.b/c", "a.b:c", "a+b/c", "x:x", "x:y.z", "foo_bar:x", "x':y", "a.b+c.d", "lib.x.y/z", "f.x:1",
  "a.1.2", "a.b-c.d", "a.b'c", "a.b:/x", "a:b:c", "a.b++c", "a+.5", "x: y.z or w", "a.b#c\n", "a./*x*/b", "a .5",
  "a.1e5", "x:\ny", "x:\ty", "{ a.b.c = 1; a.d = 2; }", "a.b.c.d.e.f", "a.b.${c}.d", "a.\"b\".c",
  // keywords as prefixes of identifiers
  "iff", "thenx", "elsey", "assert_", "with-x", "lets", "inx", "recs", "inherits", "orx", "or-", "if'",
  ...precedenceCorpus(),
];

// Syntax errors and other parse-time errors; each must be rejected by both.
const ERRORS: string[] = [
  "", " ", "# only a comment", "(", "(1", "(1   ", "(1 # c", ")", "1 )", "1 +", "+ 1", "{", "{ a = 1 }", "{ a = 1; ",
  "{ a }", "{ a b }", "{ a, b c }: 1", "{ ..., a }: 1", "{ a, ... b }: 1", "{ a } 1", "{ a }@ 1", "a @ 1", "x: x.",
  "\"abc", "''abc", "\"${x\"", "x == y == z", "x != y == z", "x < y < z", "x <= y >= z", 
  "{ a = 1; a = 2; }", "{ a.b = 1; a = 2; }", "{ a = 2; a.b = 1; }", "{ inherit a; a = 1; }", "{ a = 1; inherit a; }",
  "{ inherit a a; }", "{ inherit (x) a; a.b = 1; }", "{ a = { b = 1; }; a = { b = 2; }; }", "let a = 1; a = 2; in a",
  "{ inherit ${x}; }", "{ inherit \"${x}\"; }", "let ${x} = 1; in 1", "let \"${x}\" = 1; in 1", "{ a, a }: a",
  "{ a, b, a }: a", "{ b, a, b, a }: a", "{ a } @ a: a", "a @ { a }: a", "9223372036854775808", "99999999999999999999",
  "1.5e309", "1.0e-400", "4.9e-324", "./a/", "./a/ ", "x: ./a/", "~/a/", "./a/${x}/", "~/a//b", "./a/b//c",
  "<a//b>", "let or = 1; in or", "or", "x: or", "$x", "\\", "x: x\\", "a & b", "a | b", "%", "'", "'a'", "x: \u0001",
  "é", "if x then y", "if x else y", "assert x y", "with x y", "let a = 1;", "let a = 1 in a", "let { a = 1 ",
  "rec", "rec a", "inherit", "{ inherit (x) }", "[ 1 2", "]", "{ a.\"${b\" = 1; }", "\"${", "''${", "f(x", "x:",
  ":", "{}:", "{} @", "x @", "...", "{ ... , }: 1", "{ a ? }: 1", "{ a = ; }", "a.b.c or", "1 2 )",
  ...nonassocErrors(), "1\n\n  )", "x.y or", "{ or = 1; inherit or; }", "[ -1 ]", "\n\n\n(", "x: /* unterminated", "/*", "a /* b", "''\n  a\n  ${x\n''", "\"a\" \"b\" ]", "a...", "a.b...", "x..y", "a.-1", "a.b.c/",
];

test("every corpus expression prints as CppNix prints it", { skip }, async () => {
  const text = PRELUDE + "[\n" + CORPUS.map((e) => `(${e}\n)`).join("\n") + "\n]\n";
  const theirs = await cppParse(["-E", text]);
  assert.ok(theirs.ok, `CppNix rejected the corpus: ${theirs.out.slice(0, 500)}`);
  const ours = oursPrinted(text);
  if (samePrint(ours, theirs.out)) return;
  // Find the first expression that differs, for a readable failure.
  const results = await mapPool(CORPUS, 6, async (e) => {
    const t = await cppParse(["-E", PRELUDE + e]);
    let o: string;
    try {
      o = oursPrinted(PRELUDE + e);
    } catch (err) {
      o = `error: ${(err as Error).message}`;
    }
    return { e, same: t.ok && samePrint(o, t.out), ours: o, theirs: t.out };
  });
  const bad = results.filter((r) => !r.same);
  assert.deepEqual(bad, [], `${bad.length} of ${CORPUS.length} expressions differ`);
});

/**
 * Where current CppNix (the upstream language suite's `.err.exp`) differs from 2.8,
 * the oracle here: the expected report as current CppNix gives it, hand-written.
 * - Each inherited name has its own position (2.8: the end of the token before
 *   the names); upstream parse-fail-dup-attrs-2, parse-fail-dup-attrs-7,
 *   eval-okay-inherit-attr-pos.
 * - A path through an attribute that is not a set names the path up to that
 *   attribute (2.8: the whole path); CppNix's addAttr.
 * - Merged `a = { … }; a = { … };` sets report a clash at the second definition,
 *   naming the whole path (2.8: at the first, the last name only); upstream
 *   parse-fail-mixed-nested-attrs1/2.
 */
const CURRENT_CPPNIX: Record<string, { message: string; line: number; column: number }> = {
  "{ inherit a; a = 1; }": { message: "attribute 'a' already defined at (string):2:11", line: 2, column: 14 },
  "{ a = 1; inherit a; }": { message: "attribute 'a' already defined at (string):2:3", line: 2, column: 18 },
  "{ inherit a a; }": { message: "attribute 'a' already defined at (string):2:11", line: 2, column: 13 },
  "{ a = 2; a.b = 1; }": { message: "attribute 'a' already defined at (string):2:3", line: 2, column: 10 },
  "{ inherit (x) a; a.b = 1; }": { message: "attribute 'a' already defined at (string):2:15", line: 2, column: 18 },
  "{ a = { b = 1; }; a = { b = 2; }; }": { message: "attribute 'a.b' already defined at (string):2:9", line: 2, column: 25 },
  "{ or = 1; inherit or; }": { message: "attribute 'or' already defined at (string):2:3", line: 2, column: 19 },
};

test("syntax errors are reported at CppNix's position with its message", { skip }, async () => {
  const results = await mapPool(ERRORS, 6, async (e) => {
    const src = PRELUDE + e;
    const current = CURRENT_CPPNIX[e];
    const theirs = current ? { ok: false, out: "", ...current } : await cppParse(["-E", src]);
    if (theirs.message?.includes("unexpected end of file")) {
      // Current CppNix reports an unexpected end of file after the last lexeme read, the
      // end of the text (upstream parse-fail-eof-pos, parse-fail-eof-in-string); 2.8 at
      // that lexeme's start.
      const lines = src.split("\n");
      Object.assign(theirs, { line: lines.length, column: lines[lines.length - 1]!.length + 1 });
    }
    let ours: NixSyntaxError | string;
    try {
      ours = oursPrinted(src);
    } catch (err) {
      if (!(err instanceof NixSyntaxError)) throw err;
      ours = err;
    }
    return { e, theirs, ours };
  });
  const problems: string[] = [];
  let exactMessages = 0;
  for (const { e, theirs, ours } of results) {
    const label = JSON.stringify(e);
    if (theirs.ok || theirs.message === undefined) {
      problems.push(`${label}: CppNix did not report a parse error: ${theirs.out.slice(0, 200)}`);
      continue;
    }
    if (typeof ours === "string") {
      problems.push(`${label}: we accepted it (${ours}) but CppNix said: ${theirs.message}`);
      continue;
    }
    const theirsMessage = currentTokenNames(theirs.message.replace("«string»", "(string)"));
    // We print current CppNix's «string» (as UTF-8 bytes) where 2.8 printed (string).
    const oursMessage = ours.message.replace("\u00c2\u00abstring\u00c2\u00bb", "(string)");
    if (oursMessage === theirsMessage) exactMessages++;
    else {
      // Bison's "expecting …" list depends on its LR tables; the rest must agree.
      const head = (m: string): string => m.replace(/, expecting .*$/, "");
      if (head(oursMessage) !== head(theirsMessage)) {
        problems.push(`${label}: message ${JSON.stringify(oursMessage)} vs CppNix ${JSON.stringify(theirsMessage)}`);
      }
    }
    if (ours.line !== theirs.line || ours.column !== theirs.column) {
      problems.push(`${label}: at ${ours.line}:${ours.column}, CppNix at ${theirs.line}:${theirs.column}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(exactMessages >= ERRORS.length * 0.8, `only ${exactMessages} of ${ERRORS.length} messages match exactly`);
});

test("relative paths resolve against the file's directory, ~ against $HOME", { skip }, async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "lading-parse-")));
  const file = join(dir, "default.nix");
  writeFileSync(file, "x: [ ./a ../b ./. ./a/${x}/c ~/d ~/e/${x} <e> ./a/../../f ]");
  const theirs = await cppParse([file]);
  assert.ok(theirs.ok, theirs.out);
  assert.equal(oursPrinted(readFileSync(file, "utf8"), file), theirs.out);
});

test("generated nixpkgs-like files print as CppNix prints them", { skip }, async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "lading-parse-")));
  const files: string[] = [];
  for (const [i, lines] of [
    [1, 300],
    [2, 2000],
  ] as const) {
    const file = join(dir, `corpus-${i}.nix`);
    writeFileSync(file, generateNixCorpus(lines, i));
    files.push(file);
  }
  for (const file of files) {
    const theirs = await cppParse([file]);
    assert.ok(theirs.ok, theirs.out.slice(0, 500));
    assert.ok(samePrint(oursPrinted(readFileSync(file, "utf8"), file), theirs.out), file);
  }
});

/** `.nix` files below `root` (e.g. a nixpkgs checkout), smallest first. */
function nixFilesBelow(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".nix") && entry.isFile() && statSync(p).size < 4 << 20) found.push(p);
    }
  };
  walk(root);
  return found.sort();
}

// A corpus of real Nix code is not shipped (nothing fetched is committed): point
// LADING_NIX_CORPUS at a directory of .nix files, such as a nixpkgs checkout, to run this.
const corpusDir = process.env.LADING_NIX_CORPUS;
if (corpusDir) {
  test(`every .nix file below ${corpusDir} parses as CppNix parses it`, { skip }, async () => {
    const files = nixFilesBelow(corpusDir);
    assert.ok(files.length > 0, `no .nix files below ${corpusDir}`);
    const results = await mapPool(files, 6, async (f) => {
      const file = realpathSync(f);
      const theirs = await cppParse([file]);
      let ours: string;
      try {
        ours = oursPrinted(readFileSync(file, "utf8"), file);
      } catch (err) {
        ours = `error: ${(err as Error).message}`;
      }
      return { file, theirs, ours };
    });
    const problems: string[] = [];
    for (const { file, theirs, ours } of results) {
      // A parse-time undefined variable is the evaluator's scope check, not syntax.
      if (!theirs.ok && /undefined variable/.test(theirs.out)) continue;
      if (theirs.ok ? !samePrint(ours, theirs.out) : !ours.startsWith("error: ")) problems.push(file);
    }
    assert.deepEqual(problems, []);
  });
}

/** The position of the (single) variable named `name` in an expression. */
function findVarPos(e: unknown, name: string): number | undefined {
  if (e === null || typeof e !== "object") return undefined;
  if (e instanceof Map) {
    for (const v of e.values()) {
      const p = findVarPos(v, name);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  const node = e as { kind?: string; name?: string; pos?: number };
  if (node.kind === "var" && node.name === name) return node.pos;
  for (const v of Object.values(e)) {
    const p = findVarPos(v, name);
    if (p !== undefined) return p;
  }
  return undefined;
}

// Each has exactly one free variable `free`; CppNix's parse-time scope check
// reports its position, which must be the position of our Var node.
const VAR_POSITIONS: string[] = [
  "free", "  free", "x: free", "\n\n   free", "[ 1 2\n free ]", "f: f free", "f: (f free)", "x: x.${free}", "{ a = free; }",
  "rec { a = 1; b = free; }", "{ inherit free; }", "{ a = 1;\n  inherit free; }", "{\n  inherit (free) a; }",
  "let inherit free; in 1", "let a = 1;\n  inherit free; in 1", '"a ${free} b"', "''\n  a ${free}\n''", "./a/${free}",
  "x: x.a or free", "x: if x then free else 1", "x: assert x; free", "x: free.a", "x: -free", "x: !free", "x: free + 1",
  "x: 1 + free", "x: x ? ${free}", "{ a ? free }: a", "\"é\" + free", "\t\tfree", "x:\r\n  free", "/* c */ free",
  "x: { ${free} = 1; }", "x: { a.${free}.b = 1; }", "x: [ (x free) ]", "x: free or", "x: x free or",
];

test("variable positions agree with CppNix's undefined-variable errors", { skip }, async () => {
  const results = await mapPool(VAR_POSITIONS, 6, async (e) => ({ e, theirs: await cppParse(["-E", e]) }));
  const problems: string[] = [];
  for (const { e, theirs } of results) {
    if (theirs.message !== "undefined variable 'free'") {
      problems.push(`${JSON.stringify(e)}: CppNix said ${theirs.out.slice(0, 200)}`);
      continue;
    }
    const pos = findVarPos(parse(e, undefined, { encoding: "utf16" }), "free");
    const ours = pos === undefined ? undefined : resolvePos(pos);
    // Current CppNix places an inherited variable at its name (2.8: at the end of
    // the token before the bindings; upstream parse-fail-regression-20060610).
    if (/inherit free/.test(e)) {
      const before = e.slice(0, e.indexOf("inherit free") + "inherit ".length).split("\n");
      Object.assign(theirs, { line: before.length, column: before[before.length - 1]!.length + 1 });
    }
    if (ours?.line !== theirs.line || ours?.column !== theirs.column) {
      problems.push(`${JSON.stringify(e)}: ours ${ours?.line}:${ours?.column}, CppNix ${theirs.line}:${theirs.column}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("error columns count bytes in byte strings and UTF-8 bytes in JS strings", { skip }, async () => {
  const text = 'x: "é ü" ) ';
  const theirs = await cppParse(["-E", text]);
  assert.equal(theirs.column, 12);
  const asBytes = Buffer.from(text, "utf8").toString("latin1");
  for (const [src, encoding] of [
    [asBytes, "auto"],
    [asBytes, "bytes"],
    [text, "utf16"],
  ] as const) {
    const err = (() => {
      try {
        parse(src, undefined, { encoding });
      } catch (e) {
        return e as NixSyntaxError;
      }
      return undefined;
    })();
    assert.ok(err instanceof NixSyntaxError, encoding);
    assert.equal(`${err.line}:${err.column}`, `${theirs.line}:${theirs.column}`, encoding);
    assert.equal(err.message, theirs.message, encoding);
  }
});

test("inherit (e) shares one source expression; lambdas are named after their attribute", () => {
  const e = parse("rec { inherit (src) a b; f = x: x; g.h = y: y; src = { }; }");
  assert.equal(e.kind, "attrs");
  if (e.kind !== "attrs") return;
  const a = e.defs.get("a")!;
  const b = e.defs.get("b")!;
  assert.equal(a.kind, "inheritFrom");
  assert.equal(a.fromIndex, 0);
  assert.equal(b.fromIndex, 0);
  assert.equal(e.inheritFrom.length, 1);
  assert.ok(a.value.kind === "select" && b.value.kind === "select" && a.value.expr === b.value.expr);
  assert.equal(a.value.kind === "select" && a.value.expr, e.inheritFrom[0]);
  const f = e.defs.get("f")!.value;
  assert.ok(f.kind === "lambda" && f.name === "f");
  const g = e.defs.get("g")!.value;
  assert.ok(g.kind === "attrs" && g.defs.get("h")!.value.kind === "lambda");
  const h = g.kind === "attrs" ? g.defs.get("h")!.value : undefined;
  assert.ok(h?.kind === "lambda" && h.name === "h");
});

test("deep nesting parses; nesting beyond the stack is a NixSyntaxError, as CppNix's 'memory exhausted'", () => {
  const chain = Array.from({ length: 2000 }, (_, i) => `[${i}]`).join(" ++ ");
  assert.equal(parse(chain).kind, "binary");
  const deep = "(".repeat(100000) + "1" + ")".repeat(100000);
  assert.throws(() => parse(deep), (e: unknown) => e instanceof NixSyntaxError && e.message === "memory exhausted");
});

test("a NUL byte outside strings ends the input, as CppNix's lexer hands bison token 0", { skip }, async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "lading-nul-")));
  const cases = ["1\0 + junk (", "[ 1 2 ]\0]]]", "let a = 3; in a\0 * 2", "{ a = 1; }\0.a"];
  for (const [k, text] of cases.entries()) {
    const head = text.slice(0, text.indexOf("\0"));
    const file = join(dir, `c${k}.nix`);
    const headFile = join(dir, `h${k}.nix`);
    writeFileSync(file, text, "latin1");
    writeFileSync(headFile, head, "latin1");
    // CppNix reads the text up to the NUL only, and so do we.
    const whole = await run("nix-instantiate", ["--eval", "--strict", file]);
    const upToNul = await run("nix-instantiate", ["--eval", "--strict", headFile]);
    assert.equal(whole.stdout, upToNul.stdout, JSON.stringify(text));
    assert.equal(showExpr(parse(text, file, { basePath: dir })), showExpr(parse(head, headFile, { basePath: dir })), JSON.stringify(text));
  }
  // Where an expression is still open, the error is at the end of the NUL (current CppNix: after the last lexeme).
  try {
    parse("1 +\0 2", undefined, { basePath: dir });
    assert.fail("parsed");
  } catch (err) {
    assert.ok(err instanceof NixSyntaxError);
    assert.equal(err.message, "syntax error, unexpected end of file");
    assert.equal(err.column, 5);
  }
});

test("`or` as an identifier after an expression warns where current CppNix does (upstream eval-okay-deprecate-cursed-or)", () => {
  const warned = (text: string): string[] => {
    const got: string[] = [];
    const prev = setSyntaxWarningSink((pos, message) => got.push(`${resolvePos(pos)!.line}:${resolvePos(pos)!.column} ${message.split("\n")[2]}`));
    try {
      parse(text);
    } finally {
      setSyntaxWarningSink(prev);
    }
    return got;
  };
  // An argument, a list element, an `or` default: the meaning will change.
  assert.deepEqual(warned("let or = 1; in [ (x: x) or ]"), ["1:18     ((x: x) or)"]);
  assert.deepEqual(warned("let or = 1; in (x: x * 2) (x: x + 1) or"), ["1:27     ((x: x + 1) or)"]);
  assert.deepEqual(warned("let or = 1; in { a = 2; }.a or (x: x) or"), ["1:32     ((x: x) or)"]);
  // A function applied to `or`, or `f or` alone: the meaning stays.
  assert.deepEqual(warned("let or = (x: x); in map or []"), []);
  assert.deepEqual(warned("let f = (x: x); or = f; in f (f or)"), []);
  assert.deepEqual(warned("let f = x: x; in f or"), []);
});
