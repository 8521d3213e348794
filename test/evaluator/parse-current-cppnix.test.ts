/**
 * Parser behaviour where current CppNix (the upstream language suite, NixOS/nix
 * tests/functional/lang) deliberately differs from 2.8, so CppNix 2.8 cannot be the
 * oracle: hand-written expectations, each citing the upstream test that pins it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatPositionedWarning, instantiate, setLiteralLints, type InstantiateOptions, type LintLevel } from "../../evaluator/index.js";

function evalExpr(expr: string): { stdout: string; stderr: string; exitCode: number } {
  const o: InstantiateOptions = {
    inputs: [expr], fromArgs: true, attrPaths: [], args: [], eval: true, strict: true,
    output: "plain", includes: [], showTrace: false, readOnly: true, nixPath: "",
  };
  return instantiate(o);
}

function withLints(level: LintLevel, fn: (warnings: string[]) => void): void {
  const warnings: string[] = [];
  const prev = setLiteralLints({ absolutePaths: level, shortPaths: level, urls: level, warn: (m, pos) => warnings.push(formatPositionedWarning(m, pos)) });
  try {
    fn(warnings);
  } finally {
    setLiteralLints(prev);
  }
}

test("merged attribute sets keep the second set's dynamic attributes (eval-okay-merge-dynamic-attrs)", () => {
  assert.equal(evalExpr('{ a = { b = 1; }; a = { "${"c"}" = 2; }; }').stdout, "{ a = { b = 1; c = 2; }; }\n");
  assert.equal(evalExpr('{ a."${"c"}" = 2; a.b = 1; }').stdout, "{ a = { b = 1; c = 2; }; }\n");
  // Sets on both sides merge recursively.
  assert.equal(evalExpr("{ a = { b = { c = 1; }; }; a = { b = { d = 2; }; }; }").stdout, "{ a = { b = { c = 1; d = 2; }; }; }\n");
});

test("a dynamic attribute defined twice through a merge is an error (eval-fail-dup-dynamic-attrs)", () => {
  const r = evalExpr('{ a = { "${"b"}" = 1; }; a = { "${"b"}" = 2; }; }');
  assert.equal(r.exitCode, 1);
  // Current layout: frames first, the message last (upstream eval-fail-dup-dynamic-attrs.err.exp).
  assert.match(r.stderr, /^ {7}error: dynamic attribute 'b' already defined at /m);
});

test("each inherited name has its own position (eval-okay-inherit-attr-pos)", () => {
  const r = evalExpr("let a = 1; b = 2; s = { inherit a  b; }; in map (n: (builtins.unsafeGetAttrPos n s).column) [ \"a\" \"b\" ]");
  assert.equal(r.stdout, "[ 33 36 ]\n");
});

test("NUL bytes in string literals are refused (eval-fail-string-nul-1, -2)", () => {
  const r = evalExpr('"foo\0bar"');
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /^error: input string 'foo\u00e2\u0090\u0080bar' cannot be represented as Nix string because it contains null bytes/);
  assert.equal(evalExpr("''\n  a\0\n''").exitCode, 1);
  assert.equal(evalExpr('"foo\\0bar"').stdout, '"foo0bar"\n');
});

test("literal lints warn or fail as current CppNix (eval-okay-*-warn, eval-fail-*-literal)", () => {
  withLints("warn", (warnings) => {
    assert.equal(evalExpr("[ /tmp/foo ~/x a/b ./c ../d http://example.com \"http://e.org\" ]").exitCode, 0);
    assert.deepEqual(warnings.map((w) => w.split("\n")[0]), [
      "warning: absolute path literals are not portable. Consider replacing path literal '/tmp/foo' by a string, relative path, or parameter (lint-absolute-path-literals)",
      "warning: home path literals are not portable. Consider replacing path literal '~/x' by a string, relative path, or parameter (lint-absolute-path-literals)",
      "warning: relative path literal 'a/b' should be prefixed with '.' for clarity: './a/b' (lint-short-path-literals)",
      "warning: URL literals are discouraged. Consider using a string literal \"http://example.com\" instead (lint-url-literals)",
    ]);
    // Printed text is bytes, one char per byte: «» are the UTF-8 of the guillemets.
    assert.equal(warnings[0]!.split("\n").slice(1).join("\n"), "         at \u00c2\u00abstring\u00c2\u00bb:1:3:\n              1| [ /tmp/foo ~/x a/b ./c ../d http://example.com \"http://e.org\" ]\n               |   ^\n");
  });
  withLints("fatal", () => {
    for (const [expr, message] of [
      ["/tmp/foo", "absolute path literals are not portable"],
      ["x: ~/foo", "home path literals are not portable"],
      ["test/subdir", "relative path literal 'test/subdir' should be prefixed"],
      ["http://example.com", "URL literals are disallowed"],
    ] as const) {
      const r = evalExpr(expr);
      assert.equal(r.exitCode, 1, expr);
      assert.ok(r.stderr.startsWith(`error: ${message}`), r.stderr);
    }
    assert.equal(evalExpr("builtins.isPath ./x").stdout, "true\n");
  });
  assert.equal(evalExpr("/tmp/foo").stdout, "/tmp/foo\n");
});

test("syntax errors name what current CppNix's grammar expects (parse-fail-unexpected-int/-float, parse-fail-undef-var-2)", () => {
  const message = (expr: string): string => /error: (syntax error[^\n]*)/.exec(evalExpr(expr).stderr)?.[1] ?? "";
  // In `{ … }` only `inherit` may follow bindings reduced so far.
  assert.equal(message("{ 1 = x; }"), "syntax error, unexpected integer, expecting 'inherit'");
  assert.equal(message("{ 1.5 = x; }"), "syntax error, unexpected floating-point literal, expecting 'inherit'");
  // After a formal: `}` or `,`.
  assert.equal(message("{x, y : [ 1 ]}: x"), "syntax error, unexpected ':', expecting '}' or ','");
});
