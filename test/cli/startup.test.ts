/**
 * bin/lading as users run it: the esbuild bundle (npm run build) must behave exactly
 * like the tsc output it is made from, and the launcher's raised stack must let deep
 * recursion finish on the main thread, with the worker fallback still there when the
 * stack cannot be raised.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mapPool, nixSkipReason } from "../helpers/nix.js";
import { DIST_MAIN, LADING, ROOT, run, runDist } from "./startup-run.js";

const BUNDLE_MAIN = join(ROOT, "dist/bundle/main.js");

const sum = (n: number) => `let sum = n: if n == 0 then 0 else n + sum (n - 1); in sum ${n}`;
/**
 * The deep cases nest beyond current CppNix's default max-call-depth (10000, see
 * test/evaluator/eval-call-depth.test.ts): a limit the JS stack reaches first keeps
 * them testing the stack.
 */
const DEEP = ["--max-call-depth", "1000000"];
/** A `{ head; tail; }` list nested `n` deep, built without recursion. */
const nested = (n: number) => `builtins.foldl' (tail: head: { inherit head tail; }) null (builtins.genList (x: x) ${n})`;

test("npm run build left a bundle newer than the tsc output", () => {
  const bundle = statSync(BUNDLE_MAIN, { throwIfNoEntry: false });
  assert.ok(bundle, `${BUNDLE_MAIN} is missing: run npm run build (tsc, then scripts/build-bundle.mjs)`);
  assert.ok(
    bundle.mtimeMs >= statSync(DIST_MAIN).mtimeMs,
    "dist/bundle is older than dist/cli/main.js (tsc ran since): run npm run build, else bin/lading runs the slower tsc output",
  );
});

