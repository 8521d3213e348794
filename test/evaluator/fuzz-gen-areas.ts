/**
 * More generators for the differential fuzzer, one per language area that the
 * typed-tree generator (fuzz-gen.ts) reaches only rarely: string contexts through
 * string operations, paths and path operations, float printing and arithmetic,
 * scoping (`//`, rec, let, with, inherit), attribute paths with `or` and `?`,
 * lambdas with formals, comparisons, fromJSON/fromTOML/toXML, regular expressions,
 * and the messages of common type errors. Each case is one expression printed
 * with --strict (or an error compared by message).
 */
import { SeededRandom } from "../helpers/random.js";
import { nixString } from "./support-nix.js";

export type Area = "contexts" | "paths" | "floats" | "scoping" | "lambdas" | "compare" | "formats" | "regex" | "typeErrors";

export const AREAS: readonly Area[] = ["contexts", "paths", "floats", "scoping", "lambdas", "compare", "formats", "regex", "typeErrors"];

const S = nixString;

export class AreaGen {
  private readonly r: SeededRandom;
  constructor(seed: number) {
    this.r = new SeededRandom(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return this.r.pick(xs);
  }

  private int(a: number, b: number): number {
    return this.r.int(a, b);
  }

  case(area: Area): string {
    switch (area) {
      case "contexts":
        return this.contexts();
      case "paths":
        return this.paths();
      case "floats":
        return this.floats();
      case "scoping":
        return this.scoping();
      case "lambdas":
        return this.lambdas();
      case "compare":
        return this.compare();
      case "formats":
        return this.formats();
      case "regex":
        return this.regex();
      case "typeErrors":
        return this.typeErrors();
    }
  }

  /** A string with some context: a source path, a toFile, a derivation output or its drvPath. */
  private ctxString(): string {
    return this.pick([
      '"${./foo}"',
      '"${./a}/b"',
      'builtins.toFile "t" "x"',
      '"${builtins.toFile "t2" "y"}"',
      "drv.outPath",
      '"${drv}/bin"',
      "drv.dev",
      '"pre${drv.dev}post"',
      "drv.drvPath",
      '(builtins.unsafeDiscardOutputDependency drv.drvPath)',
      '"plain"',
      '""',
      '(builtins.appendContext "a" { "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x" = { path = true; }; })',
    ]);
  }

  /** A string operation applied to context strings. */
  private ctxOp(): string {
    const s = () => this.ctxString();
    return this.pick([
      () => `builtins.substring ${this.int(0, 50)} ${this.pick(["0", "1", "5", "100", "-1"])} ${s()}`,
      // Coerced: current CppNix forces a replacement only when it matches (2.8 all of them).
      () => `builtins.replaceStrings [ "/" "a" ] [ "\${${s()}}" "b" ] ${s()}`,
      () => `builtins.replaceStrings [ ${s()} ] [ "z" ] ${s()}`,
      () => `builtins.concatStringsSep ${s()} [ ${s()} ${s()} ]`,
      () => `toString [ ${s()} ${s()} 1 ]`,
      () => `${s()} + ${s()}`,
      () => `builtins.toJSON [ ${s()} { k = ${s()}; } ]`,
      () => `builtins.toXML ${s()}`,
      () => `builtins.head (builtins.split "/" ${s()})`,
      () => `builtins.elemAt (builtins.split "(n)" ${s()}) 1`,
      () => `let m = builtins.match "(.*)-(.*)" ${s()}; in if m == null then "" else builtins.head m`,
      () => `builtins.unsafeDiscardStringContext ${s()}`,
      () => `builtins.baseNameOf ${s()}`,
      () => `builtins.dirOf ${s()}`,
      () => `builtins.hashString "sha256" ${s()}`,
      () => `(builtins.parseDrvName ${s()}).name`,
      () => `builtins.concatStringsSep "," (builtins.attrNames { \${builtins.unsafeDiscardStringContext ${s()}} = 1; })`,
      () => `builtins.readFile (builtins.toFile "r" ${s()})`.replace(/toFile "r" (\S*drv\S*)/, 'toFile "r" "x"'),
      () => `(builtins.fromJSON (builtins.toJSON { a = ${s()}; })).a`,
      () => `"\${${s()}}\${${s()}}"`,
      () => `builtins.toString (builtins.map (x: x) [ ${s()} ])`,
      () => `builtins.addErrorContext "ctx" ${s()}`,
      () => `builtins.seq ${s()} ${s()}`,
      () => `builtins.getAttr "x" { x = ${s()}; }`,
      () => `builtins.appendContext ${s()} { }`,
      () => `builtins.unsafeDiscardOutputDependency ${s()}`,
      () => `if ${s()} == ${s()} then ${s()} else "no"`,
    ])();
  }

  contexts(): string {
    const probe = this.pick(["builtins.getContext", "builtins.hasContext", "(x: x)", "(x: [ x (builtins.getContext x) ])", "builtins.stringLength"]);
    const drv = `derivation { name = ${S(this.pick(["d", "x-1.0", "a+b"]))}; system = "x"; builder = "/bin/sh"; outputs = [ "out" "dev" ]; }`;
    return `let drv = ${drv}; in ${probe} (${this.ctxOp()})`;
  }

  paths(): string {
    const p = () => this.pick(["./foo", "./a", "./a/b", "./.", "./x.nix", "/nonexistent-fuzz/z", "./a/../foo", "/.", "./a/./b"]);
    const str = () => S(this.pick(["", "/", "x", "/x", "/../y", "b", "//c", "./d", "e/"]));
    return this.pick([
      () => `${p()} + ${str()}`,
      () => `${p()} + ${p()}`,
      () => `"\${${p()}}"`.replace(/"\$\{(\/nonexistent[^}]*)\}"/, 'toString $1'),
      () => `toString (${p()} + ${str()})`,
      () => `${str()} + ${p()}`.replace("/nonexistent-fuzz/z", "./foo"),
      () => `builtins.baseNameOf ${p()}`,
      () => `builtins.dirOf ${p()}`,
      () => `builtins.typeOf (builtins.dirOf ${p()})`,
      () => `builtins.pathExists ${p()}`,
      () => `builtins.pathExists (${p()} + ${str()})`,
      () => `builtins.readFile ${this.pick(["./foo", "./a/b", "./x.nix"])}`,
      () => `builtins.readDir ${this.pick(["./a", "./."])}`.replace("./.", "./a"),
      () => `(import ./x.nix).x`,
      () => `${p()} == ${p()}`,
      () => `${p()} < ${p()}`,
      () => `[ (${p()}) (${p()}) ] == [ ./foo ./a ]`,
      () => `builtins.isPath (${p()} + ${str()})`,
      () => `let p = ${p()}; in [ (toString p) (builtins.typeOf p) (p == p + "") ]`,
      () => `./a/\${${S(this.pick(["b", "c", "", "d/e"]))}}`,
      () => `./\${${S(this.pick(["foo", "a", "x.nix"]))}}`,
      () => `builtins.toPath ${S(this.pick(["/a/b", "/a/../b", "a", "", "/a//b/"]))}`,
      () => `builtins.storePath ${S(this.pick(["/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x", "/tmp"]))}`.replace(/^/, "builtins.typeOf (") + ")",
      () => `builtins.substring 0 ${this.int(0, 5)} (toString ${p()})`,
      () => `builtins.stringLength "\${${this.pick(["./foo", "./a/b"])}}"`,
      () => `builtins.getContext "\${${this.pick(["./foo", "./a"])}}"`,
      () => `builtins.hashFile ${S(this.pick(["md5", "sha1", "sha256", "sha512"]))} ${this.pick(["./foo", "./a/b"])}`,
      () => `builtins.path { path = ${this.pick(["./foo", "./a"])}; ${this.pick(["", 'name = "n";', "recursive = false;", "filter = p: t: true;"])} }`,
      () => `builtins.attrNames (builtins.readDir ./.)`,
      () => `map baseNameOf [ ${p()} ${str()} ]`,
      () => `(${p()} + ${str()}) + ${str()}`,
      () => `builtins.concatStringsSep "," [ ${p()} ]`.replace(/\[ (\/nonexistent[^ ]*) \]/, "[ ./foo ]"),
    ])();
  }

  private float(): string {
    return this.pick([
      "0.1", "0.2", "0.3", "1.0", "2.5", "1.0e10", "1.0e15", "1.0e16", "1.0e17", "1.0e21", "1.0e22", "123456789.0", "1.5e-5", "1.0e-4", "1.0e-5",
      "3.0", ".5", "100.0", "1.0e300", "9007199254740993.0", "0.000001", "0.0000001", "1234567.0", "12345678.0", "0.1e1", "4.0e-320",
      String(this.int(0, 999)) + "." + String(this.int(0, 999)),
    ]).replace("4.0e-320", "4.0e-300");
  }

  floats(): string {
    const f = () => this.float();
    // Negative numbers in parentheses: `[ -1 ]` is a subtraction.
    const num = (): string => this.pick([f(), f(), `(-${f()})`, String(this.int(0, 20)), `(-${this.int(1, 20)})`]);
    return this.pick([
      () => `${num()} ${this.pick(["+", "-", "*", "/"])} ${num()}`,
      () => `[ (${num()} ${this.pick(["+", "-", "*", "/"])} ${num()}) (${num()} * ${num()}) ]`,
      () => `toString (${num()} ${this.pick(["+", "-", "*", "/"])} ${num()})`,
      () => `builtins.toJSON [ ${num()} (${num()} / ${num()}) ]`,
      () => `builtins.toXML (${num()} * ${num()})`,
      () => `"\${toString ${num()}}"`,
      () => `builtins.${this.pick(["floor", "ceil"])} (${num()} ${this.pick(["+", "*", "/"])} ${num()})`,
      () => `${num()} ${this.pick(["<", "<=", ">", ">=", "==", "!="])} ${num()}`,
      () => `builtins.div ${num()} ${num()}`,
      () => `builtins.typeOf (${num()} + ${num()})`,
      () => `builtins.fromJSON ${S(this.pick(["1.0", "1e2", "-1.5e-3", "0.1", "1E400", "123456789012345678901234567890", "1.7976931348623157e308", "5e-324", "2.5", "[1.0, 2]"]))}`,
      () => `builtins.sort builtins.lessThan [ ${num()} ${num()} ${num()} ]`,
      () => `builtins.toJSON (builtins.fromJSON ${S(this.pick(["0.1", "1e-7", "1e21", "123.456", "-0.0", "100"]))})`,
      () => `builtins.foldl' builtins.mul 1.0 [ ${num()} ${num()} ${num()} ]`,
      () => `builtins.genList (i: i * ${num()}) 4`,
      () => `1.0 * ${this.pick(["9223372036854775807", "4611686018427387904", "1099511627776", "3"])}`,
      () => `builtins.fromTOML ${S(`x = ${this.pick(["1.5", "1e3", "-0.0", "3.14159", "1_000.5", "6.02e23", "inf", "-inf", "nan", "0.1"])}`)}`,
      () => `builtins.isFloat (${num()} + 1)`,
      () => `${num()} - ${num()} - ${num()}`,
    ])();
  }

  scoping(): string {
    const v = () => this.pick(["a", "b", "c", "x"]);
    const lit = () => this.pick(["1", "2", '"s"', "[ 1 ]", "{ a = 5; }", "null", "true"]);
    const expr = (): string =>
      this.pick([
        () => v(),
        () => `${v()}.a or ${lit()}`,
        () => `{ a = 1; b = 2; } // { b = ${v()}; c = 3; }`,
        () => `[ ${v()} ${v()} ]`,
        () => `(with { a = 10; x = 11; }; ${v()})`,
        () => `(let ${v()} = ${lit()}; in ${v()})`,
        () => `(rec { a = ${lit()}; b = a; c = b; }).${v()} or "none"`,
        () => `({ inherit ${v()}; }).${v()} or "missing"`,
      ])();
    const scopes = [
      () => `let a = ${lit()}; b = a; in with { a = 100; c = 3; }; ${expr()}`,
      () => `with { a = 1; b = 2; c = 3; x = 4; }; with { a = 10; }; ${expr()}`,
      () => `let a = 1; b = 2; c = 3; x = 4; in rec { a = 5; r = ${expr()}; }.r`,
      () => `let x = { a = 1; b = { c = 2; }; }; in [ (x.a or 0) (x.b.c or 0) (x.b.d or 7) (x.z.y or 8) (x ? a) (x ? b.c) (x ? b.d) (x ? z.y) ]`,
      () => `let x = ${lit()}; in [ (x.a or "d") (x ? a) (x ? a.b) ]`,
      () => `let s = { a = { b = ${lit()}; }; "x y" = 2; }; in [ (s.a.b.c or "deep") (s."x y" or 0) (s.\${"x y"} or 0) (s ? "x y") (s.a ? b) ]`,
      () => `let f = s: s.a.b or (s.c or "none"); in [ (f { }) (f { c = 1; }) (f { a = { }; }) (f { a.b = 2; }) ]`,
      () => `let a = 1; b = 2; c = 3; x = 4; in { inherit a b; c = ${expr()}; }`,
      () => `let a = { x = 1; }; b = 2; c = 3; x = 4; in let inherit (a) x; in ${expr()}`,
      () => `rec { a = 1; b = a + 1; c = { d = b; inherit a; }; }`,
      () => `let a = 1; b = 2; c = 3; x = 4; in { a = 1; } // { b = 2; } // ${this.pick(["{ a = 3; }", "{ }", "{ c = a; }"])}`,
      () => `let r = rec { a = b; b = 1; x = a + b; }; in r // { b = 5; }`,
      () => `{ a.b.c = 1; a.b.d = 2; a.e = 3; }`,
      () => `{ a = { b = 1; }; a.c = 2; }`,
      () => `let a = { b = 1; }; in { inherit a; }.a.b`,
      () => `(x: with { x = 2; }; x) 1`,
      () => `let x = 1; in with { x = 2; }; with { y = 3; }; x + y`,
      () => `with { a = 1; }; let b = a; in with { a = 2; }; [ a b ]`,
      () => `let self = { a = 1; b = self.a + 1; }; in self.b`,
      () => `let fix = f: let x = f x; in x; in (fix (self: { a = 1; b = self.a + 1; })).b`,
      () => `{ \${"a"} = 1; \${"b" + "c"} = 2; \${if true then "d" else "e"} = 3; }`,
      () => `{ \${null} = 1; b = 2; }`,
      () => `let a = ${lit()}; in a.b.c or a`,
      () => `(builtins.mapAttrs (n: v: v) { a = 1; }) // { b = 2; }`,
      () => `builtins.attrNames ({ z = 1; a = 2; "Z" = 3; "_" = 4; "ä" = 5; "10" = 6; "9" = 7; } // { B = 1; })`,
      () => `let inherit ({ a = 1; b = 2; }) a b; in a + b`,
      () => `let x = { inherit (builtins) length; }; in x.length [ 1 2 ]`,
      () => `{ a = 1; } ? ${this.pick(["a", "b", '"a"', '${"a"}', "a.b"])}`,
      () => `(${lit()}) ? a`,
    ];
    return this.pick(scopes)();
  }

  lambdas(): string {
    const arg = () =>
      this.pick(["{ }", "{ a = 1; }", "{ a = 1; b = 2; }", "{ a = 1; c = 3; }", "{ b = 5; }", "1", '"s"', "{ a = 1; b = 2; c = 3; d = 4; }"]);
    const fn = () =>
      this.pick([
        "{ a, b ? 2 }: [ a b ]",
        "{ a, b ? a + 1, ... }: [ a b ]",
        "{ a ? b, b ? 3 }: [ a b ]",
        "args@{ a, ... }: [ a (builtins.attrNames args) ]",
        "{ a, ... }@args: args",
        "{ ... }: 1",
        "{ }: 1",
        "x: x",
        "{ a ? throw \"default\", b ? 1 }: b",
        "{ a, b, c ? 3 }: a + b + c",
        "args@{ a ? 5, ... }: args ? a",
        "{ a }: { inherit a; }",
        "{ a ? 1, b ? a * 2, c ? b * 2 }: c",
      ]);
    return this.pick([
      () => `(${fn()}) ${arg()}`,
      () => `builtins.functionArgs (${fn()})`,
      () => `builtins.map (${fn()}) [ ${arg()} ${arg()} ]`,
      () => `let f = ${fn()}; in [ (builtins.isFunction f) (builtins.typeOf f) ]`,
      () => `(a: b: c: [ a b c ]) 1 2 3`,
      () => `let f = a: b: a - b; g = f 10; in [ (g 1) (g 2) (f 3 4) ]`,
      () => `let compose = f: g: x: f (g x); in (compose (x: x * 2) (x: x + 1)) 5`,
      () => `(x: y: x) 1`,
      () => `let f = { __functor = self: x: self.n + x; n = 3; }; in [ (f 1) (builtins.isFunction f) (builtins.isAttrs f) ]`,
      () => `builtins.functionArgs { __functor = self: { a, b ? 1 }: a; }`,
      () => `(${fn()}) (${arg()} // ${arg()})`,
      () => `let f = { a ? 1 }@s: s; in [ (f { }) (f { a = 2; }) ]`,
      () => `builtins.attrNames (builtins.functionArgs (${fn()}))`,
      () => `(builtins.tryEval ((${fn()}) ${arg()})).success`,
      () => `let f = n: if n == 0 then 0 else n + f (n - 1); in f ${this.int(0, 200)}`,
      () => `builtins.foldl' (f: g: x: f (g x)) (x: x) [ (x: x + 1) (x: x * 3) ] ${this.int(0, 9)}`,
      () => `map (f: f 2) [ (x: x) (x: x * x) builtins.toString (builtins.add 1) ]`,
      () => `(${fn()}) ${arg()} == (${fn()}) ${arg()}`,
      () => `let f = x: x; in f == f`,
      () => `[ (x: x) ] == [ (x: x) ]`,
      () => `{ f = x: x; } == { f = x: x; }`,
    ])();
  }

  compare(): string {
    const val = () =>
      this.pick([
        "[ 1 2 ]", "[ 1 3 ]", "[ 1 ]", "[ ]", "[ 1 2 3 ]", "[ 2 ]", '[ "a" ]', '[ "b" 1 ]', "[ 1.5 ]", "[ [ 1 ] ]", "[ [ 2 ] 0 ]",
        '"a"', '"b"', '"ab"', '""', '"B"', '"ä"', '"a\\n"', '"10"', '"9"',
        "1", "2", "1.0", "1.5", "(-1)", "0",
        "./foo", "./a", "null", "true", "{ }", "{ a = 1; }", "[ null ]", "[ true ]", "[ (x: x) ]",
      ]);
    const op = () => this.pick(["<", "<=", ">", ">=", "==", "!="]);
    return this.pick([
      () => `${val()} ${op()} ${val()}`,
      () => `builtins.lessThan ${val()} ${val()}`,
      () => `builtins.sort builtins.lessThan [ ${val()} ${val()} ${val()} ]`,
      () => `builtins.sort (a: b: a > b) [ ${Array.from({ length: this.int(0, 6) }, () => this.pick(['"a"', '"b"', '"ab"', '""', '"B"'])).join(" ")} ]`,
      () => `builtins.sort builtins.lessThan [ ${Array.from({ length: this.int(0, 6) }, () => this.pick(["[ 1 2 ]", "[ 1 ]", "[ ]", "[ 2 ]", "[ 1 3 ]", "[ 0 5 ]"])).join(" ")} ]`,
      () => `[ (${val()} == ${val()}) (${val()} != ${val()}) ]`,
      () => `{ a = ${val()}; } == { a = ${val()}; }`,
      () => `builtins.elem ${val()} [ ${val()} ${val()} ]`,
      () => `builtins.compareVersions ${S(this.pick(["1.0", "1.0pre", "1.0.1", "2", "1.a", "a", ""]))} ${S(this.pick(["1.0", "1.0pre", "1.0.1", "2", "1.a", "a", ""]))}`,
      () => `let d = derivation { name = "c"; system = "x"; builder = "y"; }; in [ (d == d) (d == d.out) (d == { outPath = d.outPath; type = "derivation"; }) ]`,
    ])();
  }

  formats(): string {
    const json = () =>
      this.pick([
        "{}", "[]", '{"a":1,"b":[true,false,null]}', '"\\u00e9\\n\\t\\"\\\\\\/"', '"\\ud83d\\ude00"', "  [ 1 , 2 ]  ", '{"a":{"b":{"c":[]}}}', "-0", "1E2", "1e-2",
        '{"z":1,"a":2}', "0.5", "[1.0]", '{"__toString":1}', "[-1,-1.5e3]", '"ü"', "true", "null", '{"a":1,"a":2}',
      ]);
    const toml = () =>
      this.pick([
        'a = 1\nb = "x"', "[t]\nx = 1\n[t.u]\ny = 2", '[[a]]\nx = 1\n[[a]]\nx = 2', 'a = [1, 2, 3]\nb = { c = "d" }', 'str = """\nmulti\nline"""',
        "lit = 'C:\\\\x'", 'a."b.c" = 1', "bool = true\nint = -7\nhex = 0xff\noct = 0o7\nbin = 0b11", 'x = "\\u00e9\\t"', "a = 1 # comment\n# only comment",
        "[a]\n[b]\n[a.c]", '"quoted key" = 1', "ml = '''\nraw\\n'''", "arr = [\n  1,\n  2,\n]", "e = 1e10\nf = -0.5\ng = 1_000",
      ]);
    const xmlVal = () =>
      this.pick([
        "1", '"s<&>\\""', "[ 1 \"a\" ]", "{ a = 1; b = [ null true ]; }", "null", "1.5", "{ }", "[ ]", '{ type = "derivation"; outPath = "/x"; }',
        '{ a = { b = "c"; }; }', "(x: x)", "({ a, b ? 1 }: a)", "({ a, ... }@args: a)", '"ü\\n\\t"', "./foo", '{ "a b" = "<x>"; }',
      ]);
    return this.pick([
      () => `builtins.fromJSON ${S(json())}`,
      () => `builtins.toJSON (builtins.fromJSON ${S(json())})`,
      () => `builtins.fromTOML ${S(toml())}`,
      () => `builtins.toJSON (builtins.fromTOML ${S(toml())})`,
      () => `builtins.toXML ${xmlVal()}`,
      () => `builtins.toXML [ ${xmlVal()} ${xmlVal()} ]`,
      () => `builtins.toJSON ${this.pick(['{ b = 1; a = "x"; }', '[ "\\u0001" "é" "\\t" ]', '{ __toString = self: "ts"; }', '{ outPath = "o"; a = 1; }', "1.0e20", "0.1", "-5", '"\\\\/"', "{ a = null; }"])}`,
      () => `builtins.fromJSON (builtins.toJSON ${this.pick(['"ü😀"', "[ 1 2.5 ]", "{ x = [ ]; }", '"\\u007f"'])})`,
    ])();
  }

  regex(): string {
    const re = () =>
      this.pick([
        "[[:alpha:]]+", "[[:digit:]]*", "[[:alnum:]_]+", "[[:space:]]", "[[:upper:]][[:lower:]]*", "[[:punct:]]+", "[[:xdigit:]]+", "[^[:space:]]+",
        "(a|b)*c", "a{2,3}", "(x)(y)?(z)", "([a-z]+)-([0-9.]+)", "^$", ".*", "(.*)\\.(.*)", "[.]", "a|", "(|a)", "\\(", "[]]", "[^]a]", "[a-]",
        "([[:digit:]]+)\\.([[:digit:]]+)", "(foo|foobar)(bar)?", "((a)|b)+", "(a*)*", "(a|ab)(c|bcd)(d*)", "x*", "ü+", "[ü]", ".", "..", "(.)(.)",
      ]);
    const subj = () =>
      S(this.pick(["", "a", "abc", "aab", "Hello World", "foo-1.2.3", "12.34", "  x  ", "foobar", "ü日", "a.b.c", "abcd", "x_y-z", "AbC", "((", "]", "a\nb", "tab\there"]));
    return this.pick([
      () => `builtins.match ${S(re())} ${subj()}`,
      () => `builtins.split ${S(re())} ${subj()}`,
      () => `map (s: builtins.match ${S(re())} s) [ ${subj()} ${subj()} ]`,
      () => `builtins.length (builtins.split ${S(re())} ${subj()})`,
      () => `builtins.replaceStrings [ ${subj()} ] [ ${subj()} ] ${subj()}`,
      () => `builtins.filter builtins.isList (builtins.split ${S(re())} ${subj()})`,
    ])();
  }

  typeErrors(): string {
    const bad = () => this.pick(["1", '"s"', "1.5", "true", "null", "[ ]", "{ }", "(x: x)", "./foo", "builtins.add"]);
    return this.pick([
      () => `${bad()} + ${bad()}`,
      () => `${bad()} - ${bad()}`,
      () => `${bad()} * ${bad()}`,
      () => `${bad()} / ${bad()}`,
      () => `${bad()} < ${bad()}`,
      () => `${bad()} ++ ${bad()}`,
      () => `${bad()} // ${bad()}`,
      () => `!${bad()}`,
      () => `-${bad()}`,
      () => `${bad()} && true`,
      () => `false || ${bad()}`,
      () => `${bad()} -> true`,
      () => `if ${bad()} then 1 else 2`,
      () => `assert ${bad()}; 1`,
      () => `(${bad()}).a`,
      () => `(${bad()}) 1`,
      () => `with ${bad()}; 1`,
      () => `let x = ${bad()}; in x.a.b`,
      () => `builtins.${this.pick(["length", "head", "tail", "attrNames", "attrValues", "stringLength", "toJSON", "typeOf", "isList", "toString", "baseNameOf", "dirOf", "floor", "ceil", "concatLists", "listToAttrs", "splitVersion", "fromJSON", "hashString \"sha256\"", "concatStringsSep \",\"", "map (x: x)", "filter (x: true)", "elemAt [ 1 ]", "getAttr \"a\"", "hasAttr \"a\"", "removeAttrs { }", "bitAnd 1", "lessThan 1", "substring 0 1", "seq 1"])} ${bad()}`,
      () => `"\${${bad()}}"`,
      () => `{ \${${bad()}} = 1; }`,
      () => `builtins.toString ${bad()}`,
      () => `let f = { a }: a; in f ${bad()}`,
      () => `let f = { a }: a; in f { a = 1; b = 2; }`,
      () => `let f = { a, b }: a; in f { a = 1; }`,
      () => `throw ${bad()}`,
      () => `abort ${bad()}`,
      () => `builtins.import ${bad()}`,
      () => `import ${bad()}`,
      () => `builtins.genList ${bad()} 2`,
      () => `builtins.sort ${bad()} [ 2 1 ]`,
      () => `builtins.mapAttrs ${bad()} { a = 1; }`,
      () => `[ 1 2 ] == ${bad()}`,
      () => `{ a = 1; }.${this.pick(["b", '"b c"', '${"x"}', "a.b"])}`,
      () => `let x = rec { a = b; b = a; }; in x.a`,
      () => `let x = x; in x`,
      () => `builtins.elemAt [ 1 2 ] ${this.pick(["2", "-1", "5"])}`,
      () => `builtins.head [ ]`,
      () => `builtins.getAttr "nope" { a = 1; }`,
      () => `builtins.listToAttrs [ { name = ${bad()}; value = 1; } ]`,
      () => `builtins.concatStringsSep "," [ ${bad()} ]`,
      () => `builtins.replaceStrings [ "a" ] [ ] "abc"`,
      () => `builtins.substring (-1) 1 "abc"`,
      () => `builtins.fromJSON "{"`,
      () => `builtins.deepSeq [ (throw "inner") ] 1`,
      () => `builtins.toJSON { a = ${bad()}; }`,
      () => `1 / 0`,
      () => `9223372036854775807 + 1`,
      () => `(-9223372036854775807) - 2`,
      () => `builtins.bitAnd 1.5 2`,
    ])();
  }
}

/** `count` cases of `area` from `seed`. */
export function generateAreaCases(area: Area, seed: number, count: number): string[] {
  const g = new AreaGen(seed);
  return Array.from({ length: count }, () => g.case(area));
}
