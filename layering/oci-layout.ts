import { copyFile, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { canonicalJson } from "./canonical-json.js";
import { MEDIA_TYPES } from "./oci-types.js";

/** A blob for the layout: bytes in memory or a file already written (e.g. a layer). */
export type LayoutBlob = { digest: string; bytes: Buffer } | { digest: string; file: string };

/**
 * Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) whose
 * index names one manifest under `tag` (the `org.opencontainers.image.ref.name`).
 */
export async function writeOciLayout(
  dir: string,
  blobs: readonly LayoutBlob[],
  manifest: { digest: string; size: number; mediaType?: string },
  tag: string,
): Promise<void> {
  const blobDir = join(dir, "blobs", "sha256");
  await mkdir(blobDir, { recursive: true });
  for (const blob of blobs) {
    const [algorithm, hex] = blob.digest.split(":");
    if (algorithm !== "sha256" || !hex || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`bad digest '${blob.digest}'`);
    const target = join(blobDir, hex);
    const temp = `${target}.tmp`;
    if ("bytes" in blob) await writeFile(temp, blob.bytes);
    else await copyFile(blob.file, temp);
    await rename(temp, target);
  }
  await writeFile(join(dir, "oci-layout"), canonicalJson({ imageLayoutVersion: "1.0.0" }));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [
      {
        mediaType: manifest.mediaType ?? MEDIA_TYPES.ociManifest,
        digest: manifest.digest,
        size: manifest.size,
        annotations: { "org.opencontainers.image.ref.name": tag },
      },
    ],
  };
  await writeFile(join(dir, "index.json"), canonicalJson(index));
}
