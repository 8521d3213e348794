/**
 * Error messages: CppNix 2.8 (the installed oracle) against current CppNix (the
 * target). Lading prints current CppNix's messages; where 2.8 words an error
 * differently, a differential test accepts our message only in the current form
 * that corresponds to 2.8's, by the hand-written table below. Each row names the
 * upstream language test (NixOS/nix tests/functional/lang) whose `.err.exp` pins
 * the current wording.
 */

interface Rewording {
  /** 2.8's first line (`error: …`). */
  readonly old: RegExp;
  /** The current message's first line, built from `old`'s groups (a regex source, groups escaped). */
  readonly current: (m: RegExpExecArray) => RegExp;
  /** The upstream test that shows the current form. */
  readonly upstream: string;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A regex for a symbol as current CppNix prints it in messages (printIdentifier:
 * bare when an identifier, else a quoted string literal), where 2.8 printed it bare.
 */
function identifier(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) && !["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit"].includes(name)) return esc(name);
  return esc(`"${name.replace(/["\\]/g, "\\$&").replace(/\$\{/g, "\\${")}"`);
}

const REWORDINGS: readonly Rewording[] = [
  {
    // In `{ … }` where no binding can start, 2.8 names only the unexpected token; current
    // CppNix's grammar reduces first and adds what it expects: `{ 1 = x; }`, and `{` at EOF.
    old: /^error: syntax error, unexpected ([^,]+)$/,
    current: (m) => new RegExp(`^error: ${esc(currentTokenNames(`syntax error, unexpected ${m[1]!}`))}, expecting 'inherit'$`),
    upstream: "parse-fail-unexpected-int (also parse-fail-unexpected-float)",
  },
  {
    // value is an integer while a list was expected → expected a list but found an integer: 1
    old: /^error: value is (.+) while (.+) was expected$/,
    current: (m) => new RegExp(`^error: expected ${esc(m[2]!)} but found ${esc(m[1]!)}: `),
    upstream: "eval-fail-length-1 (also eval-fail-call-primop, eval-fail-map-2)",
  },
  {
    old: /^error: cannot coerce (.+) to a string$/,
    current: (m) => new RegExp(`^error: cannot coerce ${esc(m[1]!)} to a string: `),
    upstream: "eval-fail-toString-1 (also eval-fail-substring-3)",
  },
  {
    // toJSON of a set whose `__toString` returns a non-string (2.8 coerced the result).
    old: /^error: cannot coerce (.+) to a string$/,
    current: (m) => new RegExp(`^error: \`__toString\` (should|must) return a string, but got ${esc(m[1]!)}: `),
    upstream: "eval-fail-toJSON-toString-not-string (also eval-fail-toJSON-toString-returns-attrs)",
  },
  {
    old: /^error: attempt to call something which is not a function but (.+)$/,
    current: (m) => new RegExp(`^error: attempt to call something which is not a function but ${esc(m[1]!)}: `),
    upstream: "eval-fail-sort-3 (also eval-fail-mapAttrs-2)",
  },
  {
    // derivationStrict without `name`: current CppNix names the builtin in a frame.
    old: /^error: attribute '(.+)' missing for call to 'derivationStrict'$/,
    current: (m) => new RegExp(`^error: attribute '${esc(m[1]!)}' missing$`),
    upstream: "eval-fail-derivationStrict-2",
  },
  {
    old: /^error: first argument in call to 'filterSource' is not a function but (.+)$/,
    current: (m) => new RegExp(`^error: expected a function but found ${esc(m[1]!)}: `),
    upstream: "eval-fail-filterSource-3",
  },
  {
    // genList: current CppNix forces the function before calling it (2.8 only called it).
    old: /^error: attempt to call something which is not a function but (.+)$/,
    current: (m) => new RegExp(`^error: expected a function but found ${esc(m[1]!)}: `),
    upstream: "eval-fail-genList-2",
  },
  {
    old: /^error: (?:'(.+)'|anonymous function) at .+ called without required argument '(.+)'$/,
    current: (m) => new RegExp(`^error: function '${m[1] !== undefined ? esc(m[1]) : "anonymous lambda"}' called without required argument '${esc(m[2]!)}'$`),
    upstream: "eval-fail-missing-arg",
  },
  {
    old: /^error: (?:'(.+)'|anonymous function) at .+ called with unexpected argument '(.+)'$/,
    current: (m) => new RegExp(`^error: function '${m[1] !== undefined ? esc(m[1]) : "anonymous lambda"}' called with unexpected argument '${esc(m[2]!)}'$`),
    upstream: "eval-fail-undeclared-arg",
  },
  {
    // An `a == b` assertion now says how the sides differ (any assertEqValues message).
    old: /^error: assertion '\(.* == .*\)' failed$/,
    current: () => /^error: (.+ is not equal to .+|attribute names of attribute set .+|attribute name .+|list of size .+|distinct functions .+)$/,
    upstream: "eval-fail-assert-equal-ints (and the other eval-fail-assert-equal-*)",
  },
  {
    old: /^error: cannot compare (.+) with (.+)$/,
    current: (m) => new RegExp(`^error: cannot compare ${esc(m[1]!)} with ${esc(m[2]!)}; values (are|of that type are incomparable)`),
    upstream: "eval-fail-lessThan-1 (also eval-fail-genericClosure-keys-uncomparable)",
  },
  {
    old: /^error: list index (-?\d+) is out of bounds$/,
    current: (m) => new RegExp(`^error: 'builtins\\.(elemAt|head)' called (with index ${esc(m[1]!)} on a list of size \\d+|on an empty list)$`),
    upstream: "eval-fail-elemAt-2 (also eval-fail-head-1)",
  },
  {
    old: /^error: 'tail' called on an empty list$/,
    current: () => /^error: 'builtins\.tail' called on an empty list$/,
    upstream: "eval-fail-tail-2",
  },
  {
    old: /^error: 'from' and 'to' arguments to 'replaceStrings' have different lengths$/,
    current: () => /^error: 'from' and 'to' arguments passed to builtins\.replaceStrings have different lengths$/,
    upstream: "eval-fail-replaceStrings-3",
  },
  {
    old: /^error: attribute '(.+)' missing for call to '.+'$/,
    current: (m) => new RegExp(`^error: attribute '${esc(m[1]!)}' missing$`),
    upstream: "eval-fail-getAttr-3 (also eval-fail-listToAttrs-3)",
  },
  {
    // `{ }."a b"`: current CppNix quotes a name that is not an identifier.
    old: /^error: attribute '(.*)' missing$/,
    current: (m) => new RegExp(`^error: attribute '${identifier(m[1]!)}' missing$`),
    upstream: "eval-fail-using-set-as-attr-name (a quoted name in a frame); current EvalState::getAttr / ExprSelect print symbols with printIdentifier",
  },
  {
    old: /^error: attribute 'key' required$/,
    current: () => /^error: attribute 'key' missing$/,
    upstream: "eval-fail-genericClosure-element-missing-key",
  },
  {
    old: /^error: unknown hash algorithm '(.*)'$/,
    current: (m) => new RegExp(`^error: unknown hash algorithm '${esc(m[1]!)}', expect `),
    upstream: "eval-fail-hashString-2",
  },
  {
    old: /^error: (?:getting status of|opening directory|opening file) '(.+)': No such file or directory$/,
    current: (m) => new RegExp(`^error: path '${esc(m[1]!)}' does not exist$`),
    upstream: "eval-fail-readDir-nonexistent-1 (also eval-fail-hashfile-missing)",
  },
  {
    // A path through a regular file: current CppNix's lstat treats ENOTDIR as missing.
    old: /^error: getting status of '(.+)': Not a directory$/,
    current: (m) => new RegExp(`^error: path '${esc(m[1]!)}' does not exist$`),
    upstream: "eval-fail-nonexist-path (source accessors' maybeLstat: ENOTDIR is absent)",
  },
  {
    old: /^error: opening directory '(.+)': Not a directory$/,
    current: () => /^error: '.+' is not a directory$/,
    upstream: "eval-fail-readDir-not-a-directory-1",
  },
  {
    // «string» as the byte string we compare: UTF-8 bytes read one char per byte.
    old: /^error: (.+) at \(string\):(\d+:\d+)$/,
    current: (m) => new RegExp(`^error: ${esc(m[1]!)} at \u00c2\u00abstring\u00c2\u00bb:${m[2]!}$`),
    upstream: "parse-fail-dup-attrs-1 (current CppNix names an expression's origin «stdin»/«string», 2.8 (string))",
  },
  {
    // `{ a = 1; a.p = 2; }`: current CppNix names the path only up to the attribute
    // that is not a set (`'a'`), 2.8 the whole path (`'a.p'`).
    old: /^error: attribute '(.+)' already defined at (.+)$/,
    current: (m) => {
      const parts = m[1]!.split(".");
      const prefixes = parts.map((_, i) => esc(parts.slice(0, i + 1).join(".")));
      return new RegExp(`^error: attribute '(${prefixes.join("|")})' already defined at ${esc(m[2]!).replace("\\(string\\)", "\u00c2\u00abstring\u00c2\u00bb")}$`);
    },
    upstream: "none pins the prefix (parse-fail-mixed-nested-attrs1 shows the full path where the set exists); current parser-state.hh addAttr truncates attrPath at the non-set attribute",
  },
  {
    old: /^error: Context key '(.*)' is not a store path$/,
    current: (m) => new RegExp(`^error: context key '${esc(m[1]!)}' is not a store path$`),
    upstream: "none; current primops/context.cc prim_appendContext (the key printed as a symbol)",
  },
  {
    old: /^error: while parsing a TOML string: (.*)$/,
    current: (m) => new RegExp(`^error: while parsing TOML: ${esc(m[1]!)}$`),
    upstream: "eval-fail-fromTOML-timestamps (current primops/fromTOML.cc)",
  },
  {
    old: /^error: overflow in integer division$/,
    current: () => /^error: integer overflow in dividing -?\d+ \/ -?\d+$/,
    upstream: "eval-fail-overflowing-div",
  },
  {
    // A fetcher given a bad name: current CppNix checks it before fetching; 2.8 failed
    // when forming the store path (whose hash part, for fetchTarball, is the archive's).
    old: /^error: store path '[0-9a-z]{32}-(.*)' contains illegal character '(.)'$/,
    current: (m) => new RegExp(`^error: invalid store path name when fetching URL '.*': name '${esc(m[1]!)}' contains illegal character '${esc(m[2]!)}'\\. Please `),
    upstream: "eval-fail-fetchurl-baseName (also eval-fail-fetchurl-baseName-attrs, eval-fail-fetchurl-baseName-attrs-name)",
  },
  {
    old: /^error: unsupported argument '(.+)' to 'addPath'$/,
    current: (m) => new RegExp(`^error: unsupported argument '${esc(m[1]!)}' to 'builtins.path'$`),
    upstream: "none; current primops.cc prim_path",
  },
  {
    old: /^error: 'path' required$/,
    current: () => /^error: missing required 'path' attribute in the first argument to 'builtins.path'$/,
    upstream: "none; current primops.cc prim_path",
  },
];

