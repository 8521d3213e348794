/**
 * Seeded generators of Nix programs for the differential fuzzer (fuzz-harness.ts):
 * typed expression trees (every operator, let/rec/inherit/with/assert/or/?, lambdas
 * with formals, defaults and `@`), literals in every form (string escapes, indented
 * strings, floats, paths), and builtins applied to random data (regexes, versions,
 * JSON/TOML/XML, sort, genericClosure, contexts, derivations). In "ill-typed" mode
 * some sub-expressions get a value of the wrong type, so error messages are
 * compared too. Integers stay small where they are multiplied: CppNix 2.8 wraps
 * on overflow where current CppNix (and Lading) fail.
 */
import { SeededRandom } from "../helpers/random.js";
import { nixString } from "./support-nix.js";
import { AREAS, generateAreaCases, type Area } from "./fuzz-gen-areas.js";

type Ty = "int" | "float" | "bool" | "string" | "list" | "attrs" | "null" | "path";
const TYPES: readonly Ty[] = ["int", "float", "bool", "string", "list", "attrs", "null", "path"];

interface Var {
  name: string;
  ty: Ty;
}

/** Strings chosen to catch escaping, byte and ordering mistakes. */
export const ODD_TEXTS = [
  "", "a", "B", "abc", "hello world", "a-b_c.d", "1.2.3", "x\ny", "tab\there", "cr\rlf", "q\"uote", "back\\slash",
  "$dollar", "${", "dollar{", "ünï", "日本", "😀", "\u00a0", "e\u0301", "a,b;c", "  spaced  ", "'single'", "''",
  "-", ".", "/", "foo/bar", "10", "1e3", "null", "true", "=", "#comment", "\u0001ctl",
];

/** A Nix double-quoted literal for a string (support-nix's). */
export const nixStr = nixString;

export class FuzzGen {
  private readonly r: SeededRandom;
  /** Probability that a typed sub-expression is replaced by one of another type. */
  private readonly illTyped: number;
  private fresh = 0;

  /**
   * `inherit (e) x;` in attribute sets: off where positions are printed (--xml), as
   * 2.8 placed the attribute one column early (current CppNix: at the name).
   */
  private readonly inheritFrom: boolean;

  constructor(seed: number, illTyped = 0, inheritFrom = true) {
    this.r = new SeededRandom(seed);
    this.illTyped = illTyped;
    this.inheritFrom = inheritFrom;
  }

  private name(): string {
    return `v${this.fresh++}`;
  }

  private chance(p: number): boolean {
    return this.r.next() < p;
  }

  /** An expression of type `ty` (or, in ill-typed mode, sometimes not). */
  typed(ty: Ty, depth: number, scope: Var[]): string {
    if (this.illTyped > 0 && this.chance(this.illTyped)) {
      return this.typedExact(this.r.pick(TYPES.filter((t) => t !== ty)), depth, scope);
    }
    return this.typedExact(ty, depth, scope);
  }

  any(depth: number, scope: Var[]): string {
    return this.typed(this.r.pick(TYPES), depth, scope);
  }

  private typedExact(ty: Ty, depth: number, scope: Var[]): string {
    const vars = scope.filter((v) => v.ty === ty);
    if (vars.length > 0 && this.chance(0.25)) return this.r.pick(vars).name;
    if (depth <= 0 || this.chance(0.15)) return this.literal(ty);
    if (this.chance(0.18)) return this.binding(ty, depth, scope);
    switch (ty) {
      case "int":
        return this.intExpr(depth, scope);
      case "float":
        return this.floatExpr(depth, scope);
      case "bool":
        return this.boolExpr(depth, scope);
      case "string":
        return this.stringExpr(depth, scope);
      case "list":
        return this.listExpr(depth, scope);
      case "attrs":
        return this.attrsExpr(depth, scope);
      case "null":
        return this.chance(0.5) ? "null" : `(if ${this.typed("bool", depth - 1, scope)} then null else null)`;
      case "path":
        return this.pathExpr(depth, scope);
    }
  }

  literal(ty: Ty): string {
    const r = this.r;
    switch (ty) {
      case "int":
        return r.pick([String(r.int(0, 20)), String(r.int(-50, 50)), "0", "1", "-1", String(r.int(100, 100000))]);
      case "float":
        return this.floatLiteral();
      case "bool":
        return r.pick(["true", "false"]);
      case "string":
        return this.chance(0.2) ? this.indented(0, []) : this.stringLiteral();
      case "list":
        return r.pick(["[ ]", "[ 1 2 3 ]", '[ "b" "a" "c" ]', "[ null true 1.5 ]", "[ [ 1 ] [ ] ]"]);
      case "attrs":
        return r.pick(["{ }", "{ a = 1; }", '{ b = "x"; a = [ 1 ]; }', "{ a.b = 1; a.c = 2; }", '{ "a b" = 1; "" = 2; }']);
      case "null":
        return "null";
      case "path":
        // Absolute paths never exist: interpolating one would copy it to the store.
        return r.pick(["./.", "./foo", "./a/../b", "/nonexistent-fuzz", "/nonexistent-fuzz/b/./c", "./x.nix", "./a/b", "./a-b_c.d/e"]);
    }
  }

  floatLiteral(): string {
    const r = this.r;
    switch (r.int(0, 6)) {
      case 0:
        return `${r.int(0, 99)}.${r.int(0, 999)}`;
      case 1:
        return `.${r.int(0, 9999)}`;
      case 2:
        return `${r.int(1, 9)}.${r.int(0, 99)}e${r.pick(["", "+", "-"])}${r.int(0, 30)}`;
      case 3:
        return `${r.int(1, 9)}.${r.pick(["E", "e"])}${r.int(0, 400)}`;
      case 4:
        return r.pick(["0.1", "0.2", "0.3", "1.0", "2.5", "100.0", "123456.789", "0.000001", "1.0e15", "1.0e16", "1.0e21", "9007199254740993.0", "1.5e-7", "3.14159265358979"]);
      case 5:
        return `0.${r.int(0, 9)}e-${r.int(0, 320)}`;
      default:
        return `${r.int(1, 999999)}.${r.int(0, 999999)}`;
    }
  }

