import { join } from "node:path";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { FsCastoreBackend, INLINE_LIMIT, SplitCastoreBackend, type CastoreBackend, type IngestOptions } from "../store/index.js";
import { StorageConfigError } from "./errors.js";
import type { S3CastoreOptions } from "./s3-castore-backend.js";
import { storageConfigFromEnv, type S3Config } from "./storage-config.js";

/** Files up to this many bytes live inside their directory node unless LADING_CASTORE_INLINE says otherwise. */
export const DEFAULT_INLINE = 4096;

/** Where the castore lives (see the configuration table in ARCHITECTURE.md). */
export interface CastoreConfig {
  /** Local castore directory: objects and records when nothing is shared (`<dataDir>/castore`). */
  dir: string;
  /** Blobs, chunk lists and directory nodes in this bucket (under `<prefix>castore/`), shared by replicas. */
  s3?: S3Config;
  /** Path records in this Redis (only with `s3`: records must live where every replica finds their objects). */
  redisUrl?: string;
  redisPrefix?: string;
  s3Options?: S3CastoreOptions;
  /** Tests only: S3 client settings beyond the standard chain. */
  s3ClientOverrides?: Partial<S3ClientConfig>;
  /** How to ingest (`LADING_CASTORE_INLINE`: files up to this many bytes inside their directory node). */
  ingest: IngestOptions;
}

/**
 * Reads the castore settings: `LADING_CASTORE` = `auto` (default: shared when
 * `LADING_S3_BUCKET` / `LADING_REDIS_URL` are set) or `filesystem` (local even then);
 * `LADING_CASTORE_DIR` (default `<LADING_DATA_DIR>/castore`); S3 and Redis with the
 * same variables as the rest of storage (`LADING_S3_ENDPOINT`, `LADING_S3_PREFIX`, …);
 * `LADING_CASTORE_INLINE` (bytes, default 4096; 0 = off) keeps small files inside directory nodes.
 */
export function castoreConfigFromEnv(env: NodeJS.ProcessEnv): CastoreConfig {
  const mode = (env.LADING_CASTORE || "auto").toLowerCase();
  if (mode !== "auto" && mode !== "filesystem") throw new StorageConfigError(`LADING_CASTORE must be 'auto' or 'filesystem', got '${mode}'`);
  // The storage settings, read as if S3 were chosen: the castore may share a bucket the registry's blobs do not use.
  const storage = storageConfigFromEnv(env.LADING_S3_BUCKET ? { ...env, LADING_STORAGE: "s3" } : env);
  // Small files inside directory nodes: about half the objects of a typical store path go.
  const inlineText = env.LADING_CASTORE_INLINE || String(DEFAULT_INLINE);
  const inlineMax = Number(inlineText);
  if (!/^\d+$/.test(inlineText) || inlineMax > INLINE_LIMIT) {
    throw new StorageConfigError(`LADING_CASTORE_INLINE must be a number of bytes up to ${INLINE_LIMIT}, got '${inlineText}'`);
  }
  const config: CastoreConfig = { dir: env.LADING_CASTORE_DIR || join(storage.dataDir, "castore"), ingest: inlineMax > 0 ? { inlineMax } : {} };
  if (mode === "filesystem" || !storage.s3) return config;
  config.s3 = storage.s3;
  if (storage.redisUrl) {
    config.redisUrl = storage.redisUrl;
    config.redisPrefix = storage.redisPrefix ?? "lading:";
  }
  return config;
}

export interface OpenedCastore {
  readonly backend: CastoreBackend;
  /** Options for `new Castore(backend, ingest)`, from the configuration. */
  readonly ingest: IngestOptions;
  /** "filesystem", "s3" or "s3+redis". */
  readonly description: string;
  close(): Promise<void>;
}

/** Opens the configured castore backend; an unreachable bucket or Redis fails here. */
export async function openCastoreBackend(config: CastoreConfig): Promise<OpenedCastore> {
  const ingest = config.ingest;
  if (!config.s3) return { backend: new FsCastoreBackend(config.dir), ingest, description: "filesystem", close: async () => undefined };
  // Loaded only here, so local deployments start without the AWS SDK or ioredis.
  const { S3CastoreBackend } = await import("./s3-castore-backend.js");
  const objects = new S3CastoreBackend(config.s3, config.s3Options, config.s3ClientOverrides);
  try {
    await objects.checkReachable();
    if (!config.redisUrl) return { backend: objects, ingest, description: "s3", close: () => objects.close() };
    const { RedisConnection } = await import("./redis-connection.js");
    const { RedisCastorePaths } = await import("./redis-castore-paths.js");
    const connection = await RedisConnection.open(config.redisUrl, config.redisPrefix);
    return {
      backend: new SplitCastoreBackend(objects, new RedisCastorePaths(connection)),
      ingest,
      description: "s3+redis",
      async close() {
        await Promise.allSettled([objects.close(), connection.close()]);
      },
    };
  } catch (err) {
    await objects.close();
    throw err;
  }
}
