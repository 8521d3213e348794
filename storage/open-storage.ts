import { join } from "node:path";
import type { BlobStore } from "./blob-store.js";
import type { BuildLock } from "./build-lock.js";
import type { Digest } from "./digest.js";
import { StorageConfigError } from "./errors.js";
import { FsBlobStore } from "./fs-blob-store.js";
import { FsMetadataCache } from "./fs-metadata-cache.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { MemoryBuildLock } from "./memory-build-lock.js";
import { MemoryMetadataCache } from "./memory-metadata-cache.js";
import { LocalFirstCache } from "./local-first-cache.js";
import { LAYERS, MANIFESTS, type MetadataCache } from "./metadata-cache.js";
import { SingleFlight } from "./single-flight.js";
import type { StorageConfig } from "./storage-config.js";

export interface HealthCheck {
  component: "blobs" | "cache";
  backend: string;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** Everything the registry keeps: blobs, shared metadata, and build coordination. */
export interface Storage {
  /** e.g. "filesystem+memory", "s3+redis". */
  readonly description: string;
  readonly blobs: BlobStore;
  readonly cache: MetadataCache;
  readonly locks: BuildLock;
  /** One build per image across all replicas (built on `locks`). */
  readonly builds: SingleFlight;
  /**
   * With LADING_S3_REDIRECT: a presigned URL the client may fetch the blob from
   * (answer 307); undefined means stream it through.
   */
  readonly blobUrl?: (digest: Digest) => Promise<string | undefined>;
  /** Probes every backend (for /readyz); never throws. */
  check(): Promise<HealthCheck[]>;
  close(): Promise<void>;
}

const PROBE_DIGEST: Digest = { algorithm: "sha256", hex: "0".repeat(64) };

async function probe(component: HealthCheck["component"], backend: string, fn: () => Promise<unknown>): Promise<HealthCheck> {
  const started = performance.now();
  try {
    await fn();
    return { component, backend, ok: true, latencyMs: performance.now() - started };
  } catch (err) {
    return { component, backend, ok: false, latencyMs: performance.now() - started, error: (err as Error).message };
  }
}

interface BlobBackend {
  name: string;
  blobs: BlobStore;
  ping(): Promise<unknown>;
  blobUrl?: (digest: Digest) => Promise<string | undefined>;
  close(): Promise<void>;
}

interface MetaBackend {
  name: string;
  cache: MetadataCache;
  locks: BuildLock;
  close(): Promise<void>;
}

async function openBlobs(config: StorageConfig): Promise<BlobBackend> {
  switch (config.backend) {
    case "memory": {
      const blobs = new MemoryBlobStore();
      return { name: "memory", blobs, ping: async () => undefined, close: async () => undefined };
    }
    case "filesystem": {
      const blobs = new FsBlobStore(join(config.dataDir, "storage"));
      return { name: "filesystem", blobs, ping: () => blobs.stat(PROBE_DIGEST), close: async () => undefined };
    }
    case "s3": {
      if (!config.s3) throw new StorageConfigError("LADING_STORAGE=s3 needs LADING_S3_BUCKET");
      // Loaded only here, so filesystem deployments start without the AWS SDK.
      const { S3BlobStore } = await import("./s3-blob-store.js");
      const store = new S3BlobStore(config.s3, config.s3ClientOverrides);
      try {
        await store.checkWritable();
      } catch (err) {
        await store.close();
        throw err;
      }
      const presign = config.s3.redirect ? (digest: Digest) => store.presignedUrl(digest) : undefined;
      return { name: "s3", blobs: store, ping: () => store.ping(), close: () => store.close(), ...(presign ? { blobUrl: presign } : {}) };
    }
  }
}

async function openMeta(config: StorageConfig): Promise<MetaBackend> {
  if (config.redisUrl === undefined) {
    // One host: on the filesystem backend, cache entries survive restarts as files beside the blobs.
    if (config.backend === "filesystem") {
      const cache = new FsMetadataCache(join(config.dataDir, "storage", "meta"));
      return { name: "filesystem", cache, locks: new MemoryBuildLock(), close: () => cache.close() };
    }
    return { name: "memory", cache: new MemoryMetadataCache(), locks: new MemoryBuildLock(), close: async () => undefined };
  }
  const { RedisConnection } = await import("./redis-connection.js");
  const { RedisMetadataCache } = await import("./redis-metadata-cache.js");
  const { RedisBuildLock } = await import("./redis-build-lock.js");
  const connection = await RedisConnection.open(config.redisUrl, config.redisPrefix, config.redisConnectTimeoutMs);
  // Manifests and layer descriptors are immutable facts: each replica keeps the ones it saw.
  const cache = new LocalFirstCache(new RedisMetadataCache(connection), new Set([MANIFESTS, LAYERS]));
  return { name: "redis", cache, locks: new RedisBuildLock(connection), close: () => connection.close() };
}

/**
 * Opens the configured backends and checks they work (a missing or read-only bucket,
 * an unreachable Redis fail here, at startup, with a message that says what to fix).
 */
export async function openStorage(config: StorageConfig): Promise<Storage> {
  const blob = await openBlobs(config);
  let meta: MetaBackend;
  try {
    meta = await openMeta(config);
  } catch (err) {
    await blob.close();
    throw err;
  }
  const builds = new SingleFlight(meta.locks, { waitTimeoutMs: config.buildTimeoutMs + 60_000, ...config.singleFlight });
  return {
    description: `${blob.name}+${meta.name}`,
    blobs: blob.blobs,
    cache: meta.cache,
    locks: meta.locks,
    builds,
    ...(blob.blobUrl ? { blobUrl: blob.blobUrl } : {}),
    check: () => Promise.all([probe("blobs", blob.name, blob.ping), probe("cache", meta.name, () => meta.cache.ping())]),
    async close() {
      await Promise.allSettled([blob.close(), meta.close()]);
    },
  };
}
