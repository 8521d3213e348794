import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import type { Writable } from "node:stream";
import { compressLayer, DEFAULT_COMPRESSION, type CompressionSettings, type LayerDigests } from "./compress.js";
import { storePathEntries, type StoreTreeSource, type TarEntry } from "./entries.js";
import { tarChunks } from "./writer.js";

/**
 * Writes the compressed layer of `storePaths` (read from `storeRoot`, a directory or
 * a source such as the castore) to `out` and
 * returns its digests; `out` is not ended.
 */
export function writeStorePathsLayer(
  storeRoot: string | StoreTreeSource,
  storePaths: readonly string[],
  out: Writable,
  settings: CompressionSettings = DEFAULT_COMPRESSION,
): Promise<LayerDigests> {
  return compressLayer(tarChunks(storePathEntries(storeRoot, storePaths)), out, settings);
}

/** Writes a compressed layer of arbitrary entries (in the given order) to `out`. */
export function writeEntriesLayer(
  entries: AsyncIterable<TarEntry> | Iterable<TarEntry>,
  out: Writable,
  settings: CompressionSettings = DEFAULT_COMPRESSION,
): Promise<LayerDigests> {
  return compressLayer(tarChunks(entries), out, settings);
}

/** Runs a layer writer against a new file at `path`, closing it afterwards. */
export async function writeLayerFile(path: string, write: (out: Writable) => Promise<LayerDigests>): Promise<LayerDigests> {
  const out = createWriteStream(path);
  try {
    const digests = await write(out);
    out.end();
    await finished(out);
    return digests;
  } catch (error) {
    out.destroy();
    throw error;
  }
}
