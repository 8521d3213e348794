import { createHash } from "node:crypto";
import { compareStrings } from "./grouping/types.js";
import { compressionId, type CompressionSettings } from "./tar/index.js";

/**
 * The cache key of a layer: sha256 over its sorted store paths and compression
 * settings, so every image that needs the same group reuses the same blob.
 */
export function layerKey(storePaths: readonly string[], settings: CompressionSettings): string {
  const hash = createHash("sha256");
  hash.update(`lading-layer-v1\n${compressionId(settings)}\n`);
  for (const path of [...new Set(storePaths)].sort(compareStrings)) hash.update(`${path}\n`);
  return hash.digest("hex");
}
