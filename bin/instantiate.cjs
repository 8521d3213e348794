"use strict";
/* global require, __dirname, process, Buffer */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: an ES module entry alone costs Node's ESM loader (~5 ms, 3 MB) */
// `lading instantiate` as bin/lading starts it: one CommonJS bundle compiled from V8's
// code cache (scripts/build-instantiate.mjs): `--eval -E 1` takes ~140 ms of CPU instead
// of ~220 from the ES module chunks (Node 20 caches no ES module compilation; `node -e 0`
// alone ~100 ms, all at load 16). Falls back to compiling the
// bundle when the cache is missing, was made from another bundle file, or V8 rejects it
// (other node version or flags), and to the ES module CLI when the bundle is missing or
// older than the tsc output. V8 itself checks only the source's length, so the cache
// carries the source it was compiled from (see header()); bin/lading runs node with
// --verify-snapshot-checksum so that a corrupt cache is rejected instead of crashing.
// bin/lading started node without NODE_EXTRA_CA_CERTS (Node 20 parses it and its whole
// root store at start-up); it goes back into the environment before anything reads it.
if (process.env.LADING_SAVED_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.LADING_SAVED_NODE_EXTRA_CA_CERTS;
  delete process.env.LADING_SAVED_NODE_EXTRA_CA_CERTS;
}
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");

const dist = path.join(__dirname, "..", "dist");
const bundle = path.join(dist, "bundle", "instantiate.cjs");
const cacheFile = path.join(dist, "bundle", "instantiate.v8cache");
/**
 * Only under bin/lading's shell part: V8 checks a cache's checksum only with this flag (a
 * corrupt one would crash it), and the build made the cache under it, so V8 would
 * reject the cache anyway in a process without it (`node bin/lading instantiate`).
 */
const useCache = process.execArgv.includes("--verify-snapshot-checksum") && !process.env.LADING_NO_CODE_CACHE;

const mtime = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/**
 * The cache file: a header line naming the bundle it was made from (size and mtime: a
 * rebuild or an edit changes them) and the node that made it, then a copy of that
 * bundle's bytes, then V8's data. The copy is the source compiled, so the cached code
 * always belongs to the source it runs with; one file read gets both.
 */
function header(sourceBytes, bundleStat) {
  return `lading-v8-cache 2 ${sourceBytes} ${bundleStat.size} ${bundleStat.mtimeNs} ${process.version} ${process.arch}\n`;
}

function readCache(bundleStat) {
  let data;
  try {
    data = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const newline = data.indexOf(10);
  if (newline < 0 || newline > 200) return undefined;
  const head = data.toString("latin1", 0, newline + 1);
  const sourceBytes = Number(head.split(" ")[2]);
  const end = newline + 1 + sourceBytes;
  if (head !== header(sourceBytes, bundleStat) || !(end < data.length)) return undefined;
  return { source: data.toString("latin1", newline + 1, end), data: data.subarray(end) };
}

/** Written by the build's warm-up run, through a temporary file so readers never see half of it. */
function writeCache(script, source, bundleStat) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  const bytes = Buffer.from(source, "latin1");
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(header(bytes.length, bundleStat), "latin1"), bytes, script.createCachedData()]));
  fs.renameSync(tmp, cacheFile);
}

/** The bundle's text is one function expression of CommonJS's module parameters (see the build). */
function runBundle(argv) {
  const bundleStat = fs.statSync(bundle, { bigint: true });
  const cached = useCache ? readCache(bundleStat) : undefined;
  // latin1: the bundle is ASCII (esbuild's charset), and one byte per char is the cheapest string.
  const source = cached ? cached.source : fs.readFileSync(bundle, "latin1");
  const script = new vm.Script(source, {
    filename: bundle,
    cachedData: cached?.data,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (process.env.LADING_CODE_CACHE_REPORT) {
    process.stderr.write(`code cache: ${cached === undefined ? "none" : script.cachedDataRejected ? "rejected" : "accepted"}\n`);
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  if (!(useCache && process.env.LADING_WRITE_CODE_CACHE)) return module.exports.main(argv);
  return warmUp(module.exports.main, argv).then((code) => {
    writeCache(script, source, bundleStat);
    return code;
  });
}

/**
 * The build's cache-making run: first the commands of LADING_CODE_CACHE_WARM_UP (a JSON
 * list of `lading instantiate` argument lists), then `argv`, all in this process, so that the cache holds
 * the bytecode of every function they ran (V8 compiles a function when first called).
 * The exit code is the first failing run's.
 */
async function warmUp(main, argv) {
  const runs = [...JSON.parse(process.env.LADING_CODE_CACHE_WARM_UP || "[]").map((args) => [argv[0], ...args]), argv];
  let failed = 0;
  for (const args of runs) {
    const code = await main(args);
    if (code !== 0 && failed === 0) failed = code;
  }
  return failed;
}

/** What bin/lading's JavaScript part runs: the ES module bundle, or the tsc output when newer. */
function runModules(argv) {
  const esm = path.join(dist, "bundle", "main.js");
  const entry = mtime(esm) >= mtime(path.join(dist, "cli", "main.js")) ? esm : path.join(dist, "cli", "main.js");
  return import(pathToFileURL(entry).href).then((m) => m.main(argv));
}

const argv = process.argv.slice(2);
const fresh = mtime(bundle) >= mtime(path.join(dist, "cli", "main.js"));
(fresh ? runBundle(argv) : runModules(argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`error: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
