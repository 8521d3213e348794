"use strict";
/* global require, __dirname, process, Buffer */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file: no import statements before the cache is read */
// `lading instantiate` as bin/lading starts it: one CommonJS bundle compiled from V8's
// code cache (scripts/build-instantiate.mjs), which starts ~twice as fast as the ES
// module chunks (Node 20 caches no ES module compilation). Falls back to compiling the
// bundle when the cache is missing, was made from other bytes, or V8 rejects it (other
// node version or flags), and to the ES module CLI when the bundle is missing or older
// than the tsc output. The cache is only trusted if it holds a byte-identical copy of the
// bundle (V8 itself compares source lengths only), and bin/lading runs node with
// --verify-snapshot-checksum so that a corrupt cache is rejected instead of crashing.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");

const dist = path.join(__dirname, "..", "dist");
const bundle = path.join(dist, "bundle", "instantiate.cjs");
const cacheFile = path.join(dist, "bundle", "instantiate.v8cache");
const WRAP_HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const WRAP_TAIL = "\n})";

const mtime = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** `lading-v8-cache 1 <bundle bytes> <node version> <arch>`, the bundle's bytes, V8's data. */
function header(source) {
  return `lading-v8-cache 1 ${source.length} ${process.version} ${process.arch}\n`;
}

function cachedDataFor(source) {
  let data;
  try {
    data = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const head = header(source);
  const start = head.length;
  const end = start + source.length;
  if (data.length <= end || data.toString("latin1", 0, start) !== head) return undefined;
  if (!source.equals(data.subarray(start, end))) return undefined;
  return data.subarray(end);
}

/** Written by the build's warm-up run, through a temporary file so readers never see half of it. */
function writeCache(script, source) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(header(source), "latin1"), source, script.createCachedData()]));
  fs.renameSync(tmp, cacheFile);
}

function runBundle(argv) {
  const source = fs.readFileSync(bundle);
  const cachedData = process.env.LADING_NO_CODE_CACHE ? undefined : cachedDataFor(source);
  const script = new vm.Script(WRAP_HEAD + source.toString("latin1") + WRAP_TAIL, {
    filename: bundle,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (process.env.LADING_CODE_CACHE_REPORT) {
    process.stderr.write(`code cache: ${cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "accepted"}\n`);
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  return module.exports.main(argv).then((code) => {
    if (process.env.LADING_WRITE_CODE_CACHE) writeCache(script, source);
    return code;
  });
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
