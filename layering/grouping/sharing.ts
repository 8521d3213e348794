import { compareStrings } from "./types.js";

/** Bytes several images' layers hold, for comparing grouping strategies. */
export interface SharingReport {
  images: number;
  /** Distinct layers (by their sorted path set) over all images. */
  distinctLayers: number;
  /** What the images weigh separately: the sum of every image's layer sizes. */
  totalBytes: number;
  /** What a registry or client stores when identical layers are kept once. */
  storedBytes: number;
  /** The ideal: every distinct store path once. */
  uniquePathBytes: number;
  /** `totalBytes - storedBytes`: saved because images share whole layers. */
  sharedBytes: number;
  /** `storedBytes - uniquePathBytes`: paths stored again inside different layers. */
  duplicatedBytes: number;
}

/**
 * Measures how well a grouping shares: each image is a list of layers (path sets);
 * sizes are the paths' NAR sizes.
 */
export function measureSharing(
  images: ReadonlyArray<ReadonlyArray<{ paths: readonly string[] }>>,
  narSize: ReadonlyMap<string, number>,
): SharingReport {
  const sizeOf = (path: string): number => {
    const size = narSize.get(path);
    if (size === undefined) throw new Error(`no size for store path '${path}'`);
    return size;
  };
  const layerSizes = new Map<string, number>();
  const paths = new Set<string>();
  let totalBytes = 0;
  for (const image of images) {
    for (const layer of image) {
      const id = [...layer.paths].sort(compareStrings).join("\n");
      let size = layerSizes.get(id);
      if (size === undefined) {
        size = layer.paths.reduce((sum, path) => sum + sizeOf(path), 0);
        layerSizes.set(id, size);
      }
      totalBytes += size;
      for (const path of layer.paths) paths.add(path);
    }
  }
  const storedBytes = [...layerSizes.values()].reduce((a, b) => a + b, 0);
  const uniquePathBytes = [...paths].reduce((sum, path) => sum + sizeOf(path), 0);
  return {
    images: images.length,
    distinctLayers: layerSizes.size,
    totalBytes,
    storedBytes,
    uniquePathBytes,
    sharedBytes: totalBytes - storedBytes,
    duplicatedBytes: storedBytes - uniquePathBytes,
  };
}
