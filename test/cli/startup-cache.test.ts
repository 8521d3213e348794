/**
 * The start-up path of `lading instantiate` (bin/lading → bin/instantiate.cjs): after
 * npm run build the one-file bundle runs from V8's code cache, loads none of the Node
 * built-ins an evaluation does not need, and every way the cache can be wrong (made from
 * another bundle, truncated, corrupt, made under other node flags) or missing falls back
 * to compiling, with the same output. Fallback cases run on a copy of bin/ and
 * dist/bundle/ inside dist/ (so npm packages still resolve), never on the real cache.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LADING, ROOT, run, runDist } from "./startup-run.js";

const BUNDLE = join(ROOT, "dist/bundle/instantiate.cjs");
const CACHE = join(ROOT, "dist/bundle/instantiate.v8cache");
const REPORT = { LADING_CODE_CACHE_REPORT: "1" };
const EXPR = ["--eval", "--strict", "-E", 'let f = x: { y = x + 1; s = "a${toString x}"; }; in [ (f 1) (builtins.map (x: x * 2) [ 1 2 ]) ]'];

/** What `code cache: …` line the launcher printed (LADING_CODE_CACHE_REPORT). */
const report = (stderr: string): string | undefined => /^code cache: (\w+)$/m.exec(stderr)?.[1];
const withoutReport = (stderr: string): string => stderr.replace(/^code cache: \w+\n/m, "");

test("npm run build made the instantiate bundle and a code cache V8 accepts", async () => {
  const bundle = statSync(BUNDLE, { throwIfNoEntry: false });
  assert.ok(bundle, `${BUNDLE} is missing: run npm run build (scripts/build-instantiate.mjs)`);
  assert.ok(bundle.mtimeMs >= statSync(join(ROOT, "dist/cli/main.js")).mtimeMs, "the instantiate bundle is older than the tsc output: run npm run build");
  assert.ok(statSync(CACHE, { throwIfNoEntry: false }), `${CACHE} is missing`);
  const ours = await run(LADING, ["instantiate", ...EXPR], { env: REPORT });
  assert.equal(report(ours.stderr), "accepted", ours.stderr);
  const reference = await runDist(["instantiate", ...EXPR]);
  assert.equal(ours.stdout, reference.stdout);
  assert.equal(withoutReport(ours.stderr), reference.stderr);
  // `node bin/lading` runs the same bundle without the cache: V8 checks a cache's checksum only under bin/lading's flags.
  const viaNode = await run(process.execPath, [LADING, "instantiate", ...EXPR], { env: REPORT });
  assert.equal(report(viaNode.stderr), "none", viaNode.stderr);
  assert.equal(viaNode.stdout, reference.stdout);
});

