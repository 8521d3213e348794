import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as builder from "../../builder/index.js";
import { checkZstdAvailable, DEFAULT_LAYER_BUDGET, parsePopularity, type Popularity } from "../../layering/index.js";
import type { Storage } from "../../storage/index.js";
import type { ServerConfig } from "../config.js";
import { metrics } from "../operations/index.js";
import { EvaluationWorker } from "./eval-worker.js";
import { LayerWriter } from "./layers.js";
import { openPackageSet } from "./package-set.js";
import { ImageService } from "./service.js";
import { castoreReading, openImageCastore } from "./castore.js";
import { DEFAULT_SET_POPULARITY_LIMIT, SetPopularity } from "./set-popularity.js";

/** Reads popularity JSON from a file path, `file://` or `http(s)://` URL. */
export async function loadPopularity(url: string): Promise<Popularity> {
  if (/^https?:\/\//.test(url)) {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`popularity data ${url}: HTTP ${res.status}`);
    return parsePopularity(await res.text());
  }
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  return parsePopularity(await readFile(path, "utf8"));
}

/** Feeds the substituter's per-path download progress (cumulative per path) into /metrics as deltas. */
export function countSubstitutedBytes(substituter: builder.Substituter): void {
  const seen = new Map<object, number>(); // keyed by the StorePath object a download reuses for all its events
  substituter.on("event", (event) => {
    if (event.type === "path-progress") {
      const before = seen.get(event.path) ?? 0;
      // A retry starts the path's count again from zero.
      const delta = event.downloaded >= before ? event.downloaded - before : event.downloaded;
      if (delta > 0) metrics.substitutedBytes.inc(delta);
      seen.set(event.path, event.downloaded);
    } else if (event.type === "path-done" || event.type === "path-failed") {
      seen.delete(event.path);
    }
  });
}

export interface OpenedImageService {
  service: ImageService;
  close(): Promise<void>;
}

/** Wires the package set, local store, realiser, layering and storage into an image service. */
export async function openImageService(
  config: ServerConfig,
  storage: Storage,
  env: NodeJS.ProcessEnv = process.env,
  options: { evaluateInWorker?: boolean } = {},
): Promise<OpenedImageService> {
  const builderConfig = builder.builderConfigFromEnv({ ...env, LADING_DATA_DIR: config.dataDir });
  // The castore (issue 8): realised closures shared by replicas, layers read from it (castore.ts).
  const openedCastore = await openImageCastore(config.dataDir, env);
  const { store, substituter, castore } = await builder.openBuilderStore(
    builderConfig,
    {},
    openedCastore?.backend,
    openedCastore?.ingest,
  );
  countSubstitutedBytes(substituter);
  const shared = castore ? { castore, useInPlace: true, onError: (e: Error) => console.warn(`castore: ${e.message}`) } : undefined;
  const realiser = new builder.StoreRealiser(store, substituter, new builder.SandboxedBuilder(store, { logDir: join(resolve(config.dataDir), "logs") }), shared);
  const reading = castore ? castoreReading(store, castore) : undefined;
  const popularity = config.popularityUrl ? await loadPopularity(config.popularityUrl) : undefined;
  const dataDir = resolve(config.dataDir);
  const compression = config.layerCompression;
  if (compression.algorithm === "zstd") checkZstdAvailable(); // fail at start-up, not at the first layer
  const evaluator = options.evaluateInWorker === false ? undefined : new EvaluationWorker();
  const setLimit = config.popularitySetLimit ?? DEFAULT_SET_POPULARITY_LIMIT;
  const setPopularity = new SetPopularity({
    store,
    cache: storage.cache,
    stagingRoot: join(dataDir, "staging", "popularity"),
    limit: setLimit,
    ...(evaluator ? { evaluator } : {}),
  });
  const service = new ImageService({
    pkgs: openPackageSet({ pkgsPath: config.pkgsPath, pkgsRepo: config.pkgsRepo, channel: config.channel, dataDir }),
    pipeline: {
      store,
      realiser,
      blobs: storage.blobs,
      layers: new LayerWriter(storage.blobs, storage.cache, reading?.tree ?? store.root, compression),
      ...(reading ? { reading } : {}),
      stagingRoot: join(dataDir, "staging", "image"),
      popularity,
      ...(popularity ? {} : { setPopularity }),
      layerBudget: config.layerBudget ?? DEFAULT_LAYER_BUDGET,
      defaultArchitectures: config.architectures,
      ...(evaluator ? { evaluator } : {}),
    },
    blobs: storage.blobs,
    cache: storage.cache,
    flight: { run: (key, work) => storage.builds.run(key, () => work()) },
    compression,
    popularitySource: config.popularityUrl ?? `package-set-${setLimit}`,
    clientWaitMs: config.clientWaitSeconds * 1000,
  });
  return {
    service,
    async close() {
      await evaluator?.close();
      await store.close();
      await openedCastore?.close();
    },
  };
}