  /** A double-quoted string literal with escapes and `$` corner cases. */
  stringLiteral(scope: Var[] = [], depth = 0): string {
    const r = this.r;
    let s = '"';
    for (let i = 0, n = r.int(0, 6); i < n; i++) {
      s += r.pick([
        "abc", "x", " ", "ünï", "日本", "😀", "\\n", "\\t", "\\r", "\\\\", '\\"', "\\$", "\\${x}", "\\q", "\\0", "\\'", "$$", "$", "$$\\{",
        "$a", "''", "'", "\\\n", "#", "/*", "\t", "\n", "{", "}",
        ...(depth > 0 ? [`\${${this.typed("string", depth - 1, scope)}}`] : []),
      ]);
    }
    // `$` right before the closing quote is a literal dollar.
    if (this.chance(0.1)) s += "$";
    return s + '"';
  }

  /** An indented string: random indentation, blank and whitespace-only lines, every `''` escape, interpolation. */
  indented(depth: number, scope: Var[]): string {
    const r = this.r;
    const indents = ["", " ", "  ", "    ", "\t", " \t", "\t ", "      "];
    const pieces = () =>
      Array.from({ length: r.int(0, 3) }, () =>
        r.pick([
          "text", "a b", "''$", "'''", "''\\n", "''\\t", "''\\r", "''\\\\", "''\\x", "''\\'", "$", "$$", "'", "\\n", "\"q\"", "ü", "${", "#x",
          ...(depth > 0 ? [`\${${this.typed("string", depth - 1, scope)}}`] : ['${"i"}']),
        ]).replace(/^\$\{$/, "''${"),
      ).join("");
    let s = "''";
    if (this.chance(0.3)) s += pieces();
    for (let i = 0, n = r.int(0, 5); i < n; i++) {
      s += "\n";
      const kind = r.int(0, 5);
      if (kind === 0) continue; // empty line
      s += r.pick(indents);
      if (kind === 1) continue; // whitespace-only line
      s += pieces();
    }
    if (this.chance(0.6)) s += "\n" + r.pick(indents);
    return s + "''";
  }

  private binding(ty: Ty, depth: number, scope: Var[]): string {
    const r = this.r;
    const n = this.name();
    const bty = r.pick(TYPES);
    const inner = [...scope, { name: n, ty: bty }];
    switch (r.int(0, 7)) {
      case 0:
        return `(let ${n} = ${this.typed(bty, depth - 1, scope)}; in ${this.typed(ty, depth - 1, inner)})`;
      case 1: {
        // rec set / let with forward references.
        const m = this.name();
        return `(let ${m} = ${n}; ${n} = ${this.typed(bty, depth - 1, scope)}; in ${this.typed(ty, depth - 1, [...inner, { name: m, ty: bty }])})`;
      }
      case 2:
        return `(rec { ${n} = ${this.typed(bty, depth - 1, scope)}; res = ${this.typed(ty, depth - 1, inner)}; }).res`;
      case 3:
        return `(with { ${n} = ${this.typed(bty, depth - 1, scope)}; }; ${this.typed(ty, depth - 1, inner)})`;
      case 4:
        return `((${n}: ${this.typed(ty, depth - 1, inner)}) ${this.typed(bty, depth - 1, scope)})`;
      case 5: {
        const m = this.name();
        const def = this.chance(0.5) ? ` ? ${this.typed(bty, depth - 1, scope)}` : "";
        const given = def === "" || this.chance(0.5);
        const at = r.pick(["", `${m}@`, `@${m}`]);
        const formals = `{ ${n}${def}${this.chance(0.5) ? ", ..." : ""} }`;
        const pattern = at === "" ? formals : at.startsWith("@") ? `${formals} ${at}` : `${at} ${formals}`;
        const arg = given ? `{ ${n} = ${this.typed(bty, depth - 1, scope)}; }` : "{ }";
        const body = at !== "" && this.chance(0.5) ? `(if ${m} ? ${n} then ${this.typed(ty, depth - 1, inner)} else ${this.typed(ty, depth - 1, inner)})` : this.typed(ty, depth - 1, inner);
        return `((${pattern}: ${body}) ${arg})`;
      }
      case 6: {
        const src = this.name();
        return `(let ${src} = { ${n} = ${this.typed(bty, depth - 1, scope)}; }; in let inherit (${src}) ${n}; in ${this.typed(ty, depth - 1, inner)})`;
      }
      default:
        return `(assert ${this.typed("bool", depth - 1, scope)} || true; ${this.typed(ty, depth - 1, scope)})`;
    }
  }

  private intExpr(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    const small = () => (this.chance(0.5) ? String(r.int(-30, 30)) : this.typed("int", Math.min(d, 1), scope));
    switch (r.int(0, 19)) {
      case 0:
        return `(${this.typed("int", d, scope)} ${r.pick(["+", "-"])} ${this.typed("int", d, scope)})`;
      case 1:
        return `(${small()} * ${small()})`;
      case 2:
        return `(${this.typed("int", d, scope)} / ${r.pick(["1", "2", "-3", "7", "0", String(r.int(1, 9))])})`;
      case 3:
        return `(builtins.length ${this.typed("list", d, scope)})`;
      case 4:
        return `(builtins.stringLength ${this.typed("string", d, scope)})`;
      case 5:
        return `(builtins.${r.pick(["bitAnd", "bitOr", "bitXor"])} ${this.typed("int", d, scope)} ${this.typed("int", d, scope)})`;
      case 6:
        return `(builtins.${r.pick(["add", "sub", "div", "mul"])} ${small()} ${r.pick(["3", "-2", "1"])})`;
      case 7:
        return `(builtins.foldl' (a: b: a + b) ${this.typed("int", d, scope)} [ ${this.typed("int", d, scope)} ${this.typed("int", d, scope)} ])`;
      case 8:
        return `(builtins.${r.pick(["floor", "ceil"])} ${this.typed("float", d, scope)})`;
      case 9:
        return `(builtins.compareVersions ${nixStr(this.version())} ${nixStr(this.version())})`;
      case 10:
        return `(if ${this.typed("bool", d, scope)} then ${this.typed("int", d, scope)} else ${this.typed("int", d, scope)})`;
      case 11:
        return `(builtins.elemAt [ ${this.typed("int", d, scope)} ${this.typed("int", d, scope)} ] ${r.pick(["0", "1"])})`;
      case 12:
        return `(-${this.typed("int", d, scope)})`;
      case 13:
        return `({ a = ${this.typed("int", d, scope)}; }.${r.pick(["a", "b", "a.b"])} or ${this.typed("int", d, scope)})`;
      case 14:
        return `(builtins.head (builtins.sort builtins.lessThan [ ${this.typed("int", d, scope)} ${this.typed("int", d, scope)} 3 ]))`;
      case 15:
        return `(builtins.fromJSON ${nixStr(r.pick(["1", "-0", "123456789012", "-5", "9223372036854775807", " 7 "]))})`;
      case 16:
        return `(builtins.${r.pick(["length", "stringLength"])} (builtins.${r.pick(["toJSON", "toXML", "toString", "typeOf"])} ${this.jsonable(d, scope)}))`;
      case 17:
        // __functor: a set called as a function (curried, self-referring).
        return `(let f = { __functor = self: x: ${r.pick(["x", "self.n + x", "x * 2"])}; n = ${this.typed("int", d, scope)}; }; in f ${this.typed("int", d, scope)})`;
      case 18:
        return `(/* c */ ${this.typed("int", d, scope)} # line comment\n ${r.pick(["+", "-"])} ${this.typed("int", d, scope)})`;
      default:
        return `(builtins.unsafeGetAttrPos ${nixStr(r.pick(["a", "b"]))} ${this.attrsLiteral(d, scope)}).${r.pick(["line", "column"])} or 0`;
    }
  }

  private floatExpr(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    switch (r.int(0, 6)) {
      case 0:
        return `(${this.typed("float", d, scope)} ${r.pick(["+", "-", "*", "/"])} ${r.pick([this.typed("float", d, scope), this.typed("int", d, scope), this.floatLiteral()])})`;
      case 1:
        return `(${this.typed("int", d, scope)} ${r.pick(["+", "-", "*", "/"])} ${this.typed("float", d, scope)})`;
      case 2:
        return `(builtins.fromJSON ${nixStr(r.pick(["1.5", "1e3", "-0.0", "1E-7", "0.1", "2.5e300", "123.456e2", "1.0"]))})`;
      case 3:
        return `(builtins.${r.pick(["add", "sub", "mul", "div"])} ${this.typed("float", d, scope)} ${r.pick(["2", "0.5", "3.0", "-7"])})`;
      case 4:
        return `(1.0 * builtins.${r.pick(["length", "stringLength"])} ${r.pick(["[ 1 2 ]", '"abc"'])})`;
      case 5:
        return `(builtins.foldl' builtins.add 0.0 [ ${this.typed("float", d, scope)} ${this.typed("int", d, scope)} ])`;
      default:
        return `(if ${this.typed("bool", d, scope)} then ${this.typed("float", d, scope)} else ${this.floatLiteral()})`;
    }
  }

  private boolExpr(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    switch (r.int(0, 12)) {
      case 0: {
        const t = r.pick(["int", "float", "string", "list", "path"] as const);
        return `(${this.typed(t, d, scope)} ${r.pick(["<", "<=", ">", ">="])} ${this.typed(r.pick([t, t, t, "int", "float"] as const), d, scope)})`;
      }
      case 1:
        return `(${this.any(d, scope)} ${r.pick(["==", "!="])} ${this.any(d, scope)})`;
      case 2: {
        const t = r.pick(TYPES);
        return `(${this.typed(t, d, scope)} ${r.pick(["==", "!="])} ${this.typed(t, d, scope)})`;
      }
      case 3:
        return `(${this.typed("bool", d, scope)} ${r.pick(["&&", "||", "->"])} ${this.typed("bool", d, scope)})`;
      case 4:
        return `(!${this.typed("bool", d, scope)})`;
      case 5:
        return `(${this.typed("attrs", d, scope)} ? ${r.pick(["a", "b", "a.b", '"a b"', '${"a"}', "x.y.z", '""'])})`;
      case 6:
        return `(builtins.is${r.pick(["Int", "Float", "Bool", "String", "List", "Attrs", "Function", "Path", "Null"])} ${this.any(d, scope)})`;
      case 7:
        return `(builtins.elem ${this.any(d, scope)} ${this.typed("list", d, scope)})`;
      case 8:
        return `(builtins.${r.pick(["all", "any"])} (x: x == ${this.any(d, scope)}) ${this.typed("list", d, scope)})`;
      case 9:
        return `(builtins.tryEval ${r.pick([`(throw ${this.stringLiteral()})`, `(assert ${this.typed("bool", d, scope)}; 1)`, this.typed("int", d, scope), `(abort "x" == 1 || true)`.replace("abort", "throw")])}).success`;
      case 10:
        return `(builtins.hasAttr ${r.pick(['"a"', '"b"', '""'])} ${this.typed("attrs", d, scope)})`;
      case 11:
        return `(builtins.hasContext ${this.typed("string", d, scope)})`;
      default:
        return `(${this.typed("bool", d, scope)} ${r.pick(["&&", "||", "->", "==", "!="])} ${this.typed("bool", d, scope)} ${r.pick(["&&", "||", "->", "==", "!="])} ${this.typed("bool", d, scope)})`;
    }
  }

  private stringExpr(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    const s = () => this.typed("string", d, scope);
    switch (r.int(0, 23)) {
      case 0:
        return this.stringLiteral(scope, depth);
      case 1:
        return this.indented(depth, scope);
      case 2:
        return `(${s()} + ${s()})`;
      case 3:
        return `(toString ${r.pick([this.typed("int", d, scope), this.typed("float", d, scope), this.typed("bool", d, scope), "null", `[ ${s()} 1 null [ true ] ]`, this.typed("path", d, scope)])})`;
      case 4:
        return `(builtins.substring ${r.pick(["0", "1", "2", "5", String(r.int(0, 12))])} ${r.pick(["0", "1", "3", "-1", "100", String(r.int(0, 9))])} ${s()})`;
      case 5: {
        // Equal lengths mostly; unequal ones are an error to compare.
        const n = r.int(0, 3);
        const m = this.chance(0.9) ? n : r.int(0, 3);
        return `(builtins.replaceStrings ${this.strList(n)} ${this.strList(m)} ${s()})`;
      }
      case 6:
        return `(builtins.concatStringsSep ${nixStr(r.pick([",", "", " ", "\n", "ü"]))} ${this.typed("list", d, scope).replace(/^\[ \]$/, `[ ${s()} ]`)})`;
      case 7:
        return `(builtins.toJSON ${this.jsonable(d, scope)})`;
      case 8:
        return `(builtins.typeOf ${this.any(d, scope)})`;
      case 9:
        return `(builtins.hashString ${nixStr(r.pick(["md5", "sha1", "sha256", "sha512"]))} ${s()})`;
      case 10:
        return `(builtins.${r.pick(["baseNameOf", "dirOf"])} ${r.pick([s(), nixStr(r.pick(["/a/b/", "a/b", "/", "", "a", "//x//", "./c"]))])})`;
      case 11:
        return `"\${${s()}}-\${toString ${this.typed("int", d, scope)}}-\${${s()}}"`;
      case 12:
        return `(builtins.unsafeDiscardStringContext ${s()})`;
      case 13:
        return `(builtins.elemAt (builtins.split ${nixStr(this.regex())} ${s()}) 0)`;
      case 14:
        return `(builtins.toXML ${this.jsonable(d, scope)})`;
      case 15:
        return `(builtins.concatStringsSep "|" (builtins.splitVersion ${nixStr(this.version())}))`;
      case 16:
        return `(builtins.parseDrvName ${nixStr(this.drvName())}).${r.pick(["name", "version"])}`;
      case 17:
        return `(if ${this.typed("bool", d, scope)} then ${s()} else ${s()})`;
      case 18:
        return `({ ${nixStr(r.pick(ODD_TEXTS))} = ${s()}; }.${r.pick([nixStr(r.pick(ODD_TEXTS)), `\${${s()}}`, "a"])} or ${s()})`;
      case 19:
        return `(builtins.toString (builtins.${r.pick(["attrNames", "attrValues"])} ${this.typed("attrs", d, scope)}))`;
      case 21:
        // Coercions of sets: __toString (gets the set), outPath.
        return r.pick([
          `(toString { __toString = self: ${s()}; })`,
          `"\${{ __toString = self: self.v; v = ${s()}; }}"`,
          `"\${{ outPath = ${s()}; }}"`,
          `(toString { outPath = ${s()}; __toString = self: "ts"; })`,
          `(builtins.concatStringsSep "," [ { __toString = _: ${s()}; } ])`.replace('[ {', "(map toString [ {").replace("} ])", "} ]))"),
        ]);
      case 22:
        return r.pick(["http://example.org/a?b=c&d", "https://x.y/z#frag", "mailto:a@b.c", "x:y", "urn:isbn:123", "git+ssh://h/p.git"]);
      default:
        // Only small existing paths are copied to the store.
        return `"\${${r.pick(["./foo", "./a", "./x.nix", "./a/b", "./nonexistent"])}}${nixStr(r.pick(["", "/x", "-y"])).slice(1, -1)}"`;
    }
  }

  private strList(n: number): string {
    return `[ ${Array.from({ length: n }, () => nixStr(this.r.pick(["a", "b", "", "ab", "ü", "\n", "$", "x", "abc", " "]))).join(" ")} ]`;
  }

  private listExpr(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    const elems = (ty?: Ty) => Array.from({ length: r.int(0, 4) }, () => (ty ? this.typed(ty, d, scope) : this.any(d, scope))).join(" ");
    switch (r.int(0, 17)) {
      case 0:
        return `[ ${elems()} ]`;
      case 1:
        return `(${this.typed("list", d, scope)} ++ ${this.typed("list", d, scope)})`;
      case 2:
        return `(map (x: ${this.typed("int", d, scope)} + x) [ ${elems("int")} ])`;
      case 3:
        return `(builtins.filter (x: builtins.isInt x) ${this.typed("list", d, scope)})`;
      case 4: {
        const cmp = r.pick(["builtins.lessThan", "(a: b: a > b)", "(a: b: a.k < b.k)", "(a: b: false)", "(a: b: true)", "(a: b: a.k <= b.k)"]);
        const items = cmp.includes(".k")
          ? Array.from({ length: r.int(0, 8) }, (_, i) => `{ k = ${r.int(0, 3)}; i = ${i}; }`).join(" ")
          : Array.from({ length: r.int(0, 8) }, () => String(r.int(-5, 5))).join(" ");
        return `(builtins.sort ${cmp} [ ${items} ])`;
      }
      case 5:
        return `(builtins.genList (i: ${r.pick(["i", "i * i", "toString i", "[ i ]"])}) ${r.int(0, 6)})`;
      case 6:
        return `(builtins.concatLists [ ${this.typed("list", d, scope)} ${this.typed("list", d, scope)} ])`;
      case 7:
        return `(builtins.concatMap (x: [ x x ]) ${this.typed("list", d, scope)})`;
      case 8:
        return `(builtins.${r.pick(["attrNames", "attrValues"])} ${this.typed("attrs", d, scope)})`;
      case 9:
        return `(builtins.split ${nixStr(this.regex())} ${nixStr(this.regexSubject())})`;
      case 10:
        return `(let m = builtins.match ${nixStr(this.regex())} ${nixStr(this.regexSubject())}; in if m == null then [ "nomatch" ] else m)`;
      case 11:
        return `(builtins.tail ${this.typed("list", d, scope).replace(/^\[ \]$/, "[ 1 ]")})`;
      case 12:
        return `(builtins.catAttrs "a" [ ${this.typed("attrs", d, scope)} { a = 1; } ${this.typed("attrs", d, scope)} ])`;
      case 13:
        return this.genericClosure();
      case 14:
        return `(builtins.splitVersion ${nixStr(this.version())})`;
      case 15:
        return `(builtins.fromJSON (builtins.toJSON [ ${this.jsonable(d, scope)} ]))`;
      case 16:
        return `(builtins.${r.pick(["map", "filter"])} ${r.pick(["(x: x)", "builtins.isString", "(x: x == 1)"])} ${this.typed("list", d, scope)})`;
      default:
        return `(builtins.tail (builtins.sort (a: b: builtins.lessThan a b) [ ${this.typed("int", d, scope)} ${this.typed("int", d, scope)} ${this.typed("int", d, scope)} ]))`;
    }
  }

  private attrsExpr(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    switch (r.int(0, 12)) {
      case 0:
      case 1:
        return this.attrsLiteral(depth, scope);
      case 2:
        return `(${this.typed("attrs", d, scope)} // ${this.typed("attrs", d, scope)})`;
      case 3:
        return `(builtins.mapAttrs (n: v: n) ${this.typed("attrs", d, scope)})`;
      case 4:
        return `(builtins.listToAttrs [ ${Array.from({ length: r.int(0, 4) }, () => `{ name = ${nixStr(r.pick(["a", "b", "a", "", "z", "ü"]))}; value = ${this.any(d, scope)}; }`).join(" ")} ])`;
      case 5:
        return `(builtins.removeAttrs ${this.typed("attrs", d, scope)} [ "a" ${nixStr(r.pick(["b", "c", "x"]))} ])`;
      case 6:
        return `(builtins.intersectAttrs ${this.typed("attrs", d, scope)} ${this.typed("attrs", d, scope)})`;
      case 7:
        return `(builtins.functionArgs (${r.pick(["{ a, b ? 1 }: a", "{ ... }: 1", "x: x", "{ z ? 2, a, ... }@args: a", "args@{ x }: x"])}))`;
      case 8:
        return `(builtins.partition (x: ${r.pick(["x > 2", "builtins.isInt x && x > 0"])}) [ ${Array.from({ length: r.int(0, 6) }, () => r.int(-3, 6)).join(" ")} ])`;
      case 9:
        return `(builtins.groupBy (x: ${r.pick(["toString x", 'builtins.substring 0 1 x', 'if x == "" then "empty" else "other"'])}) [ ${Array.from({ length: r.int(0, 6) }, () => nixStr(r.pick(["a", "ab", "b", "", "1", "ü", "ba"]))).join(" ")} ])`.replace("toString x", "x");
      case 10:
        return `(builtins.zipAttrsWith (n: vs: ${r.pick(["vs", "n", "builtins.length vs", "[ n vs ]"])}) [ ${Array.from({ length: r.int(0, 3) }, () => this.attrsLiteral(Math.min(d, 1), scope)).join(" ")} ])`;
      case 11:
        return `(builtins.parseDrvName ${nixStr(this.drvName())})`;
      default:
        return `(builtins.fromTOML ${nixStr(this.toml())})`;
    }
  }

  /** Attribute set syntax: rec, inherit, inherit (e), dynamic and quoted names, nested paths. */
  attrsLiteral(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    const binds: string[] = [];
    const used = new Set<string>();
    const rec = this.chance(0.25);
    const key = (): string => {
      for (;;) {
        const k = r.pick(["a", "b", "c", "x", "\"a b\"", "\"\"", '"ü"', "z-1", "_", "a'"]);
        if (!used.has(k)) {
          used.add(k);
          return k;
        }
        if (used.size >= 10) return "a";
      }
    };
    for (let i = 0, n = r.int(0, 4); i < n && used.size < 9; i++) {
      const kind = r.int(0, 6);
      if (kind === 0 && scope.length > 0) {
        const v = r.pick(scope);
        if (!used.has(v.name)) {
          used.add(v.name);
          binds.push(`inherit ${v.name};`);
        }
      } else if (kind === 1 && this.inheritFrom) {
        const k = key();
        if (/^[a-z_]/.test(k) && !k.includes("'")) binds.push(`inherit ({ ${k} = ${this.any(d, scope)}; }) ${k};`);
        else binds.push(`${k} = ${this.any(d, scope)};`);
      } else if (kind === 2 && !rec) {
        const k = r.pick(["dyn", "a", "", "q r"]);
        if (!used.has(k)) {
          used.add(k);
          binds.push(`\${${nixStr(k)}} = ${this.any(d, scope)};`);
        }
      } else if (kind === 3) {
        const k = key();
        binds.push(`${k}.p = ${this.any(d, scope)}; ${k}.q.r = ${this.any(d, scope)};`);
      } else {
        binds.push(`${key()} = ${this.any(d, scope)};`);
      }
    }
    return `${rec ? "rec " : ""}{ ${binds.join(" ")} }`;
  }

  private pathExpr(depth: number, scope: Var[]): string {
    const r = this.r;
    const d = depth - 1;
    switch (r.int(0, 4)) {
      case 0:
        return `(${this.typed("path", d, scope)} + ${nixStr(r.pick(["/x", "x", "/../y", "/./z", "", "/"]))})`;
      case 1:
        return `(/. + ${nixStr(r.pick(["/nonexistent-fuzz/a/b", "nonexistent-fuzz//b/", "/nonexistent-fuzz/a/../b", "nonexistent-fuzz/../nonexistent-fuzz2"]))})`;
      case 2:
        return `./a/\${${nixStr(r.pick(["b", "c/d", "e.f"]))}}`;
      case 3:
        return `(builtins.dirOf ${this.typed("path", d, scope)})`;
      default:
        return r.pick(["./a.b/c", "/nonexistent-fuzz/y/../z", "./.", "./a/../..", "a/b"]);
    }
  }

  /** A value that toJSON/toXML accept (no functions, paths outside the store avoided). */
  jsonable(depth: number, scope: Var[]): string {
    const r = this.r;
    if (depth <= 0 || this.chance(0.3)) {
      return r.pick([String(r.int(-99, 99)), this.floatLiteral(), nixStr(r.pick(ODD_TEXTS)), "true", "false", "null", "[ ]", "{ }"]);
    }
    if (this.chance(0.4)) return `[ ${Array.from({ length: r.int(0, 3) }, () => this.jsonable(depth - 1, scope)).join(" ")} ]`;
    if (this.chance(0.2)) return this.typed(r.pick(["int", "float", "string", "bool", "null"] as const), depth - 1, scope);
    const keys = [...new Set(Array.from({ length: r.int(0, 3) }, () => nixStr(r.pick(ODD_TEXTS.slice(0, 24)))))];
    return `{ ${keys.map((k) => `${k} = ${this.jsonable(depth - 1, scope)};`).join(" ")} }`;
  }

  version(): string {
    const r = this.r;
    const parts = ["1", "2", "10", "0", "01", "pre", "rc", "alpha", "a", "b", "git", "", "999999999999", "1a", "x"];
    const seps = [".", "-", "_", "", ".", "."];
    let s = "";
    for (let i = 0, n = r.int(0, 5); i < n; i++) s += r.pick(parts) + (i < n - 1 ? r.pick(seps) : "");
    return s;
  }

  drvName(): string {
    const r = this.r;
    return r.pick([`${r.pick(["hello", "foo-bar", "a", "", "x-1y", "nix"])}-${this.version()}`, this.version(), `foo-${r.int(0, 9)}bar`, "-1", "a--1", "a-"]);
  }

  /** POSIX extended regular expressions over the subjects below (all valid). */
  regex(): string {
    const r = this.r;
    const atoms = ["a", "b", ".", "[ab]", "[^a]", "[a-c]", "[[:digit:]]", "[[:alpha:]]", "[[:space:]]", "(a|b)", "(ab)", "\\.", "x", "ü", "[]a]", "[-a]", "()", "(a*)", "\\*"];
    const quants = ["", "", "", "*", "+", "?", "{2}", "{1,}", "{0,2}"];
    let s = this.chance(0.2) ? "^" : "";
    for (let i = 0, n = r.int(1, 4); i < n; i++) {
      let atom = r.pick(atoms);
      if (this.chance(0.2)) atom = `(${atom}|${r.pick(atoms)})`;
      s += atom + r.pick(quants);
    }
    if (this.chance(0.2)) s = `.*${s}.*`;
    if (this.chance(0.1)) s += "$";
    return s;
  }

  regexSubject(): string {
    return this.r.pick(["", "a", "ab", "aab", "abc", "ba", "a.b", "xyz", "a1b2", "  a ", "ü a", "aaa bbb", "1.2.3", "a*b", "bab", "foo-1.0", "a]b", "-a"]);
  }

  genericClosure(): string {
    const r = this.r;
    const start = Array.from({ length: r.int(0, 3) }, () => `{ key = ${r.pick([String(r.int(0, 9)), `"${r.int(0, 9)}"`])}; }`).join(" ");
    const op = r.pick([
      "x: if x.key < 20 then [ { key = x.key * 2; } { key = x.key + 3; } ] else [ ]",
      "x: [ ]",
      'x: if builtins.stringLength x.key < 4 then [ { key = x.key + "a"; } { key = "b" + x.key; } ] else [ ]',
      "x: [ x ]",
      "x: [ { key = 1; extra = x; } ]",
    ]);
    return `(map (x: x.key) (builtins.genericClosure { startSet = [ ${start} ]; operator = ${op}; }))`;
  }

  toml(): string {
    const r = this.r;
    const lines: string[] = [];
    const used = new Set<string>();
    for (let i = 0, n = r.int(0, 5); i < n; i++) {
      const k = r.pick(["a", "b", "c.d", '"q k"', "x-y", "arr", "t"]);
      if (used.has(k) || (k === "c.d" && used.has("c"))) continue;
      used.add(k);
      lines.push(`${k} = ${r.pick(["1", "-2", "3.5", "1e3", "true", '"s"', "'lit\\n'", "[ 1, 2 ]", '[ "a", [ 1 ] ]', "{ x = 1 }", '"""\nml"""', "0x1f", "0o17", "0b101", "1_000", "inf", "nan", "+1.5"])}`);
    }
    if (this.chance(0.4)) lines.push(`[${r.pick(["tbl", "tbl.sub", '"quoted"'])}]`, `k = ${r.int(0, 9)}`);
    if (this.chance(0.2)) lines.push("[[arr2]]", "v = 1", "[[arr2]]", "v = 2");
    return lines.join("\n") + "\n";
  }

  /**
   * A derivation exercising outputs, odd names and env values, structured
   * attributes, fixed outputs, contexts; the expression's value is data about it.
   */
  derivationCase(): string {
    const d = this.derivationExpr();
    const probe = this.r.pick([
      "[ d.drvPath d.outPath d.name d.type ]",
      "builtins.attrNames d",
      "map (o: d.${o}.outPath) d.outputs",
      'builtins.getContext "${d}"',
      "builtins.getContext d.drvPath",
      'builtins.getContext (builtins.unsafeDiscardOutputDependency d.drvPath)',
      'builtins.attrNames (builtins.getContext (builtins.appendContext "x" { ${d.drvPath} = { outputs = [ "out" ]; }; }))',
      'builtins.getContext (builtins.appendContext "x" { ${d.drvPath} = { outputs = [ "out" ]; allOutputs = true; }; })',
      'builtins.hasContext (builtins.unsafeDiscardStringContext "${d}")',
      "[ (d == d) (d.out.outPath == d.outPath) (toString d == d.outPath) ]",
      "builtins.toJSON d",
      'builtins.getContext "${d.drvPath}${d}"',
      "builtins.stringLength d.drvPath",
    ]);
    return `(let d = ${d}; in ${probe})`;
  }

  /** A derivation with outputs, odd names and env values, structured attributes, fixed outputs. */
  derivationExpr(): string {
    const r = this.r;
    const attrs: string[] = [];
    const name = r.pick(["hello-1.0", "a", "x+y", "with.dots-2", "_-_", "A?=", "n".repeat(r.int(1, 60))]);
    attrs.push(`name = ${nixStr(name)};`, `system = ${nixStr(r.pick(["x86_64-linux", "builtin", "ü"]))};`, `builder = ${nixStr(r.pick(["/bin/sh", "builtin:fetchurl", "sh"]))};`);
    const outputs = this.chance(0.4) ? [...new Set(["out", ...["dev", "bin", "lib", "out"].filter(() => this.chance(0.4))])].sort(() => (this.chance(0.5) ? 1 : -1)) : null;
    if (outputs) attrs.push(`outputs = [ ${outputs.map((o) => `"${o}"`).join(" ")} ];`);
    const structured = this.chance(0.3);
    if (structured) attrs.push("__structuredAttrs = true;");
    if (!outputs && this.chance(0.25)) {
      attrs.push(r.pick([
        'outputHash = "sha256-47DEQpj8HBSa+/TjIW5pzYg8OzZ0s9hGmIMQWZJrPmk="; outputHashMode = "recursive";',
        'outputHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; outputHashAlgo = "sha256";',
        'outputHash = "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="; outputHashMode = "flat";',
        'outputHash = "0000000000000000000000000000000000000000000000000000"; outputHashAlgo = "sha256"; outputHashMode = "recursive";',
      ]));
    }
    for (let i = 0, n = r.int(0, 4); i < n; i++) {
      const key = r.pick(["env", "a b", "ünï", "x-y", "args2", "preferLocalBuild", "allowSubstitutes", "__ignoreNulls"]) + (i === 0 ? "" : i);
      attrs.push(`${nixStr(key)} = ${r.pick([nixStr(r.pick(ODD_TEXTS)), String(r.int(-9, 9)), "1.5", "true", "false", "null", '[ 1 "b" null ]', structured ? "{ n = [ 1.5 null ]; }" : '"s"'])};`);
    }
    if (this.chance(0.3)) attrs.push(`args = [ "-c" ${nixStr(r.pick(ODD_TEXTS))} ];`);
    if (this.chance(this.illTyped)) {
      // Errors: invalid names, outputs, hashes, values that cannot go into the environment.
      attrs.push(r.pick([
        'name = "a b";', 'name = "x/y";', 'name = "";', 'name = ".hidden";', 'name = "a.drv";', `name = ${nixStr("n".repeat(220))};`,
        'outputs = [ "out" "out" ];', 'outputs = [ ];', 'outputs = [ "drv" ];', 'outputs = [ "a b" ];', 'outputs = "out";',
        'outputHash = "sha256-tooshort"; outputHashMode = "flat";', 'outputHash = "abc"; outputHashAlgo = "sha256";',
        'outputHash = "sha256-47DEQpj8HBSa+/TjIW5pzYg8OzZ0s9hGmIMQWZJrPmk="; outputHashMode = "weird";',
        'outputHash = "sha256-47DEQpj8HBSa+/TjIW5pzYg8OzZ0s9hGmIMQWZJrPmk="; outputs = [ "out" "dev" ];',
        "env2 = x: x;", "env3 = { a = 1; };", 'system = 1;', "builder = null;", 'args = "x";', "__ignoreNulls = 1;",
      ]).replace(/^name = /, "name = ").replace(/;$/, ";"));
    }
    // Later duplicates of name/outputs would be parse errors: keep the last definition of each.
    const seen = new Set<string>();
    const unique = attrs.reverse().filter((a) => {
      const key = /^"?([\w ]+)"? =/.exec(a)?.[1] ?? a;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }).reverse();
    return `(derivation { ${unique.join(" ")} })`;
  }

  /** A builtin applied to edge-case arguments (negative, huge, empty, invalid, wrong type): mostly errors. */
  edgeBuiltin(): string {
    const r = this.r;
    const int = () => r.pick(["0", "1", "-1", "2", "100", "-9223372036854775807", "9223372036854775807", "4294967296", "1.5", '"1"', "null"]);
    const str = () => r.pick(['""', '"abc"', '"ü日"', '"a\nb"', "1", "null", "[ ]", '"${{ outPath = "x"; }}"', "./foo"]);
    const list = () => r.pick(["[ ]", "[ 1 2 3 ]", '[ "a" "b" ]', "[ [ 1 ] ]", "{ }", '"l"', "null", "[ null 1.5 ]"]);
    const set = () => r.pick(["{ }", "{ a = 1; }", '{ name = "n"; value = 1; }', "[ ]", "null", '{ key = 1; }', '{ "a b" = 2; }']);
    const fn = () => r.pick(["(x: x)", "(x: y: x)", "builtins.lessThan", "(x: throw \"f\")", "1", "null", "({ a }: a)"]);
    const realFn = () => r.pick(["(x: x)", "(x: y: x)", "builtins.lessThan", "(x: throw \"f\")", "({ a }: a)"]);
    const regex = () => nixStr(r.pick(["(", "a{2,1}", "[z-a]", "*a", "a**", "\\", "a|*", "(a", "[[:nope:]]", "a{,}", "", "()*", ...[this.regex()]]));
    return r.pick([
      // Small offsets: 2.8 truncated them to a C int, current CppNix (and we) keep 64 bits.
      () => `builtins.substring ${r.pick(["0", "1", "-1", "2", "100", "1.5", "null"])} ${r.pick(["0", "1", "-1", "2", "100", '"1"'])} ${str()}`,
      () => `builtins.elemAt ${list()} ${r.pick(["0", "1", "-1", "2", "100", "1.5", '"1"'])}`,
      // (Not huge: 2.8 tries to allocate the list and fails in the GC.)
      // Functions only where current CppNix forces the function before the list (2.8 only when calling it).
      () => `builtins.genList ${realFn()} ${r.pick(["0", "-1", "3", '"1"', "1.5", "null"])}`,
      () => `builtins.head ${list()}`,
      () => `builtins.tail ${list()}`,
      () => `builtins.match ${regex()} ${str()}`,
      () => `builtins.split ${regex()} ${str()}`,
      () => `builtins.fromJSON ${nixStr(r.pick(["", "{", "[1,]", "01", "1e400", '"\\u00"', "nul", "{\"a\":1,\"a\":2}", "-", "[1 2]", "1.", ".5", '"\\ud800"', "18446744073709551616", "-9223372036854775809"]))}`,
      // No integer above 2^63-1: 2.8 clamps it, current CppNix fails (upstream eval-fail-fromTOML-overflow).
      () => `builtins.fromTOML ${nixStr(r.pick(["a =", "a = 1\na = 2", "[t]\n[t]", "a = [1, \"x\"]", "a.b = 1\na = 2", "= 1", "a = 1979-05-27T07:32:00Z", "a = 'x", "a = \"\\q\""]))}`,
      () => `builtins.hashString ${nixStr(r.pick(["md5", "sha1", "sha256", "sha512", "sha3", "", "SHA256"]))} ${str()}`,
      () => `builtins.compareVersions ${str()} ${str()}`,
      () => `builtins.parseDrvName ${str()}`,
      () => `builtins.sort ${fn()} ${list()}`,
      () => `builtins.listToAttrs ${r.pick(["[ { name = \"a\"; } ]", "[ { value = 1; } ]", "[ 1 ]", "[ { name = 1; value = 2; } ]", "[ { name = \"a\"; value = 1; } { name = \"a\"; value = 2; } ]", list()])}`,
      () => `builtins.getAttr ${str()} ${set()}`,
      () => `builtins.attrNames ${set()}`,
      () => `builtins.mapAttrs ${fn()} ${set()}`,
      () => `builtins.genericClosure ${r.pick(["{ }", "{ operator = x: [ ]; }", "{ startSet = [ { } ]; operator = x: [ ]; }", "{ startSet = [ { key = x: x; } ]; operator = x: [ ]; }", "{ startSet = [ { key = 1; } { key = \"a\"; } ]; operator = x: [ ]; }", "{ startSet = 1; operator = x: [ ]; }", "{ startSet = [ { key = 1; } ]; operator = x: 1; }"])}`,
      () => `builtins.replaceStrings ${list()} ${list()} ${str()}`,
      () => `builtins.concatStringsSep ${str()} ${list()}`,
      () => `builtins.toString ${r.pick([list(), set(), fn(), str(), int()])}`,
      () => `builtins.bitAnd ${int()} ${int()}`,
      () => `${int()} ${r.pick(["/", "+", "-", "*", "<"])} ${int()}`,
      () => `builtins.foldl' ${fn()} ${int()} ${list()}`,
      () => `builtins.zipAttrsWith ${fn()} ${list()}`,
      () => `builtins.groupBy ${fn()} ${list()}`,
      () => `builtins.concatMap ${fn()} ${list()}`,
      () => `builtins.catAttrs ${str()} ${list()}`,
      () => `builtins.removeAttrs ${set()} ${list()}`,
      () => `builtins.intersectAttrs ${set()} ${set()}`,
      () => `builtins.functionArgs ${fn()}`,
      () => `builtins.splitVersion ${str()}`,
      () => `builtins.toJSON ${r.pick([fn(), set(), list(), '{ a = x: x; }', "[ (x: x) ]"])}`,
      () => `builtins.seq ${fn()} ${int()}`,
      () => `builtins.deepSeq ${r.pick(["[ (throw \"d\") ]", "{ a = throw \"e\"; }", list()])} 1`,
      () => `builtins.tryEval ${r.pick(["(throw \"t\")", "(assert false; 1)", "(abort \"a\")", "(1 + \"a\")", "{ a = throw \"lazy\"; }", "[ (throw \"l\") ]"])}`,
      () => `builtins.length ${list()}`,
      () => `builtins.all ${fn()} ${list()}`,
      () => `builtins.filter ${realFn()} ${list()}`,
      () => `builtins.partition ${fn()} ${list()}`,
      () => `builtins.unsafeDiscardStringContext ${str()}`,
      () => `builtins.getContext ${str()}`,
      () => `builtins.appendContext ${str()} ${r.pick(["{ }", '{ "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x" = { path = true; }; }', '{ "/tmp/x" = { path = true; }; }', '{ "x" = { }; }'])}`,
      // ASCII names: a non-ASCII name's (invalid) store path is named in the error with a hash we compute differently.
      () => `builtins.toFile ${r.pick(['""', '"abc"', '"a b"', '"a/b"', "1", "null"])} ${str()}`,
      () => `builtins.typeOf ${r.pick([fn(), set(), list(), str(), int()])}`,
      () => `builtins.ceil ${int()}`,
      () => `builtins.floor ${int()}`,
    ])();
  }

  /** Operators without parentheses: precedence and associativity. */
  operatorSoup(): string {
    const r = this.r;
    const ops = ["+", "-", "*", "/", "++", "//", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "->", "?"];
    const operand = () => r.pick(["1", "2", "3", "0", "-1", "true", "false", "[ 1 ]", "{ a = 1; }", '"s"', "null", "!true", "- 2", "2.5", "{ a.b = 1; }.a", "[ ]", "{ }", "(x: x) 1", "./p"]);
    let s = operand();
    for (let i = 0, n = r.int(1, 5); i < n; i++) {
      const op = r.pick(ops);
      s += op === "?" ? ` ? ${r.pick(["a", "a.b", "b"])}` : ` ${op} ${operand()}`;
    }
    return s;
  }
}

export type Family = "typed" | "illTyped" | "strings" | "operators" | "builtins" | "derivations" | "drvFiles" | "drvErrors" | "edgeBuiltins" | Area;

/** `count` cases of `family` from `seed`: expressions whose values are printed with --strict. */
export function generateCases(family: Family, seed: number, count: number, mode = "plain"): string[] {
  if ((AREAS as readonly string[]).includes(family)) return generateAreaCases(family as Area, seed, count);
  const g = new FuzzGen(seed, family === "illTyped" ? 0.15 : family === "drvErrors" ? 0.5 : 0, mode !== "xml");
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    switch (family) {
      case "typed":
      case "illTyped":
        out.push(g.any(2 + (i % 4), []));
        break;
      case "strings":
        out.push(i % 2 === 0 ? g.indented(i % 3, []) : g.typed("string", 2, []));
        break;
      case "operators":
        out.push(g.operatorSoup());
        break;
      case "builtins":
        out.push(g.typed(["list", "attrs", "string", "int"][i % 4] as Ty, 3, []));
        break;
      case "derivations":
      case "drvErrors":
        out.push(g.derivationCase());
        break;
      case "drvFiles":
        out.push(g.derivationExpr());
        break;
      case "edgeBuiltins":
        out.push(g.edgeBuiltin());
        break;
    }
  }
  return out;
}
