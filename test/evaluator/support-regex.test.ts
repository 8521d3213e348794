import { test } from "node:test";
import assert from "node:assert/strict";
import { RegexError, bytesToUtf8, compileRegex, regexMatch, regexSplit, utf8ToBytes } from "../../evaluator/builtins/support/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { makeRandom, nixEval, nixEvalJson, nixString } from "./support-nix.js";

const skip = nixSkipReason();

/** Random ERE over a small alphabet, biased towards constructs whose semantics differ between engines. */
function randomPattern(rand: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const atom = (): string => {
    const r = rand();
    if (r < 0.4) return pick(["a", "b", "c", "a", "b"]);
    if (r < 0.5) return ".";
    if (r < 0.65) return pick(["[ab]", "[^a]", "[[:alpha:]]", "[a-b]", "[]a]", "[^]b]", "[b-]", "[[:space:]c]", "[[=a=]]", "[[.hyphen.]a]"]);
    if (r < 0.7) return pick(["\\.", "\\*", "\\(", "\\\\", "-", "]", "}", "\\[", "\\{"]);
    if (depth < 2) return "(" + randomPattern(rand, depth + 1) + ")";
    return "a";
  };
  const piece = (): string => {
    let p = atom();
    const r = rand();
    if (r < 0.15) p += "*";
    else if (r < 0.25) p += "+";
    else if (r < 0.35) p += "?";
    else if (r < 0.4) p += pick(["{2}", "{0,2}", "{1,}", "{0}", "{1,2}"]);
    else if (r < 0.42) p += "*?";
    return p;
  };
  const branch = (): string => {
    let s = "";
    const n = Math.floor(rand() * 4);
    if (rand() < 0.08) s += "^";
    for (let i = 0; i < n; i++) s += piece();
    if (rand() < 0.08) s += "$";
    return s;
  };
  let out = branch();
  while (rand() < 0.25) out += "|" + branch();
  return out;
}

function randomSubject(rand: () => number): string {
  const alphabet = ["a", "b", "c", "a", "b", " ", "-", ".", "\u00c3\u00a9", "A"];
  let s = "";
  const n = Math.floor(rand() * 7);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)]!;
  return s;
}

function isValid(pattern: string): boolean {
  try {
    compileRegex(pattern);
    return true;
  } catch (e) {
    if (e instanceof RegexError) return false;
    throw e;
  }
}

test("regex: match and split agree with CppNix on random patterns", { skip }, () => {
  const seed = 20240611;
  const rand = makeRandom(seed);
  const cases: [string, string][] = [];
  while (cases.length < 2000) {
    const p = randomPattern(rand);
    if (!isValid(p)) continue;
    for (let i = 0; i < 3; i++) cases.push([p, randomSubject(rand)]);
  }
  // Evaluate in chunks so one CppNix run covers many cases.
  for (let off = 0; off < cases.length; off += 500) {
    const chunk = cases.slice(off, off + 500);
    const expr = "[\n" + chunk.map(([p, s]) => `[ (builtins.match ${nixString(p)} ${nixString(s)}) (builtins.split ${nixString(p)} ${nixString(s)}) ]`).join("\n") + "\n]";
    const expected = nixEvalJson(expr) as unknown[][];
    chunk.forEach(([p, s], i) => {
      const want = expected[i]!;
      assert.deepEqual(regexMatch(p, s), want[0], `match ${JSON.stringify(p)} ${JSON.stringify(s)} (seed ${seed})`);
      assert.deepEqual(regexSplit(p, s), want[1], `split ${JSON.stringify(p)} ${JSON.stringify(s)} (seed ${seed})`);
    });
  }
});

test("regex: the same patterns are rejected as CppNix rejects them", { skip }, () => {
  const patterns = [
    "(", ")", "a)", "(a", "*a", "a**", "a{", "a{1", "a{,2}", "a{2,1}", "a{1,2,3}", "a{x}", "{1}", "^*", "$*", "a|*",
    "[", "[a", "[]", "[]]", "[^]", "[a-", "[z-a]", "[a-z-0]", "[--0]", "[!--]", "[[:alpha:]-z]", "[[:foo:]]", "[[:ALPHA:]]",
    "[[:alpha]", "[[.a.]]", "[[.1.]]", "[[.space.]]", "[[=a=]]", "[[=x", "[[", "[\\]", "[\\]]", "\\", "a\\", "\\n", "\\d",
    "\\1", "\\]", "\\}", "\\.", "\\{", "\\|", "\\^", "\\$", "]", "}", "a{0}", "a{2}{3}", "(|)", "||", "()", "(*)", "a+?",
    "[a-\u00c3]", "[\u00c3-a]", "[\u0080-\u00ff]", "[[:w:]]", "[[:d:]]", "[[:s:]]", "[[:constructor:]]", "[[:a:b:]]",
    "a{100000}", "(a{1000}){100}", "a{99999}", "x{0,99999999999}", "[[.a.]-c]", "[[=a=]-c]", "[a-[.c.]]",
  ];
  for (const p of patterns) {
    const r = nixEval(`builtins.match ${nixString(p)} ""`, "json");
    let ours: string;
    try {
      compileRegex(p);
      ours = "ok";
    } catch (e) {
      assert.ok(e instanceof RegexError);
      ours = e.message;
    }
    const theirs = r.ok ? "ok" : (/error: (.*)/.exec(r.stderr)?.[1] ?? r.stderr);
    assert.equal(ours, theirs, `pattern ${JSON.stringify(p)}`);
  }
});

