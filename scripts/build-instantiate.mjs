// Builds the start-up path of `lading instantiate` (bin/lading → bin/instantiate.cjs):
//   dist/bundle/instantiate.cjs      the instantiate command as ONE CommonJS file, with Node
//                                    built-ins it does not need at start-up made lazy;
//   dist/bundle/instantiate.v8cache  V8's code cache for it, made by warm-up runs of
//                                    bin/lading (same node flags as users' runs, which V8
//                                    requires) after evaluation, so it holds the functions
//                                    that run compiled, not only the top level.
// Node 20 has no compile cache for ES modules; compiling the bundle was ~40 ms of each run.
// Runs after tsc and scripts/build-bundle.mjs (whose ES module entries the workers use).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { dist, entryPoints, lazyBuiltins, outdir, ownImportMetaUrl, root } from "./build-plugins.mjs";

const bundle = join(outdir, "instantiate.cjs");
const cache = join(outdir, "instantiate.v8cache");

// Built-ins a plain `node -e 0` has loaded already: nothing to gain from deferring them.
const EAGER = new Set(["fs", "path", "url", "module", "buffer", "events", "util", "timers", "vm", "process"]);

// A warm-up touching what most evaluations run: parsing, lambdas, scopes, attribute
// sets, lists, strings, common builtins and the strict printer.
const WARM_UP = `let
  lib = rec { id = x: x; compose = f: g: x: f (g x); sum = builtins.foldl' (a: b: a + b) 0; };
  set = builtins.listToAttrs (map (n: { name = "k\${toString n}"; value = n * 2; }) (builtins.genList (i: i) 50));
  s = builtins.concatStringsSep "," (builtins.attrNames set);
in {
  a = lib.sum (builtins.attrValues set);
  b = builtins.filter (x: x > 10) (map (lib.compose lib.id (x: x + 1)) [ 1 20 3 40 ]);
  c = builtins.stringLength s + builtins.length (builtins.split "," s);
  d = if set ? k1 && !(set ? zz) then "yes \${s}" else null;
  e = { inherit (set) k2 k3; f = x: x; g = 1.5; h = ./.; } // { i = builtins.toJSON [ 1 "x" ]; };
  f = builtins.tryEval (throw "x");
  g = builtins.match "([a-z]+)([0-9]+)" "k12";
}`;

/** A hash of the compiled parser (dist/evaluator/syntax/) and of the parse cache's own code. */
async function parserBuildId() {
  const syntax = join(dist, "evaluator", "syntax");
  const files = [...(await readdir(syntax)).filter((f) => f.endsWith(".js")).map((f) => join(syntax, f)), join(dist, "evaluator/eval/parse-cache.js"), join(dist, "evaluator/eval/parse-cache-relocate.js")];
  const hash = createHash("sha256");
  for (const f of files.sort()) hash.update(`${relative(dist, f)}\0`).update(await readFile(f)).update("\0");
  return `bundle.${hash.digest("hex").slice(0, 20)}`;
}

await rm(cache, { force: true });
const lazy = lazyBuiltins(EAGER);
const result = await build({
  stdin: {
    contents:
      'import { instantiateCommand } from "./cli/commands/instantiate.js";\n' +
      'import { runCommand } from "./cli/run-command.js";\n' +
      "/** `main` of cli/main.ts for argv = [\"instantiate\", …] only. */\n" +
      "export const main = (argv) => runCommand(async () => instantiateCommand, argv.slice(1));\n",
    resolveDir: dist,
    sourcefile: "instantiate-entry.js",
  },
  outfile: bundle,
  write: false,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  charset: "ascii", // bin/instantiate.cjs reads it as latin1 (fast, and one byte a char)
  packages: "external",
  plugins: [ownImportMetaUrl(await entryPoints(), "__lading_bundle_url"), lazy.plugin],
  // Keys the on-disk parse cache (evaluator/eval/parse-cache.ts) to this parser's code.
  define: { __LADING_PARSER_BUILD_ID__: JSON.stringify(await parserBuildId()) },
  logLevel: "warning",
});
// One function expression of CommonJS's module parameters, which bin/instantiate.cjs
// compiles as it is (with no wrapper to concatenate, the source is never copied).
await writeFile(
  bundle,
  "(function (exports, require, module, __filename, __dirname) {\n" +
    'const __lading_bundle_url = require("node:url").pathToFileURL(__filename).href;\n' +
    lazy.prelude() +
    result.outputFiles[0].text +
    "})\n",
);

const launcher = join(root, "bin/lading");
const run = (env, args, cwd = root) =>
  spawnSync(launcher, ["instantiate", ...args], { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 1 << 26 });
// The warm-up runs in one process, then the cache is written (bin/instantiate.cjs): a
// function V8 compiled during any of them is in the cache, not compiled lazily in every
// user's run (without the derivation and import runs, ~180 functions were compiled at
// run time in the 2000-package set, ~120 in nixpkgs lib's systems.nix). They cover
// imports through the parse cache (written, then read and relocated), lib-style code,
// the printers, and derivations computed and written into a store. Parse cache and store
// go to a scratch directory.
const warmUpFiles = join(root, "scripts/code-cache-warm-up");
const scratch = await mkdtemp(join(tmpdir(), "lading-warm-up-"));
try {
  const warmUps = [
    ["--eval", "--strict", "-E", WARM_UP],
    ["--eval", "--strict", "--arg", "n", "4", "default.nix"],
    ["--eval", "--strict", "--json", "--arg", "n", "3", "default.nix"],
    ["--eval", "--xml", "-A", "lists.xs", "--argstr", "greeting", "hi", "default.nix"],
    ["--readonly-mode", "pkgs.nix"],
  ];
  const env = { LADING_WRITE_CODE_CACHE: "1", LADING_CODE_CACHE_WARM_UP: JSON.stringify(warmUps), XDG_CACHE_HOME: join(scratch, "cache"), LADING_DATA_DIR: join(scratch, "data") };
  const warm = run(env, ["pkgs.nix"], warmUpFiles);
  if (warm.status !== 0) throw new Error(`warm-up run failed: ${warm.stderr}`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
const check = run({ LADING_CODE_CACHE_REPORT: "1" }, ["--eval", "-E", "1"]);
const report = /code cache: (\w+)/.exec(check.stderr)?.[1] ?? "missing";
if (report !== "accepted") process.stderr.write(`warning: V8 did not accept ${relative(root, cache)} (${report}); lading instantiate still works, compiling at start-up\n`);
const kib = async (f) => Math.round((await stat(f)).size / 1024);
process.stdout.write(`instantiate bundle: ${await kib(bundle)} KiB, code cache ${await kib(cache).catch(() => 0)} KiB (${report}) in ${relative(root, outdir)}/\n`);
