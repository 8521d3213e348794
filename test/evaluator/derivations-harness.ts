/**
 * Differential harness for derivations: generates package sets (random derivation
 * graphs with sources, toFile, fixed outputs, structured attributes and odd
 * strings), instantiates them with CppNix (writing the .drv files to /nix/store)
 * and in-process with Lading, and compares the printed .drv paths and the .drv
 * bytes of every derivation Lading made.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import "../../evaluator/index.js";
import { ComputingEvalStore, instantiateDrvs } from "../../evaluator/index.js";
import { encodeBase32, renderDerivation } from "../../store/index.js";
import { parseInstantiateArgs } from "../../cli/commands/instantiate.js";
import { SeededRandom } from "../helpers/random.js";
import { writeRandomTree } from "../helpers/random-tree.js";
import { runNixAsync } from "../helpers/nix.js";
import { nixString } from "./support-nix.js";

export { nixString };

export interface Outcome {
  stdout: string;
  /** First line of stderr that is not a warning. */
  error: string;
  exitCode: number;
}

/**
 * The error message of a report as one `error: …` line, whichever layout printed it:
 * CppNix 2.8's (the message first, its trace after) or current CppNix's, which ours
 * follows (a bare `error:`, the trace outermost first, then the message).
 */
export function messageLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "" && !l.startsWith("warning:"));
  if (lines[0] !== "error:") return in28Words(lines[0] ?? "");
  const last = lines.filter((l) => /^\s*error: /.test(l)).pop();
  if (last === undefined) return "error:";
  // Current CppNix names derivationStrict in a frame, 2.8 in the message.
  if (stderr.includes("in the attrset passed as argument to builtins.derivationStrict")) {
    return last.trim().replace(/^(error: attribute '.*' missing)$/, "$1 for call to 'derivationStrict'");
  }
  if (stderr.includes("while evaluating the first argument passed to builtins.filterSource")) {
    return last.trim().replace(/^error: expected a function but found (an? [^:]+): .*$/, "error: first argument in call to 'filterSource' is not a function but $1");
  }
  return in28Words(last.trim());
}

