// esbuild plugins and helpers shared by scripts/build-bundle.mjs (the ES module chunks)
// and scripts/build-instantiate.mjs (the one-file CommonJS start-up bundle).
import { readFile, readdir } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const dist = join(root, "dist");
export const outdir = join(dist, "bundle");

const WORKER_URL = /new URL\("(\.{1,2}\/[^"]+\.js)", import\.meta\.url\)/g;

/** dist/ files of the program (not tests, benchmarks or the bundle itself). */
async function programFiles() {
  const skip = new Set(["test", "bench", "bundle"]);
  const files = await readdir(dist, { recursive: true });
  return files.filter((f) => f.endsWith(".js") && !skip.has(f.split(sep)[0])).map((f) => join(dist, f));
}

/** Flat output name of an entry (every output sits in dist/bundle/, see below). */
const entryName = (file) => relative(dist, file).replace(/\.js$/, "").split(sep).join("-");

/**
 * The ES module bundle's entries: the CLI, and every module started as a worker
 * (`new URL("./x.js", import.meta.url)`), so a worker loads a few chunks instead of the
 * whole tsc output.
 */
export async function entryPoints() {
  const entries = { main: join(dist, "cli/main.js") };
  for (const file of await programFiles()) {
    const text = await readFile(file, "utf8");
    for (const m of text.matchAll(WORKER_URL)) {
      const target = resolve(dirname(file), m[1]);
      entries[entryName(target)] = target;
    }
  }
  return entries;
}

/**
 * Inside a bundle file `import.meta.url` would be that file's URL in dist/bundle/. A
 * worker URL becomes the URL of its bundled ES module entry; any other use
 * (createRequire) the URL of the file's own tsc output. `bundleUrl` is the expression
 * for the bundle file's own URL: `import.meta.url` in an ES module, a variable the
 * banner defines in CommonJS.
 */
export function ownImportMetaUrl(entries, bundleUrl = "import.meta.url") {
  const CHUNK_URL = "__lading_chunk_import_meta_url__";
  const entryOf = new Map(Object.entries(entries).map(([name, file]) => [file, name]));
  return {
    name: "own-import-meta-url",
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        let text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta.url") || !args.path.startsWith(dist + sep)) return { contents: text, loader: "js" };
        text = text.replace(WORKER_URL, (whole, rel) => {
          const name = entryOf.get(resolve(dirname(args.path), rel));
          return name === undefined ? whole : `new URL(${JSON.stringify(`./${name}.js`)}, ${CHUNK_URL})`;
        });
        const own = relative(outdir, args.path).split(sep).join("/");
        text = text.replaceAll("import.meta.url", `new URL(${JSON.stringify(own)}, ${CHUNK_URL}).href`);
        text = text.replaceAll(CHUNK_URL, bundleUrl);
        return { contents: text, loader: "js" };
      });
    },
  };
}

/**
 * CommonJS output only: Node built-ins other than `eager` are answered by the bundle's
 * own `require` (see `prelude`) with an object whose properties require the real
 * module on first read. A static `import { Worker } from "node:worker_threads"` then
 * costs nothing until a worker is started; `lading instantiate --eval` would otherwise
 * load stream, crypto, net, child_process, zlib… at start-up (~20-40 ms) without using
 * them. Built-ins' plain functions are forwarders that load the module when called, so
 * that code reading one at load time (`const hash = crypto.hash ?? …`) loads nothing yet.
 * One object per module (not esbuild's per-importer copy of a bundled CommonJS module's
 * properties, ~3 ms for the ~2000 names involved).
 */
export function lazyBuiltins(eager) {
  const builtins = new Set(builtinModules);
  const require = createRequire(import.meta.url);
  const used = new Set();
  const plugin = {
    name: "lazy-builtins",
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, "");
        if (!builtins.has(name) || eager.has(name)) return undefined;
        used.add(`node:${name}`);
        return { path: `node:${name}`, external: true };
      });
    },
  };
  /** Code that replaces the bundle function's `require` parameter; call after the build. */
  function prelude() {
    const table = {};
    for (const id of [...used].sort()) {
      const real = require(id);
      const names = Object.getOwnPropertyNames(real).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
      const isPlainFunction = (n) => /^[a-z]/.test(n) && typeof Object.getOwnPropertyDescriptor(real, n).value === "function";
      table[id] = [names.filter((n) => !isPlainFunction(n)), names.filter(isPlainFunction)];
    }
    return `require = ((load) => {
  const LAZY = ${JSON.stringify(table)};
  const made = new Map();
  return (id) => {
    const spec = LAZY[id];
    if (spec === undefined) return load(id);
    let lazy = made.get(id);
    if (lazy === undefined) {
      let real;
      const get = () => (real ??= load(id));
      lazy = {};
      for (const name of spec[0]) Object.defineProperty(lazy, name, { enumerable: true, get: () => get()[name] });
      for (const name of spec[1]) lazy[name] = function (...args) { const m = get(); return Reflect.apply(m[name], this === lazy ? m : this, args); };
      made.set(id, lazy);
    }
    return lazy;
  };
})(require);
`;
  }
  return { plugin, prelude };
}
