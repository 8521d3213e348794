// Bundles the compiled CLI (dist/, from tsc) into a few ES modules in dist/bundle/ that
// bin/lading loads: one file per command chunk instead of ~100 modules, which cuts
// `lading instantiate` start-up. Runs after tsc (`npm run build`); bin/lading falls
// back to dist/cli/main.js when the bundle is older than it (tsc ran since).
import { build } from "esbuild";
import { rm, utimes } from "node:fs/promises";
import { join, relative } from "node:path";
import process from "node:process";
import { entryPoints, outdir, ownImportMetaUrl, root } from "./build-plugins.mjs";

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