test("the bundle prints exactly what the tsc output prints", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-startup-"));
  try {
    writeFileSync(join(dir, "default.nix"), '{ n ? 2, s ? "x" }: { a = import ./lib.nix n; inherit s; f = x: x; p = ./lib.nix; }\n');
    writeFileSync(join(dir, "lib.nix"), "n: builtins.genList (i: i * n) 4\n");
    const cases: string[][] = [
      ["--eval", "-E", "1 + 2"],
      ["--eval", "--strict", "-E", '{ a = "é\\n\\${x}"; b = [ 1 2.5 null true ]; c = { d = x: x; }; }'],
      ["--eval", "--strict", "--json", "-E", "{ b = [ 1 2.5 ]; a = \"s\"; }"],
      ["--eval", "--strict", "--xml", "-E", "{ a = [ 1 \"x\" ]; }"],
      ["--eval", "--strict", "default.nix"],
      ["--eval", "--strict", "--arg", "n", "3", "--argstr", "s", "y", "-A", "a", "default.nix"],
      ["--eval", "-A", "f", "default.nix"],
      ["--eval", "--strict", "-E", "let a = { x = 1; }; in [ a a ]"],
      ["--eval", "--strict", "-E", 'builtins.trace "t" (builtins.map (x: x * x) [ 1 2 3 ])'],
      ["--eval", "--strict", "-E", 'throw "bye"'],
      ["--eval", "--strict", "--show-trace", "-E", "let f = x: x.a; in f { b = 1; }"],
      ["--eval", "--strict", "-E", "{"],
      ["--eval", "--strict", "-E", "let x = x; in x"],
      ["--parse", "-E", "let a = 1; in a + 2"],
      ["--eval", "--strict", "-E", sum(3000)],
      ["--readonly-mode", "-E", 'derivation { name = "x"; system = "x86_64-linux"; builder = "/bin/sh"; }'],
      ["--eval", "--strict", "-E", "builtins.unknownBuiltin"],
      ["--bogus-flag"],
    ];
    const env = { LADING_DATA_DIR: join(dir, "data") };
    await mapPool(cases, 2, async (args) => {
      const [ours, reference] = await Promise.all([run(LADING, ["instantiate", ...args], { cwd: dir, env }), runDist(["instantiate", ...args], { cwd: dir, env })]);
      const label = args.join(" ");
      assert.equal(ours.stdout, reference.stdout, `${label}: stdout`);
      assert.equal(ours.stderr, reference.stderr, `${label}: stderr`);
      assert.equal(ours.status, reference.status, `${label}: exit status`);
    });
    // Commands other than instantiate go through the same bundle.
    const [help, helpDist] = await Promise.all([run(LADING, ["--help"]), runDist(["--help"])]);
    assert.deepEqual(help, helpDist);
    const hash = await run(LADING, ["store", "hash", join(dir, "lib.nix")]);
    assert.deepEqual(hash, await runDist(["store", "hash", join(dir, "lib.nix")]));
    assert.equal(hash.status, 0, hash.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("deep recursion finishes on the main thread under bin/lading", async () => {
  // LADING_EVAL_IN_MAIN forbids the worker re-run: only the launcher's stack can do this.
  const env = { LADING_EVAL_IN_MAIN: "1" };
  const deep = await run(LADING, ["instantiate", ...DEEP, "--eval", "-E", sum(100_000)], { env });
  assert.equal(deep.stderr, "");
  assert.equal(deep.stdout, "5000050000\n");
  const walk = await run(LADING, ["instantiate", ...DEEP, "--eval", "--strict", "-E", `let l = ${nested(100_000)}; in builtins.deepSeq l l.head`], { env });
  assert.equal(walk.stdout, "99999\n", walk.stderr);
  // The same evaluation without the launcher overflows V8's default stack.
  const plain = await runDist(["instantiate", ...DEEP, "--eval", "-E", sum(100_000)], { env });
  assert.equal(plain.status, 1);
  assert.match(plain.stderr, /^error: stack overflow/);
});

test("`node bin/lading` and a low hard stack limit fall back to the big-stack worker", async () => {
  const viaNode = await run(process.execPath, [LADING, "instantiate", ...DEEP, "--eval", "-E", sum(50_000)]);
  assert.equal(viaNode.stdout, "1250025000\n", viaNode.stderr);
  // dash/bash `ulimit -s N` sets the soft and the hard limit.
  const lowHard = await run("sh", ["-c", 'ulimit -s 8192 && exec "$0" "$@"', LADING, "instantiate", ...DEEP, "--eval", "-E", sum(50_000)]);
  assert.equal(lowHard.stdout, "1250025000\n", lowHard.stderr);
  const tiny = await run("sh", ["-c", 'ulimit -s 1024 && exec "$0" "$@"', LADING, "instantiate", "--eval", "-E", "[ 1 2 ]"]);
  assert.equal(tiny.stdout, "[ 1 2 ]\n", tiny.stderr);
});

test("deep recursion and stack overflows match nix-instantiate", { skip: nixSkipReason() }, async () => {
  const cases: string[][] = [
    ["--eval", "-E", sum(50_000)],
    ["--eval", "--strict", "-E", `builtins.stringLength (builtins.toJSON (${nested(2000)}))`],
    ["--eval", "--strict", "-E", `let l = ${nested(100_000)}; in builtins.deepSeq l l.head`],
    // An endless recursion still ends in CppNix's stack overflow error, and in bounded time.
    ["--eval", "-E", "let f = x: 1 + f x; in f 0"],
  ];
  for (const args of cases) {
    const started = Date.now();
    const [ours, theirs] = await Promise.all([run(LADING, ["instantiate", ...DEEP, ...args]), run("nix-instantiate", args)]);
    const label = args.join(" ").slice(0, 120);
    assert.equal(ours.status, theirs.status, `${label}: exit status (stderr: ${ours.stderr.slice(0, 300)})`);
    assert.equal(ours.stdout, theirs.stdout, label);
    assert.equal(ours.stderr.split("\n")[0], theirs.stderr.split("\n")[0], label);
    assert.ok(Date.now() - started < 30_000, `${label}: took ${Date.now() - started} ms`);
  }
  // CppNix 2.8 has no max-call-depth; at current CppNix's default the endless recursion
  // ends in its message instead (upstream eval-fail-*-stack-overflow), at the call site.
  const withFlag = await run(LADING, ["instantiate", "--eval", "--max-call-depth", "10000", "-E", "let f = x: 1 + f x; in f 0"]);
  assert.equal(withFlag.status, 1);
  assert.match(withFlag.stderr, /\n {7}error: stack overflow; max-call-depth exceeded\n {7}at \S*string\S*:1:16:\n/);
});

test("without --eval, evaluation runs on the main thread and again in the big-stack worker only when its stack runs out", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-drv-fallback-"));
  try {
    // Deep enough for V8's default stack (`node bin/lading` raises nothing), not for the worker's.
    const program = `builtins.trace "tracing" (derivation { name = "deep-\${toString (${sum(50_000)})}"; system = "x86_64-linux"; builder = "/bin/sh"; })`;
    const args = ["instantiate", ...DEEP, "-E", program];
    const viaNode = (extra: string[], env: Record<string, string>) => run(process.execPath, [LADING, ...args, ...extra], { env });
    const overflow = await viaNode(["--readonly-mode"], { LADING_EVAL_IN_MAIN: "1" });
    assert.equal(overflow.status, 1);
    assert.match(overflow.stderr, /error: stack overflow/);
    const inWorker = await viaNode(["--readonly-mode"], { LADING_EVAL_IN_WORKER: "1" });
    assert.equal(inWorker.status, 0, inWorker.stderr);
    assert.match(inWorker.stdout, /^\/nix\/store\/[0-9a-z]{32}-deep-1250025000\.drv\n$/);
    // The main thread's attempt overflows; its trace line is dropped, the worker's printed once.
    const fallback = await viaNode(["--readonly-mode"], {});
    assert.deepEqual(fallback, inWorker);
    assert.equal(fallback.stderr.split("trace: tracing").length, 2, fallback.stderr);
    // Writing into the store: the worker stages again from an empty directory.
    const written = await viaNode([], { LADING_DATA_DIR: join(dir, "data") });
    assert.equal(written.status, 0, written.stderr);
    assert.equal(written.stdout, inWorker.stdout);
    assert.equal(written.stderr.split("trace: tracing").length, 2, written.stderr);
    const drv = written.stdout.trim().slice("/nix/store/".length);
    assert.ok(statSync(join(dir, "data/store/nix/store", drv), { throwIfNoEntry: false }), `${drv} was not written`);
    // bin/lading's raised stack is enough: no worker, the same output.
    const launched = await run(LADING, [...args, "--readonly-mode"], { env: { LADING_EVAL_IN_MAIN: "1" } });
    assert.deepEqual(launched, inWorker);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("node starts without NODE_EXTRA_CA_CERTS (Node 20 parses it at start-up); Nix code and children see it unchanged", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-ca-"));
  try {
    const probe = join(dir, "probe.cjs");
    const seen = join(dir, "seen.json");
    // --require runs after node's start-up, before bin/instantiate.cjs.
    writeFileSync(probe, `require("fs").writeFileSync(${JSON.stringify(seen)}, JSON.stringify([process.env.NODE_EXTRA_CA_CERTS ?? null]));\n`);
    const expr = ["instantiate", "--eval", "-E", 'builtins.getEnv "NODE_EXTRA_CA_CERTS" + "|" + builtins.getEnv "LADING_SAVED_NODE_EXTRA_CA_CERTS"'];
    const certs = join(dir, "no such certs.pem");
    const r = await run(LADING, expr, { env: { NODE_EXTRA_CA_CERTS: certs, NODE_OPTIONS: `--require ${probe}` } });
    assert.equal(r.stdout, `"${certs}|"\n`, r.stderr);
    assert.equal(r.stderr, "", "node did not try to load the (missing) file");
    assert.deepEqual(JSON.parse(readFileSync(seen, "utf8")), [null]);
    // Set but empty stays set but empty; unset stays unset.
    const empty = await run(LADING, ["instantiate", "--eval", "-E", 'builtins.getEnv "NODE_EXTRA_CA_CERTS"'], { env: { NODE_EXTRA_CA_CERTS: "" } });
    assert.equal(empty.stdout, '""\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