test("regex: hand-picked semantics (POSIX longest search, libstdc++ loop rules, bytes)", { skip }, () => {
  const cases: [string, string][] = [
    ["(a|ab)(c|bcd)(d*)", "abcd"],
    ["(a*)*", "aaa"],
    ["(a*)*", "b"],
    ["(a*)+", "b"],
    ["(a*)+b", "b"],
    ["(|a)+", "a"],
    ["(a|(b))*", "ba"],
    ["((a)|b)+", "ab"],
    ["(a*)(ab)?b?", "aab"],
    ["a|ab", "xabx"],
    ["(a|ab)(bc|c)", "abc"],
    ["a*", "bab"],
    ["", "ab"],
    ["^a", "aaa"],
    ["$", "ab"],
    ["(^|b)", "bab"],
    ["x*$|^a", "ab"],
    [".", "\n"],
    ["[é]", "é"],
    ["é*", "éé"],
    ["(.)(.)", "é"],
    ["[\u00c3][\u00a9]", "é"],
    ["[[:alpha:]]+", "aéb"],
    ["[^a]+", "éx"],
    ["([[:space:]]+)([[:upper:]]+)([[:space:]]+)", "  FOO   "],
    ["(.*)-([0-9].*)", "hello-2.10-pre1"],
    ["(a{2,3})*", "aaaaaaa"],
    ["(a{0,2}){2}", "aaa"],
    ["(a|b|ab|ba)*", "abab"],
  ];
  const expr =
    "[\n" +
    cases.map(([p, s]) => {
      const pb = utf8ToBytes(p);
      const sb = utf8ToBytes(s);
      return `[ (builtins.match ${nixString(pb)} ${nixString(sb)}) (builtins.split ${nixString(pb)} ${nixString(sb)}) ]`;
    }).join("\n") +
    "\n]";
  const expected = nixEvalJson(expr) as unknown[][];
  cases.forEach(([p, s], i) => {
    assert.deepEqual(regexMatch(utf8ToBytes(p), utf8ToBytes(s)), expected[i]![0], `match ${p} ${s}`);
    assert.deepEqual(regexSplit(utf8ToBytes(p), utf8ToBytes(s)), expected[i]![1], `split ${p} ${s}`);
  });
});

test("regex: operator-free patterns (split/match without the automaton) agree with CppNix", { skip }, () => {
  // What lib.splitString / escapeRegex produce: plain bytes and backslash-escaped operators.
  const patterns = ["-", "--", "\\.", "a", "ab", "aa", "a\\.b", "\\\\", "\\$", "\\^", "\\*", "\\[", "\\{", "\\(", "\\|", "\\?", "\\+", "é", " ", ",", "/", "\n"];
  const subjects = ["", "-", "a-b-c", "--a---b-", "aaa", "aaaa", "a.b.c", "x\\y\\\\z", "$a^b*c", "[{(|?+)}]", "é-éé", "a b, c/d\ne", "ab", "abab"];
  const cases: [string, string][] = [];
  for (const p of patterns) for (const s of subjects) cases.push([p, s]);
  cases.push(["ab", "ab"], ["a\\.b", "a.b"], ["\\\\", "\\"], ["-", "-"]);
  const expr =
    "[\n" +
    cases.map(([p, s]) => `[ (builtins.match ${nixString(utf8ToBytes(p))} ${nixString(utf8ToBytes(s))}) (builtins.split ${nixString(utf8ToBytes(p))} ${nixString(utf8ToBytes(s))}) ]`).join("\n") +
    "\n]";
  const expected = nixEvalJson(expr) as unknown[][];
  cases.forEach(([p, s], i) => {
    assert.notEqual(compileRegex(utf8ToBytes(p)).literal, null, `literal ${JSON.stringify(p)}`);
    assert.deepEqual(regexMatch(utf8ToBytes(p), utf8ToBytes(s)), expected[i]![0], `match ${JSON.stringify(p)} ${JSON.stringify(s)}`);
    assert.deepEqual(regexSplit(utf8ToBytes(p), utf8ToBytes(s)), expected[i]![1], `split ${JSON.stringify(p)} ${JSON.stringify(s)}`);
  });
  for (const p of ["a*", "a.b", "(a)", "a|b", "[a]", "^a", "a$", "a{2}", "a+", "a?", ""]) assert.equal(compileRegex(p).literal, null, p);
});

test("regex: byte-string helpers round-trip UTF-8", () => {
  for (const s of ["", "abc", "é", "日本語", "🦀 x"]) assert.equal(bytesToUtf8(utf8ToBytes(s)), s);
  assert.equal(utf8ToBytes("é"), "\u00c3\u00a9");
});

test("regex: compiled patterns are cached", () => {
  assert.equal(compileRegex("a(b)c"), compileRegex("a(b)c"));
  assert.equal(compileRegex("a(b)c").groups, 1);
});

test("regex: long inputs do not overflow the stack", () => {
  const long = "ab".repeat(200000);
  assert.deepEqual(regexMatch("(.*)b", long), [long.slice(0, -1)]);
  assert.equal(regexSplit("b", long).length, 2 * 200000 + 1);
});
