import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { buffer } from "node:stream/consumers";
import { compressionId, type CompressionSettings } from "../../layering/index.js";
import { MANIFESTS, parseDigest, type BlobStore, type MetadataCache } from "../../storage/index.js";
import { ERROR_STATUS, RegistryError, isTag, type ErrorCode, type ManifestResponse, type ManifestSource } from "../distribution/index.js";
import { parseImageName, type ImageRequest } from "../image-name.js";
import { metrics } from "../operations/index.js";
import { StoredManifests } from "../stored-manifests.js";
import { buildImageRecord, type PipelineContext } from "./build-image.js";
import { negotiate, type ImageRecord, type ManifestRef } from "./image-record.js";
import type { PackageSetSource } from "./package-set.js";
import { RecentBuilds } from "./recent-builds.js";
import type { BuildFlight } from "./single-flight.js";

export interface ImageServiceOptions {
  pkgs: PackageSetSource;
  pipeline: PipelineContext;
  blobs: BlobStore;
  cache: MetadataCache;
  /** One build per request key; the storage layer's SingleFlight fits. */
  flight: BuildFlight<string>;
  compression: CompressionSettings;
  /** Identifies the popularity data in cache keys (`computed` or its URL). */
  popularitySource: string;
  /** How long a client's request waits for a cold build before it is told to retry; the build goes on. */
  clientWaitMs: number;
}

/** Events for metrics and tests: `build-start` and `build-end` with the request key and image name. */
export type ImageServiceEvents = {
  "build-start": [{ key: string; image: string; tag: string }];
  "build-end": [{ key: string; image: string; tag: string; ok: boolean; durationMs: number }];
};

const MANIFEST_MEMO_LIMIT = 2048;

/**
 * Answers manifests for `<packages>:<tag>`: the tag selects the package-set revision,
 * the cache maps (revision, packages, architecture, options) to an image record, and a
 * cold request runs the pipeline once however many clients ask at the same time.
 */
export class ImageService implements ManifestSource {
  readonly events = new EventEmitter<ImageServiceEvents>();
  readonly recent = new RecentBuilds();
  private readonly byDigest: StoredManifests;
  private readonly bodies = new Map<string, Buffer>();

  constructor(private readonly options: ImageServiceOptions) {
    this.byDigest = new StoredManifests(options.blobs);
  }

  get packageSetDescription(): string {
    return this.options.pkgs.description;
  }

  async resolve(name: string, reference: string, accept: readonly string[]): Promise<ManifestResponse> {
    if (reference.includes(":")) return this.byDigest.resolve(name, reference);
    if (!isTag(reference)) throw new RegistryError("MANIFEST_INVALID", "invalid tag", { tag: reference });
    const { record } = await this.image(name, reference);
    const chosen = negotiate(record, accept);
    return { body: await this.body(chosen), mediaType: chosen.mediaType, digest: chosen.digest };
  }

  async tags(name: string): Promise<string[]> {
    parseImageName(name);
    return await this.options.pkgs.tags();
  }

  /** The image record for `name:tag`, from the cache or built now (waiting at most `wait` ms; Infinity waits for the build). */
  async image(name: string, tag: string, wait = this.options.clientWaitMs): Promise<{ record: ImageRecord; key: string }> {
    const request = parseImageName(name);
    const pkgs = await this.options.pkgs.resolve(tag);
    const key = this.requestKey(request, pkgs.revision);
    const cached = await this.options.cache.get(MANIFESTS, key);
    metrics.cacheLookups.inc({ cache: "manifest", result: cached ? "hit" : "miss" });
    if (cached) return { record: JSON.parse(cached) as ImageRecord, key };

    const build = this.options.flight.run(key, async () => {
      // Another caller may have finished between our cache read and taking the flight.
      const again = await this.options.cache.get(MANIFESTS, key);
      if (again) return again;
      const entry = this.recent.begin(name, tag, pkgs.revision);
      const started = performance.now();
      this.events.emit("build-start", { key, image: name, tag });
      try {
        const built = await buildImageRecord(this.options.pipeline, request, pkgs);
        const text = JSON.stringify(built.record);
        await this.options.cache.set(MANIFESTS, key, text);
        Object.assign(entry, {
          status: "done",
          durationMs: Math.round(performance.now() - started),
          digest: (built.record.index ?? built.record.platforms[0]!).oci.digest,
          timings: roundTimings(built.timings),
          layersWritten: built.layersWritten,
          layersReused: built.layersReused,
        });
        this.events.emit("build-end", { key, image: name, tag, ok: true, durationMs: performance.now() - started });
        return text;
      } catch (err) {
        const error = asRegistryError(err);
        this.recent.fail(entry, error.message, started);
        this.events.emit("build-end", { key, image: name, tag, ok: false, durationMs: performance.now() - started });
        throw error;
      }
    });
    // A build the client gave up on still finishes and is cached; never an unhandled rejection.
    build.catch(() => undefined);
    if (!(wait < 2 ** 31)) return { record: JSON.parse(await build.catch((err: unknown) => Promise.reject(asRegistryError(err)))) as ImageRecord, key };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RegistryError(
              "UNAVAILABLE",
              `the image is still being built (over ${Math.round(wait / 1000)} s); the build continues and its result is cached, so retry in a moment`,
              { building: true },
              503,
              10,
            ),
          ),
        wait,
      );
    });
    try {
      const text = await Promise.race([build, timeout]).catch((err: unknown) => {
        throw asRegistryError(err);
      });
      return { record: JSON.parse(text) as ImageRecord, key };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The cache key of a request: revision, packages, architecture and every option that changes bytes. */
  requestKey(request: ImageRequest, revision: string): string {
    const identity = JSON.stringify([
      "lading-image-v1",
      revision,
      request.architecture ?? "*",
      request.shell,
      request.packages,
      compressionId(this.options.compression),
      this.options.pipeline.layerBudget,
      this.options.popularitySource,
      this.options.pipeline.defaultArchitectures ?? "*",
    ]);
    return createHash("sha256").update(identity).digest("hex");
  }

  /** A manifest's bytes; small and immutable, so kept in memory once read. */
  async body(ref: ManifestRef): Promise<Buffer> {
    const memo = this.bodies.get(ref.digest);
    if (memo) return memo;
    const stream = await this.options.blobs.read(parseDigest(ref.digest));
    if (!stream) throw new RegistryError("MANIFEST_UNKNOWN", "manifest blob missing from storage", { digest: ref.digest });
    const bytes = await buffer(stream);
    if (this.bodies.size >= MANIFEST_MEMO_LIMIT) this.bodies.delete(this.bodies.keys().next().value!);
    this.bodies.set(ref.digest, bytes);
    return bytes;
  }
}

function roundTimings<T extends object>(timings: T): T {
  return Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v as number)])) as T;
}

/** Errors from the pipeline (or another replica's) as the error JSON the client gets. */
export function asRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const message = typeof e.message === "string" ? e.message : String(err);
  if (typeof e.code === "string" && e.code in ERROR_STATUS) return new RegistryError(e.code as ErrorCode, message);
  const retry = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retry === "number") return new RegistryError("UNAVAILABLE", `${message}; retry in a moment`, undefined, 503, retry);
  return new RegistryError("INTERNAL", `building the image failed: ${message}`, undefined, 500);
}