/** Current CppNix's wording of the messages whose text changed since 2.8, in 2.8's words. */
function in28Words(line: string): string {
  const typeError = /^error: expected (an? [^:]+?) but found (an? [^:]+?)(?:: .*)?$/.exec(line);
  if (typeError) return `error: value is ${typeError[2]} while ${typeError[1]} was expected`;
  return line
    .replace(/^error: (?:anonymous function at \S+|function '[^']*') called/, "error: function called")
    .replace(/^(error: cannot coerce an? [a-z ]+? to a string): .*$/, "$1")
    .replace(/^(error: unsupported argument '.*' to )'builtins.path'$/, "$1'addPath'")
    .replace(/^(error: unknown hash algorithm '.*'), expect .*$/, "$1")
    .replace(/^error: missing required 'path' attribute in the first argument to 'builtins.path'$/, "error: 'path' required");
}

/** The message line and the position it is reported at (the `at FILE:LINE:COL:` after it), if any. */
export function messageAndPosition(stderr: string): string {
  const message = messageLine(stderr);
  const lines = stderr.split("\n");
  const i = lines.findIndex((l) => l.trim() === message);
  const at = lines.slice(i + 1, i + 3).find((l) => /^\s*at .*:$/.test(l));
  return at === undefined ? message : `${message}\n${at.trim()}`;
}

const firstError = messageLine;

/** CppNix's nix-instantiate with `args` (run in `cwd`). */
export async function theirs(args: string[], cwd: string): Promise<Outcome> {
  const r = await runNixAsync("nix-instantiate", args, { cwd });
  return { stdout: r.stdout, error: firstError(r.stderr), exitCode: r.exitCode };
}

/** Lading's instantiate (no --eval) in this process; also returns the derivations it made. */
export function oursWithDrvs(args: string[], cwd: string): Outcome & { drvs: ReadonlyMap<string, import("../../store/index.js").Derivation> } {
  const store = new ComputingEvalStore();
  const opts = parseInstantiateArgs(args);
  const r = instantiateDrvs({ ...opts, cwd, nixPath: "" }, store);
  return { stdout: r.stdout, error: firstError(r.stderr), exitCode: r.exitCode, drvs: store.knownDerivations() };
}

/** .drv files (as CppNix wrote them) that differ from Lading's rendering; [] when all match. */
export function drvFileMismatches(drvs: ReadonlyMap<string, import("../../store/index.js").Derivation>): string[] {
  const bad: string[] = [];
  for (const [path, drv] of drvs) {
    let onDisk: string;
    try {
      onDisk = readFileSync(Buffer.from(path, "latin1"), "latin1");
    } catch {
      bad.push(`${path}: CppNix did not write it`);
      continue;
    }
    if (onDisk !== renderDerivation(drv)) bad.push(`${path}: contents differ`);
  }
  return bad;
}


const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=";
const ODD_STRINGS = [
  "", " ", "plain", "with space", "quote\"inside", "back\\slash", "line\nbreak", "tab\tand\rcr",
  "dollar $HOME ${", "ünïcödé", "日本語", "emoji 😀", "\u00a0nbsp", "a=b;c", "'single'", "x".repeat(300),
];
const HASH_ALGOS = ["md5", "sha1", "sha256", "sha512"] as const;
const HASH_SIZE = { md5: 16, sha1: 20, sha256: 32, sha512: 64 } as const;

export interface GenOptions {
  derivations: number;
  /** Use `drvPath` (whole-derivation) contexts; CppNix needs writing mode for them. */
  drvPathContexts: boolean;
}

/** Writes a random package set under `dir` (default.nix plus source trees); returns nothing. */
export function generatePackageSet(dir: string, seed: number, options: GenOptions): void {
  const r = new SeededRandom(seed);
  mkdirSync(dir, { recursive: true });
  const lets: string[] = [];
  // Sources: trees, a plain file, and toFile texts referring to them.
  for (let s = 0; s < 3; s++) {
    writeRandomTree(`${dir}/src${s}`, seed * 10 + s, { nodes: 15, maxFileSize: 3000, deepChain: 3 });
    writeFileSync(`${dir}/src${s}/plain.txt`, r.pick(ODD_STRINGS));
  }
  lets.push(`s0 = ./src0;`);
  lets.push(`s1 = builtins.path { path = ./src1; name = "src-one"; filter = p: t: t != "symlink" && builtins.match ".*n[0-4][0-9]*" p == null; };`);
  lets.push(`s2 = builtins.filterSource (p: t: t == "directory" || builtins.stringLength (baseNameOf p) < 4) ./src2;`);
  lets.push(`s3 = builtins.path { path = ./src0/plain.txt; recursive = false; name = "flat-file"; };`);
  lets.push(`t0 = builtins.toFile "t0.conf" ${nixString(r.pick(ODD_STRINGS))};`);
  lets.push(`t1 = builtins.toFile "t1.sh" "cat \${t0} \${s0} \${./src1}";`);
  const sources = ["s0", "s1", "s2", "s3", "t0", "t1", `"\${./src2}/plain.txt"`];

  const outputsOf: string[][] = [];
  for (let d = 0; d < options.derivations; d++) {
    const attrs: string[] = [];
    let name = r.string(NAME_CHARS, r.int(1, 30));
    if (name.endsWith(".drv")) name += "x";
    attrs.push(`name = ${nixString(name)};`);
    attrs.push(`system = ${nixString(r.pick(["x86_64-linux", "aarch64-linux", "builtin", "sys tem ü"]))};`);
    const kind = r.int(0, 9);
    let outputs = ["out"];
    if (kind <= 1) {
      // Fixed output.
      const algo = r.pick(HASH_ALGOS);
      const bytes = r.bytes(HASH_SIZE[algo]);
      const form = r.int(0, 4);
      const mode = r.pick(["flat", "recursive", null]);
      if (mode !== null) attrs.push(`outputHashMode = "${mode}";`);
      if (form === 0) attrs.push(`outputHash = "${bytes.toString("hex")}"; outputHashAlgo = "${algo}";`);
      else if (form === 1) attrs.push(`outputHash = "${encodeBase32(bytes)}"; outputHashAlgo = "${algo}";`);
      else if (form === 2) attrs.push(`outputHash = "${bytes.toString("base64")}"; outputHashAlgo = "${algo}";`);
      else if (form === 3) attrs.push(`outputHash = "${algo}-${bytes.toString("base64")}"; ${r.pick([`outputHashAlgo = "";`, "", `outputHashAlgo = "${algo}";`])}`);
      else attrs.push(`outputHash = "${algo}:${encodeBase32(bytes)}";`);
    } else if (r.int(0, 2) === 0) {
      outputs = [...new Set([r.pick(["out", "dev", "bin"]), ...["out", "dev", "lib", "man", "bin"].filter(() => r.int(0, 2) === 0)])];
      attrs.push(`outputs = [ ${outputs.map((o) => `"${o}"`).join(" ")} ];`);
    }
    outputsOf.push(outputs);
    const structured = kind >= 2 && r.int(0, 3) === 0;
    if (structured) attrs.push("__structuredAttrs = true;");
    if (r.int(0, 4) === 0) attrs.push("__ignoreNulls = true; maybe = null;");
    // Dependencies on earlier derivations, in every way a string can refer to them.
    const deps: string[] = [];
    for (let k = 0; k < r.int(0, 4) && d > 0; k++) {
      const j = r.int(0, d - 1);
      const outs = outputsOf[j]!;
      const form = r.int(0, options.drvPathContexts ? 5 : 3);
      if (form === 0) deps.push(`d${j}`);
      else if (form === 1) deps.push(`d${j}.${r.pick(outs)}`);
      else if (form === 2) deps.push(`"\${d${j}}/bin/x"`);
      else if (form === 3) deps.push(`(d${j}.${r.pick(outs)}.outPath)`);
      else if (form === 4) deps.push(`d${j}.drvPath`);
      else deps.push(`(builtins.unsafeDiscardOutputDependency d${j}.drvPath)`);
    }
    attrs.push(d > 0 && r.int(0, 1) === 0 ? `builder = "\${d${r.int(0, d - 1)}}/bin/sh";` : `builder = "/bin/sh";`);
    if (deps.length > 0) attrs.push(`deps = [ ${deps.join(" ")} ];`);
    if (deps.length > 1) attrs.push(`firstDep = ${deps[1]};`);
    if (r.int(0, 2) === 0) attrs.push(`args = [ "-c" ${nixString(r.pick(ODD_STRINGS))} ${r.pick(sources)} 42 ];`);
    for (let e = 0; e < r.int(1, 6); e++) {
      const key = r.pick(["env", "a b", "ünï", "PATH", "x-y", "_k", "passAsFile", "allowedReferences", "preferLocalBuild"]) + e;
      const value = r.pick([
        nixString(r.pick(ODD_STRINGS)),
        String(r.int(-1000000, 1000000)),
        "9223372036854775807",
        r.pick(["1.5", "0.1", "1.0e20", "-2.5e-7"]),
        r.pick(["true", "false", "null"]),
        `[ 1 "two" ${r.pick(sources)} [ ] null true ]`,
        r.pick(sources),
        structured ? `{ nested = { list = [ 1 2.5 "s" null ]; src = ${r.pick(sources)}; }; }` : nixString("x"),
      ]);
      attrs.push(`${nixString(key)} = ${value};`);
    }
    if (kind > 1 && r.int(0, 4) === 0) attrs.push(`passAsFile = [ "big" ]; big = ${nixString("x".repeat(200))};`);
    if (kind > 1 && d > 0 && r.int(0, 4) === 0) attrs.push(`allowedReferences = [ d${r.int(0, d - 1)} ]; disallowedRequisites = [ ];`);
    lets.push(`d${d} = derivation { ${attrs.join(" ")} };`);
  }
  const names = outputsOf.map((_, i) => `d${i}`);
  writeFileSync(`${dir}/default.nix`, `let\n  ${lets.join("\n  ")}\nin {\n  inherit ${names.join(" ")};\n}\n`);
}