/**
 * CppNix 2.8 names tokens by their grammar symbols (`unexpected ASSERT, expecting
 * ID or OR_KW`); current CppNix by their aliases (`unexpected 'assert', expecting
 * identifier or 'or'`), which we print: hand-written from the upstream
 * parse-fail-unexpected-* tests' `.err.exp` files.
 */
const TOKEN_ALIASES: Record<string, string> = {
  ID: "identifier", STR: "string", IND_STR: "indented string", INT: "integer", FLOAT: "floating-point literal",
  PATH: "path", HPATH: "'~/\u00e2\u0080\u00a6' path", SPATH: "'<\u00e2\u0080\u00a6>' path", PATH_END: "end of path", URI: "URI",
  IF: "'if'", THEN: "'then'", ELSE: "'else'", ASSERT: "'assert'", WITH: "'with'", LET: "'let'", IN: "'in'", REC: "'rec'",
  INHERIT: "'inherit'", EQ: "'=='", NEQ: "'!='", AND: "'&&'", OR: "'||'", IMPL: "'->'", OR_KW: "'or'", DOLLAR_CURLY: "'${'",
  IND_STRING_OPEN: "start of an indented string", IND_STRING_CLOSE: "end of an indented string", ELLIPSIS: "'...'",
  LEQ: "'<='", GEQ: "'>='", UPDATE: "'//'", CONCAT: "'++'",
};

export function currentTokenNames(message: string): string {
  const m = /^(syntax error, unexpected )(.*)$/.exec(message);
  if (!m) return message;
  return m[1] + m[2]!.replace(/\b[A-Z][A-Z_]*\b/g, (w) => TOKEN_ALIASES[w] ?? w);
}

/**
 * True when `ours` (the first line of our final message, `error: …`) is CppNix
 * 2.8's first line `theirs`, or its current rewording.
 */
export function sameErrorAcrossVersions(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  if (theirs.startsWith("error: syntax error, ") && ours === `error: ${currentTokenNames(theirs.slice(7))}`) return true;
  for (const r of REWORDINGS) {
    const m = r.old.exec(theirs);
    if (m && r.current(m).test(ours)) return true;
  }
  return false;
}

/**
 * The first line of the final message of a current-layout report (`error:` … frames
 * … `       error: <message>`), or of a one-line report.
 */
export function finalMessage(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "" && !l.startsWith("warning:"));
  let last = "";
  for (const l of lines) if (l.trimStart().startsWith("error: ")) last = l.trimStart();
  if (last !== "") return last;
  return lines[0] ?? "";
}
