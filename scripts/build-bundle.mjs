// Bundles the compiled CLI (dist/, from tsc) into a few ES modules in dist/bundle/ that
// bin/lading loads: one file per command chunk instead of ~100 modules, which cuts
// `lading instantiate` start-up. Runs after tsc (`npm run build`); bin/lading falls
// back to dist/cli/main.js when the bundle is older than it (tsc ran since).
import { build } from "esbuild";
import { readFile, readdir, rm, utimes } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const outdir = join(dist, "bundle");

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
 * Modules started as workers (`new URL("./x.js", import.meta.url)`) become entries too,
 * so a worker loads a few chunks instead of the whole tsc output.
 */
async function entryPoints() {
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
 * Inside a chunk `import.meta.url` is the chunk's URL in dist/bundle/. A worker URL
 * becomes the URL of its bundled entry; any other use (createRequire) the URL of the
 * file's own tsc output.
 */
function ownImportMetaUrl(entries) {
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
        text = text.replaceAll("import.meta.url", `new URL(${JSON.stringify(own)}, import.meta.url).href`);
        text = text.replaceAll(CHUNK_URL, "import.meta.url");
        return { contents: text, loader: "js" };
      });
    },
  };
}

await rm(outdir, { recursive: true, force: true });
const entries = await entryPoints();
const result = await build({
  entryPoints: entries,
  outdir,
  // All outputs in one folder, so that a chunk's import.meta.url has one meaning.
  entryNames: "[name]",
  chunkNames: "chunk-[hash]",
  bundle: true,
  // Chunks per command: `instantiate` does not parse the registry's code, and npm
  // packages (fastify, aws-sdk, ioredis) stay imports that only their commands reach.
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  plugins: [ownImportMetaUrl(entries)],
  logLevel: "warning",
  metafile: true,
});
// The freshness mark bin/lading compares with dist/cli/main.js.
const now = new Date();
await utimes(join(outdir, "main.js"), now, now);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stdout.write(`bundle: ${Object.keys(result.metafile.outputs).length} files, ${Math.round(bytes / 1024)} KiB in ${relative(root, outdir)}/\n`);
