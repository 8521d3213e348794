/**
 * Seeded generators of derivation programs for the derivation fuzzer
 * (derivations-fuzz.test.ts, derivations-fuzz-run.ts). Each case is one
 * self-contained `let … in …` with a small graph of derivations (chains and
 * diamonds) over generated sources: odd but legal names, many outputs, every way a
 * string can refer to another derivation (plain, output and whole-derivation
 * contexts, `appendContext`, `unsafeDiscardOutputDependency`), fixed outputs of
 * every algorithm, encoding and mode, structured attributes with nested values,
 * `__ignoreNulls`, `passAsFile`, `placeholder`, `toFile` with references, and
 * sources through `builtins.path` and `filterSource` with filters.
 *
 * Three kinds of case:
 * - "files": the value is a list of derivations, instantiated (CppNix writes the
 *   .drv files; their bytes are compared with Lading's rendering);
 * - "probes": data about derivations (the `derivation` wrapper's attributes,
 *   contexts, paths), printed with --eval --strict --json;
 * - "errors": one invalid ingredient (name, output, hash, value), compared by message.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeBase32 } from "../../store/index.js";
import { SeededRandom } from "../helpers/random.js";
import { nixString } from "./support-nix.js";

export type DrvFamily = "files" | "probes" | "errors";

/** The source files every case may name (`./src`, `./src/…`, `./data.txt`): written once per batch directory. */
export function writeDrvFixture(dir: string): void {
  mkdirSync(join(dir, "src/sub/deeper"), { recursive: true });
  mkdirSync(join(dir, "src/empty"), { recursive: true });
  writeFileSync(join(dir, "src/a.txt"), "hello\n");
  writeFileSync(join(dir, "src/b.nix"), "{ x = 1; }\n");
  writeFileSync(join(dir, "src/sub/run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(dir, "src/sub/run.sh"), 0o755);
  writeFileSync(join(dir, "src/sub/deeper/ü.txt"), "unicode name ü\n");
  writeFileSync(join(dir, "src/sub/deeper/data.bin"), Buffer.from([0, 1, 2, 255, 10, 13]));
  writeFileSync(join(dir, "src/.hidden"), "");
  symlinkSync("a.txt", join(dir, "src/link"));
  symlinkSync("../a.txt", join(dir, "src/sub/up"));
  writeFileSync(join(dir, "data.txt"), "data ü 😀\n");
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=";
const ODD_STRINGS = [
  "", " ", "plain", "with space", 'quote"inside', "back\\slash", "line\nbreak", "tab\tand\rcr", "dollar $HOME ${",
  "ünïcödé", "日本語", "emoji 😀", "\u00a0nbsp", "a=b;c", "'single'", "x".repeat(120), "\u0001\u001f\u007f", "e\u0301",
  "(parens),[brackets]", "\\n literally", "trailing\n",
];
const FLOATS = ["1.5", "0.1", "1.0e20", "-2.5e-7", "1.0", "0.0", "-0.0", "123456.789", "1.0e-5", "3.14159265358979", "1.0e300", "2.5e-300", "100.0", "0.3"];
const OUTPUT_NAMES = ["out", "dev", "bin", "lib", "man", "doc", "info", "static", "debug", "a+b", "X_1", "o=o", "q?"];
const HASH_ALGOS = ["md5", "sha1", "sha256", "sha512"] as const;
const HASH_SIZE = { md5: 16, sha1: 20, sha256: 32, sha512: 64 } as const;

interface DrvInfo {
  /** Its variable. */
  v: string;
  outputs: string[];
  fixed: boolean;
}

export class DrvFuzzGen {
  private readonly r: SeededRandom;
  private drvs: DrvInfo[] = [];
  private sources: string[] = [];

  /** `writing`: whole-derivation (`=`) contexts are allowed (CppNix reads the .drv they name from the store). */
  constructor(seed: number, private readonly writing: boolean) {
    this.r = new SeededRandom(seed);
  }

  private chance(p: number): boolean {
    return this.r.next() < p;
  }

  /** A legal store-path name: [A-Za-z0-9+-._?=], not starting with a dot, not ending in `.drv`. */
  name(max = 40): string {
    const r = this.r;
    if (this.chance(0.3)) return r.pick(["hello-2.12.1", "a", "-", "=", "?", "_", "x+y", "gcc-wrapper-12.3.0", "0", "A.B.C", "lib-.-"]);
    let s = r.string(NAME_CHARS, r.int(1, max));
    while (s.startsWith(".")) s = s.slice(1) || "x";
    if (s.endsWith(".drv")) s += "x";
    return s;
  }

  /** A fixed output: algorithm, encoding (base16, nixbase32, base64, SRI, `algo:`), mode. */
  fixedOutput(): string {
    const r = this.r;
    const algo = r.pick(HASH_ALGOS);
    const bytes = r.bytes(HASH_SIZE[algo]);
    const attrs: string[] = [];
    const mode = r.pick(["flat", "recursive", null]);
    if (mode !== null) attrs.push(`outputHashMode = "${mode}";`);
    switch (r.int(0, 5)) {
      case 0:
        attrs.push(`outputHash = "${bytes.toString("hex")}"; outputHashAlgo = "${algo}";`);
        break;
      case 1:
        attrs.push(`outputHash = "${encodeBase32(bytes)}"; outputHashAlgo = "${algo}";`);
        break;
      case 2:
        attrs.push(`outputHash = "${bytes.toString("base64")}"; outputHashAlgo = "${algo}";`);
        break;
      case 3:
        attrs.push(`outputHash = "${algo}-${bytes.toString("base64")}"; ${r.pick([`outputHashAlgo = "";`, "", `outputHashAlgo = "${algo}";`, "outputHashAlgo = null;"])}`);
        break;
      case 4:
        attrs.push(`outputHash = "${algo}:${r.pick([encodeBase32(bytes), bytes.toString("hex"), bytes.toString("base64")])}";`);
        break;
      default:
        attrs.push(`outputHash = "${bytes.toString("hex").toUpperCase()}"; outputHashAlgo = "${algo}";`);
    }
    return attrs.join(" ");
  }

  /** A reference to an earlier derivation, in one of the forms that carry context. */
  private depRef(): string {
    const r = this.r;
    const d = r.pick(this.drvs);
    const o = r.pick(d.outputs);
    const forms = [
      () => d.v,
      () => `${d.v}.${this.attr(o)}`,
      () => `"\${${d.v}}/bin/x"`,
      () => `${d.v}.${this.attr(o)}.outPath`,
      () => `"pre \${${d.v}.${this.attr(o)}} post"`,
      () => `(builtins.appendContext "ctx" { \${builtins.unsafeDiscardStringContext ${d.v}.drvPath} = { outputs = [ ${nixString(o)} ]; }; })`,
      () => `(builtins.unsafeDiscardOutputDependency ${d.v}.drvPath)`,
      () => `(toString [ ${d.v} ${d.v}.${this.attr(o)} ])`,
      () => `(builtins.concatStringsSep ":" (map (o: "\${o}/lib") ${d.v}.all))`,
      () => `(builtins.substring 0 ${r.int(0, 60)} "\${${d.v}}")`,
      () => `(builtins.replaceStrings [ "/" ] [ "|" ] "\${${d.v}}")`,
      ...(this.writing
        ? [
            () => `${d.v}.drvPath`,
            () => `(builtins.appendContext "all" { \${builtins.unsafeDiscardStringContext ${d.v}.drvPath} = { allOutputs = true; }; })`,
            () => `"\${${d.v}.drvPath}"`,
          ]
        : []),
    ];
    return r.pick(forms)();
  }

  /** `.name` or `."odd name"`. */
  private attr(name: string): string {
    return /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : nixString(name);
  }

  /** A source: a path, a filtered copy, a toFile with references. */
  private source(): string {
    const r = this.r;
    return r.pick([
      () => "./src",
      () => "./src/a.txt",
      () => "./data.txt",
      () => "./src/sub",
      () => `"\${./src}/a.txt"`,
      () => `"\${./src/sub/deeper}"`,
      () => `(builtins.path { path = ./src; name = ${nixString(this.name(20))}; })`,
      () => `(builtins.path { path = ./src; filter = p: t: ${this.filter()}; })`,
      () => `(builtins.path { path = ./src/sub; name = "sub-${r.int(0, 9)}"; recursive = true; filter = p: t: ${this.filter()}; })`,
      () => `(builtins.path { path = ./data.txt; recursive = false; })`,
      () => `(builtins.path { path = ./src/a.txt; recursive = ${r.pick(["true", "false"])}; name = "a-file"; })`,
      () => `(builtins.filterSource (p: t: ${this.filter()}) ./src)`,
      () => `(builtins.toFile ${nixString(this.name(15))} ${nixString(r.pick(ODD_STRINGS))})`,
      () => `(builtins.toFile "refs" "\${./src} and \${./data.txt} \${builtins.toFile "inner" "x"}")`,
      ...this.sources.map((s) => () => s),
    ])();
  }

  private filter(): string {
    return this.r.pick([
      't != "symlink"',
      'baseNameOf p != "sub"',
      't == "directory" || builtins.match ".*txt" p != null',
      "builtins.stringLength (baseNameOf p) < 5",
      "true",
      "false",
      't == "regular"',
      '!(builtins.match ".*/\\\\.[^/]*" p != null)',
    ]);
  }

  /** A value for an environment attribute (`structured`: may nest sets). */
  private envValue(structured: boolean, depth: number, outputs: string[]): string {
    const r = this.r;
    const scalar = [
      () => nixString(r.pick(ODD_STRINGS)),
      () => String(r.int(-1000000, 1000000)),
      () => r.pick(["9223372036854775807", "-9223372036854775807", "0"]),
      () => r.pick(FLOATS),
      () => r.pick(["true", "false", "null"]),
      () => this.source(),
      () => `(builtins.placeholder ${nixString(r.pick(outputs))})`,
      () => `"\${builtins.placeholder ${nixString(r.pick([...outputs, "other"]))}}/share"`,
      ...(this.drvs.length > 0 ? [() => this.depRef(), () => this.depRef()] : []),
    ];
    if (depth > 0 && this.chance(0.25)) {
      return `[ ${Array.from({ length: r.int(0, 4) }, () => this.envValue(structured, depth - 1, outputs)).join(" ")} ]`;
    }
    if (structured && depth > 0 && this.chance(0.25)) {
      const keys = [...new Set(Array.from({ length: r.int(0, 4) }, () => r.pick(["a", "b", "nested", "ü", "with space", "", "outPath2", "x.y"])))];
      return `{ ${keys.map((k) => `${nixString(k)} = ${this.envValue(structured, depth - 1, outputs)};`).join(" ")} }`;
    }
    if (!structured && this.chance(0.05)) return r.pick(['{ __toString = self: "ts"; }', '{ outPath = "op"; }', '{ outPath = ./data.txt; }']);
    // A negative literal is not a list element on its own.
    const v = r.pick(scalar)();
    return v.startsWith("-") ? `(${v})` : v;
  }

  /** One derivation's attribute set, given the derivations before it. */
  private derivationAttrs(): { attrs: string[]; outputs: string[]; fixed: boolean } {
    const r = this.r;
    const attrs: string[] = [];
    attrs.push(`name = ${nixString(this.name())};`);
    attrs.push(`system = ${nixString(r.pick(["x86_64-linux", "aarch64-linux", "builtin", "sys tem ü", "i686-linux"]))};`);
    const fixed = this.chance(0.2);
    let outputs = ["out"];
    if (fixed) attrs.push(this.fixedOutput());
    else if (this.chance(0.5)) {
      outputs = [...new Set(Array.from({ length: r.int(1, 7) }, () => r.pick(OUTPUT_NAMES)))];
      attrs.push(`outputs = [ ${outputs.map((o) => nixString(o)).join(" ")} ];`);
    } else if (this.chance(0.2)) {
      attrs.push(`outputs = [ "out" ];`);
    }
    const structured = this.chance(0.3);
    if (structured) attrs.push("__structuredAttrs = true;");
    else if (this.chance(0.05)) attrs.push("__structuredAttrs = false;");
    if (this.chance(0.2)) attrs.push(`__ignoreNulls = ${r.pick(["true", "false"])}; maybe = null; "null list" = [ null ];`);
    // With structured attributes, builder and args must be strings (a path is an error there).
    const builder =
      this.drvs.length > 0 && this.chance(0.4)
        ? `"\${${r.pick(this.drvs).v}}/bin/sh"`
        : r.pick([`"/bin/sh"`, `"builtin:fetchurl"`, structured ? `"/bin/bash"` : "./src/sub/run.sh", `"\${./src/sub/run.sh}"`]);
    attrs.push(`builder = ${builder};`);
    const arg = (): string => (structured ? `"\${${this.source()}}"` : this.envValue(false, 0, outputs));
    if (this.chance(0.5)) attrs.push(`args = [ ${Array.from({ length: r.int(0, 4) }, arg).join(" ")} ];`);
    const used = new Set(["name", "system", "builder", "args", "outputs", "maybe", "null list"]);
    for (let e = 0, n = r.int(0, 7); e < n; e++) {
      const key = r.pick(["env", "a b", "ünï", "PATH", "x-y", "_k", "src", "buildInputs", "preferLocalBuild", "allowSubstitutes", "impureEnvVars", "", "=", "1"]) + (this.chance(0.5) ? "" : String(e));
      if (used.has(key)) continue;
      used.add(key);
      attrs.push(`${nixString(key)} = ${this.envValue(structured, 2, outputs)};`);
    }
    if (this.drvs.length > 0 && this.chance(0.6)) {
      attrs.push(`deps = [ ${Array.from({ length: r.int(1, 5) }, () => this.depRef()).join(" ")} ];`);
    }
    if (this.chance(0.2)) {
      const names = [...new Set(Array.from({ length: r.int(0, 3) }, () => r.pick(["big", "other", "missing", "a b"])))];
      attrs.push(`passAsFile = [ ${names.map((n) => nixString(n)).join(" ")} ];`);
      for (const n of names) if (n !== "missing" && !used.has(n)) attrs.push(`${nixString(n)} = ${nixString(r.pick(ODD_STRINGS).repeat(r.int(1, 3)))};`);
    }
    if (this.drvs.length > 0 && this.chance(0.2)) {
      const d = r.pick(this.drvs);
      attrs.push(`${r.pick(["allowedReferences", "allowedRequisites", "disallowedReferences", "disallowedRequisites"])} = [ ${d.v} ${nixString(r.pick(outputs))} ];`);
    }
    return { attrs, outputs, fixed };
  }

  /** The `let` bindings of a graph of `n` derivations; `drvs` lists them. */
  private graph(n: number): string[] {
    this.drvs = [];
    this.sources = [];
    const lets: string[] = [];
    for (let s = 0, k = this.r.int(0, 2); s < k; s++) {
      lets.push(`s${s} = ${this.source()};`);
      this.sources.push(`s${s}`);
    }
    const wrap = this.chance(0.15);
    if (wrap) lets.push(`mk = attrs: derivation ({ system = "x86_64-linux"; builder = "/bin/sh"; } // attrs);`);
    const chain = this.chance(0.1);
    for (let i = 0; i < n; i++) {
      const { attrs, outputs, fixed } = this.derivationAttrs();
      if (chain && i > 0) attrs.push(`prev = d${i - 1};`);
      const call = wrap ? `mk { ${attrs.join(" ")} }` : `derivation { ${attrs.join(" ")} }`;
      lets.push(`d${i} = ${call};`);
      this.drvs.push({ v: `d${i}`, outputs, fixed });
    }
    return lets;
  }

  /** Derivations to instantiate (their .drv files are compared). */
  filesCase(): string {
    const lets = this.graph(this.r.int(1, this.chance(0.1) ? 25 : 6));
    const tops = this.drvs.filter(() => this.chance(0.5)).map((d) => (this.chance(0.3) ? `${d.v}.${this.attr(this.r.pick(d.outputs))}` : d.v));
    tops.push(this.drvs[this.drvs.length - 1]!.v);
    return `let\n  ${lets.join("\n  ")}\nin [ ${tops.join(" ")} ]`;
  }

  /** Data about derivations, for --eval --strict --json. */
  probesCase(): string {
    const lets = this.graph(this.r.int(1, 4));
    const r = this.r;
    const d = r.pick(this.drvs);
    const o = r.pick(d.outputs);
    const probes = [
      `[ ${d.v}.drvPath ${d.v}.outPath ${d.v}.name ${d.v}.type ${d.v}.outputName ${d.v}.system ]`,
      `builtins.attrNames ${d.v}`,
      `builtins.attrNames ${d.v}.drvAttrs`,
      `map (o: [ ${d.v}.\${o}.outPath ${d.v}.\${o}.drvPath ${d.v}.\${o}.outputName ]) ${d.v}.outputs`,
      `map (x: x.outputName) ${d.v}.all`,
      `${d.v}.${this.attr(o)}.outPath`,
      `builtins.getContext "\${${d.v}}"`,
      `builtins.getContext ${d.v}.drvPath`,
      `builtins.getContext "\${${d.v}.${this.attr(o)}}\${${d.v}.drvPath}"`,
      `builtins.getContext (builtins.unsafeDiscardOutputDependency ${d.v}.drvPath)`,
      `builtins.getContext (builtins.appendContext "x" { \${builtins.unsafeDiscardStringContext ${d.v}.drvPath} = { outputs = [ ${nixString(o)} ]; allOutputs = ${r.pick(["true", "false"])}; }; })`,
      `builtins.getContext (builtins.appendContext "\${${d.v}}" { \${builtins.unsafeDiscardStringContext ${d.v}.drvPath} = { path = true; }; })`,
      `builtins.hasContext (builtins.unsafeDiscardStringContext "\${${d.v}}")`,
      `[ (${d.v} == ${d.v}) (${d.v}.${this.attr(o)}.outPath == ${d.v}.outPath) (toString ${d.v} == ${d.v}.outPath) (builtins.isAttrs ${d.v}.drvAttrs) ]`,
      `builtins.toJSON ${d.v}`,
      `builtins.derivationStrict ${d.v}.drvAttrs`,
      `builtins.attrNames (builtins.derivationStrict ${d.v}.drvAttrs)`,
      `builtins.toJSON (map builtins.getContext [ "\${${d.v}}" ${d.v}.drvPath ])`,
      `builtins.parseDrvName ${d.v}.name`,
      `(${d.v}.overrideAttrs or (x: x)) 1`,
      `builtins.getContext ${this.source()}`,
      `${this.source()}`,
      `builtins.stringLength ${d.v}.drvPath`,
      `builtins.placeholder ${nixString(o)}`,
      `builtins.unsafeDiscardStringContext (toString ${d.v}.all)`,
    ];
    return `let\n  ${lets.join("\n  ")}\nin ${r.pick(probes)}`;
  }

  /** A derivation with one invalid ingredient; its `drvPath` is forced. */
  errorsCase(): string {
    const lets = this.graph(this.r.int(0, 2));
    const r = this.r;
    const bad = r.pick([
      () => `name = ${nixString(r.pick(["a b", "x/y", "", ".hidden", "a.drv", "n".repeat(r.int(208, 215)), "ü", "a\nb", "..", "."]))};`,
      () => `outputs = ${r.pick(['[ "out" "out" ]', "[ ]", '[ "drv" ]', '[ "a b" ]', '"out"', '[ "" ]', '[ "out" "dev" "dev" ]', "[ 1 ]", '[ ".x" ]', '[ "ü" ]'])};`,
      () => `outputs = [ "${"o".repeat(r.int(200, 215))}" ];`,
      () => `outputHash = ${nixString(r.pick(["sha256-tooshort", "abc", "", "sha256:", "foo:abc", "sha257-AAAA", "SHA256-47DEQpj8HBSa+/TjIW5pzYg8OzZ0s9hGmIMQWZJrPmk="]))}; ${r.pick(['outputHashAlgo = "sha256";', "", 'outputHashAlgo = "md5";', 'outputHashAlgo = "sha";'])}`,
      () => `outputHash = "sha256-47DEQpj8HBSa+/TjIW5pzYg8OzZ0s9hGmIMQWZJrPmk="; ${r.pick(['outputHashMode = "weird";', 'outputs = [ "out" "dev" ];', 'outputHashAlgo = "sha1";', 'outputHashMode = "text";', "outputHashMode = 1;"])}`,
      () => `outputHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85${r.pick(["", "g", "55"])}"; outputHashAlgo = "${r.pick(HASH_ALGOS)}";`,
      () => `outputHash = "${encodeBase32(r.bytes(32)).slice(1)}"; outputHashAlgo = "sha256";`,
      () => `${nixString(r.pick(["env", "x"]))} = ${r.pick(["x: x", "{ a = 1; }", "[ (x: x) ]", "[ { } ]", 'builtins.toFile "t" "${derivation { name = "i"; system = "s"; builder = "b"; }}"'])};`,
      () => `system = ${r.pick(["1", "null", "[ ]", "true"])};`,
      () => `builder = ${r.pick(["null", "1", "{ }"])};`,
      () => `args = ${r.pick(['"x"', "1", "[ { } ]", "[ (x: x) ]"])};`,
      () => `__ignoreNulls = ${r.pick(["1", '"yes"'])};`,
      () => `__structuredAttrs = true; ${r.pick(['outputs = "out";', "f = x: x;", "l = [ (x: x) ];", 'outputs = [ "out" "out" ];'])}`,
      () => `passAsFile = ${r.pick(['"big"', "[ 1 ]", "1"])};`,
      () => `src = builtins.path { path = ./src; ${r.pick(["sha256 = \"0000000000000000000000000000000000000000000000000000\";", "foo = 1;", 'name = "a b";', "filter = 1;", 'filter = p: t: "x";', "recursive = 1;"])} };`,
      () => `src = builtins.path { name = "x"; };`,
      () => `src = builtins.filterSource ${r.pick(["(p: t: 1)", "1", "(p: throw \"filtered\")"])} ./src;`,
      () => `src = builtins.toFile ${r.pick(['"a b"', '"a/b"', '""', "1"])} "x";`,
      () => `src = ${r.pick(["./does-not-exist", '"${./does-not-exist}"', "/nonexistent-drv-fuzz"])};`,
      () => `dep = builtins.appendContext "x" { ${r.pick(['"/tmp/x" = { path = true; };', '"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x" = { outputs = [ "out" ]; };', '"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.drv" = { foo = 1; };'])} };`,
      () => `placeholderBad = builtins.placeholder ${r.pick(["1", "null"])};`,
    ])();
    const base = ['name = "ok";', 'system = "x86_64-linux";', 'builder = "/bin/sh";'];
    const key = (a: string): string => /^"?([\w ]+)"? =/.exec(a)?.[1] ?? a;
    const badKeys = new Set(bad.split(";").map((p) => key(p.trim())));
    const attrs = [...base.filter((a) => !badKeys.has(key(a))), bad];
    if (this.drvs.length > 0 && this.chance(0.5)) attrs.push(`dep2 = ${this.depRef()};`);
    return `let\n  ${lets.join("\n  ")}\nin (derivation { ${attrs.join(" ")} }).drvPath`;
  }
}

/** `count` cases of `family` from `seed`. */
export function generateDrvCases(family: DrvFamily, seed: number, count: number): string[] {
  const g = new DrvFuzzGen(seed, family === "files");
  return Array.from({ length: count }, () => (family === "files" ? g.filesCase() : family === "probes" ? g.probesCase() : g.errorsCase()));
}