test("`--eval -E 1` loads no Node built-in it does not use", async () => {
  const dir = mkdtempSync(join(ROOT, "dist/.startup-test-"));
  try {
    const probe = join(dir, "probe.cjs");
    const list = join(dir, "modules.txt");
    writeFileSync(probe, `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));\n`);
    // --require is no V8 flag, so the code cache still applies.
    // No LADING_CODE_CACHE_REPORT: writing to process.stderr (a pipe) loads stream and net.
    const r = await run(LADING, ["instantiate", "--eval", "-E", "1"], { env: { NODE_OPTIONS: `--require ${probe}` } });
    assert.equal(r.stdout, "1\n");
    assert.equal(r.stderr, "");
    const loaded = new Set(readFileSync(list, "utf8").split("\n"));
    const unwanted = ["crypto", "stream", "net", "child_process", "zlib", "worker_threads", "readline", "os", "dgram"].filter((m) => loaded.has(`NativeModule ${m}`));
    assert.deepEqual(unwanted, [], "a module now loads these at start-up: import them lazily or read their exports only when used (scripts/build-plugins.mjs lazyBuiltins)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A private copy of the launcher and bundle, without a cache (the copy's bundle has a new mtime). */
function copyOfLauncher(): { dir: string; lading: string; bundle: string; cache: string } {
  const dir = mkdtempSync(join(ROOT, "dist/.startup-test-"));
  try {
    cpSync(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
    cpSync(join(ROOT, "dist/bundle"), join(dir, "dist/bundle"), { recursive: true });
    mkdirSync(join(dir, "dist/cli"));
    // Only the freshness mark: older than the copied bundles, as after npm run build.
    copyFileSync(join(ROOT, "dist/cli/main.js"), join(dir, "dist/cli/main.js"));
    utimesSync(join(dir, "dist/cli/main.js"), new Date(0), new Date(0));
    const cache = join(dir, "dist/bundle/instantiate.v8cache");
    rmSync(cache, { force: true });
    return { dir, lading: join(dir, "bin/lading"), bundle: join(dir, "dist/bundle/instantiate.cjs"), cache };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

test("a cache from another bundle, truncated, corrupt or from other flags is not used; output stays right", async () => {
  const copy = copyOfLauncher();
  try {
    const reference = await runDist(["instantiate", ...EXPR]);
    const check = async (label: string, expected: string, opts: { cmd?: string; args?: string[] } = {}) => {
      const r = await run(opts.cmd ?? copy.lading, [...(opts.args ?? []), "instantiate", ...EXPR], { env: REPORT });
      assert.equal(r.stdout, reference.stdout, `${label}: stdout (stderr ${r.stderr})`);
      assert.equal(withoutReport(r.stderr), reference.stderr, label);
      assert.equal(r.status, reference.status, label);
      assert.equal(report(r.stderr), expected, `${label}: ${r.stderr}`);
    };
    await check("no cache yet", "none");
    const made = await run(copy.lading, ["instantiate", "--eval", "-E", "1"], { env: { LADING_WRITE_CODE_CACHE: "1" } });
    assert.equal(made.status, 0, made.stderr);
    await check("cache made by this copy", "accepted");
    const good = readFileSync(copy.cache);

    // Other node flags (a hard `ulimit -s` below the launcher's wish gives another --stack-size).
    await check("other V8 flags", "rejected", { cmd: "sh", args: ["-c", 'ulimit -s 16384 && exec "$0" "$@"', copy.lading] });

    // Corrupt V8 data with an intact header: --verify-snapshot-checksum makes V8 reject it (not crash).
    const corrupt = Buffer.from(good);
    for (let i = corrupt.length - 1; i > corrupt.length - 200_000 && i > 0; i -= 997) corrupt[i]! ^= 0x5a;
    writeFileSync(copy.cache, corrupt);
    await check("corrupt V8 data", "rejected");

    writeFileSync(copy.cache, good.subarray(0, Math.floor(good.length / 2)));
    await check("truncated cache", "none");

    writeFileSync(copy.cache, good);
    await check("cache restored", "accepted");

    // The bundle edited after the cache was made: its own code runs, not the cached one.
    const text = readFileSync(copy.bundle, "latin1");
    writeFileSync(copy.bundle, text.replace("const __lading_bundle_url =", 'process.stderr.write("edited bundle\\n"); const __lading_bundle_url ='), "latin1");
    const edited = await run(copy.lading, ["instantiate", ...EXPR], { env: REPORT });
    assert.equal(report(edited.stderr), "none", edited.stderr);
    assert.match(edited.stderr, /^edited bundle$/m);
    assert.equal(edited.stdout, reference.stdout);

    // No bundle at all: the ES module CLI.
    unlinkSync(copy.bundle);
    const esm = await run(copy.lading, ["instantiate", ...EXPR], { env: REPORT });
    assert.equal(report(esm.stderr), undefined, esm.stderr);
    assert.equal(esm.stdout, reference.stdout);
    assert.equal(esm.stderr, reference.stderr);
  } finally {
    rmSync(copy.dir, { recursive: true, force: true });
  }
});
