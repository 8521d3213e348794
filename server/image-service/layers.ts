import { PassThrough } from "node:stream";
import {
  layerKey,
  writeEntriesLayer,
  writeStorePathsLayer,
  type CompressionSettings,
  type LayerDigests,
  type StoreTreeSource,
  type TarEntry,
} from "../../layering/index.js";
import { LAYERS, parseDigest, type BlobStore, type MetadataCache } from "../../storage/index.js";
import { metrics } from "../operations/index.js";
import { KeyedFlight } from "./single-flight.js";

/** A layer blob as cached by its layer key. */
export interface StoredLayer {
  digest: string;
  size: number;
  diffId: string;
}

/** Streams a layer into the blob store while it is written; the store verifies the digest. */
async function storeLayer(blobs: BlobStore, write: (out: PassThrough) => Promise<LayerDigests>): Promise<StoredLayer> {
  const pipe = new PassThrough({ highWaterMark: 1 << 20 });
  const stored = blobs.write(pipe);
  let digests: LayerDigests;
  try {
    digests = await write(pipe);
    pipe.end();
  } catch (err) {
    pipe.destroy(err as Error);
    await stored.catch(() => undefined);
    throw err;
  }
  const info = await stored;
  if (`sha256:${info.digest.hex}` !== digests.digest) throw new Error(`layer stored as sha256:${info.digest.hex}, written as ${digests.digest}`);
  return { digest: digests.digest, size: digests.size, diffId: digests.diffId };
}

/**
 * Layers of store paths, keyed by (sorted paths, compression): an image that needs a
 * group another image already has reuses that blob without reading the store.
 */
export class LayerWriter {
  private readonly flight = new KeyedFlight<StoredLayer>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly cache: MetadataCache,
    private readonly storeRoot: string | StoreTreeSource,
    readonly compression: CompressionSettings,
  ) {}

  /** The layer of `paths`, from the cache when its blob is still stored, else written now. */
  storePathsLayer(paths: readonly string[]): Promise<{ layer: StoredLayer; reused: boolean }> {
    const key = layerKey(paths, this.compression);
    let reused = true;
    return this.flight
      .run(key, async () => {
        const cached = await this.cache.get(LAYERS, key);
        if (cached) {
          const layer = JSON.parse(cached) as StoredLayer;
          if (await this.blobs.stat(parseDigest(layer.digest))) {
            metrics.cacheLookups.inc({ cache: "layer", result: "hit" });
            return layer;
          }
        }
        // A cached descriptor whose blob is gone is a miss: the layer is written again.
        metrics.cacheLookups.inc({ cache: "layer", result: "miss" });
        reused = false;
        const started = performance.now();
        const layer = await storeLayer(this.blobs, (out) => writeStorePathsLayer(this.storeRoot, paths, out, this.compression));
        await this.cache.set(LAYERS, key, JSON.stringify(layer));
        metrics.layerSeconds.observe((performance.now() - started) / 1000);
        return layer;
      })
      .then((layer) => ({ layer, reused }));
  }

  /** A layer of generated entries (the customisation layer); content-addressed, not keyed. */
  async entriesLayer(entries: readonly TarEntry[]): Promise<StoredLayer> {
    const started = performance.now();
    const layer = await storeLayer(this.blobs, (out) => writeEntriesLayer(entries, out, this.compression));
    metrics.layerSeconds.observe((performance.now() - started) / 1000);
    return layer;
  }
}
