import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { SingleFlightOptions } from "./single-flight.js";
import { StorageConfigError } from "./errors.js";

export interface S3Config {
  bucket: string;
  /** Custom endpoint (MinIO, Ceph, s3rver); AWS when absent. */
  endpoint?: string;
  /** The endpoint clients use for presigned URLs when it differs (e.g. compose: `minio:9000` inside, `localhost:9000` outside). */
  publicEndpoint?: string;
  /** Region; the AWS chain (AWS_REGION, ~/.aws/config) when absent, us-east-1 with a custom endpoint. */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), the norm for non-AWS stores. */
  forcePathStyle: boolean;
  /** Serve blobs by redirect to a presigned URL instead of streaming them through. */
  redirect: boolean;
  /** How long a presigned URL is valid. */
  presignExpiresSeconds: number;
  /** Key prefix inside the bucket (several registries sharing one bucket). */
  prefix: string;
}

export interface StorageConfig {
  backend: "filesystem" | "memory" | "s3";
  /** Root of filesystem storage (`<dataDir>/storage`). */
  dataDir: string;
  s3?: S3Config;
  /** Shared caches and locks; in-memory when absent. */
  redisUrl?: string;
  /** Key prefix in Redis (several registries sharing one Redis). */
  redisPrefix?: string;
  /** How long startup waits for Redis before failing (default 10 s). */
  redisConnectTimeoutMs?: number;
  /** Tests only: S3 client settings (credentials, timeouts) beyond the standard chain. */
  s3ClientOverrides?: Partial<S3ClientConfig>;
  /** Lock timings; `LADING_BUILD_LOCK_TTL` (seconds) sets how fast a dead builder is replaced. */
  singleFlight?: Partial<SingleFlightOptions>;
  /** Longest build, so waiters on another replica's build know when to give up. */
  buildTimeoutMs: number;
}

function pick(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

function flag(name: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new StorageConfigError(`${name} must be true or false, got '${text}'`);
}

/** Reads the storage settings of the configuration table (ARCHITECTURE.md) from the environment. */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv): StorageConfig {
  const backendText = (pick(env, "LADING_STORAGE", "NIXERY_STORAGE_BACKEND") ?? "filesystem").toLowerCase();
  if (backendText !== "filesystem" && backendText !== "memory" && backendText !== "s3") {
    throw new StorageConfigError(`LADING_STORAGE must be 'filesystem' or 's3', got '${backendText}'`);
  }
  const timeoutText = pick(env, "LADING_BUILD_TIMEOUT", "NIX_TIMEOUT") ?? "600";
  const timeoutSeconds = Number(timeoutText);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new StorageConfigError(`LADING_BUILD_TIMEOUT must be a number of seconds, got '${timeoutText}'`);
  }
  const config: StorageConfig = {
    backend: backendText,
    dataDir: pick(env, "LADING_DATA_DIR", "STORAGE_PATH") ?? "./.lading",
    buildTimeoutMs: timeoutSeconds * 1000,
  };
  const lockTtlText = pick(env, "LADING_BUILD_LOCK_TTL");
  if (lockTtlText !== undefined) {
    const seconds = Number(lockTtlText);
    if (!Number.isFinite(seconds) || seconds < 1) throw new StorageConfigError(`LADING_BUILD_LOCK_TTL must be at least 1 second, got '${lockTtlText}'`);
    config.singleFlight = { lockTtlMs: seconds * 1000, pollMs: Math.min(1000, (seconds * 1000) / 4) };
  }
  const redisUrl = pick(env, "LADING_REDIS_URL");
  if (redisUrl !== undefined) {
    if (!/^rediss?:\/\//.test(redisUrl)) throw new StorageConfigError(`LADING_REDIS_URL must be a redis:// or rediss:// URL, got '${redisUrl}'`);
    config.redisUrl = redisUrl;
    config.redisPrefix = pick(env, "LADING_REDIS_PREFIX") ?? "lading:";
  }
  if (backendText === "s3") {
    const bucket = pick(env, "LADING_S3_BUCKET");
    if (!bucket) throw new StorageConfigError("LADING_STORAGE=s3 needs LADING_S3_BUCKET");
    const endpoint = pick(env, "LADING_S3_ENDPOINT");
    const publicEndpoint = pick(env, "LADING_S3_PUBLIC_ENDPOINT");
    const region = pick(env, "LADING_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION") ?? (endpoint ? "us-east-1" : undefined);
    const expiresText = pick(env, "LADING_S3_PRESIGN_EXPIRES") ?? "900";
    const presignExpiresSeconds = Number(expiresText);
    if (!Number.isInteger(presignExpiresSeconds) || presignExpiresSeconds <= 0 || presignExpiresSeconds > 604800) {
      throw new StorageConfigError(`LADING_S3_PRESIGN_EXPIRES must be seconds (1..604800), got '${expiresText}'`);
    }
    const prefix = pick(env, "LADING_S3_PREFIX") ?? "";
    config.s3 = {
      bucket,
      ...(endpoint ? { endpoint } : {}),
      ...(publicEndpoint ? { publicEndpoint } : {}),
      ...(region ? { region } : {}),
      forcePathStyle: flag("LADING_S3_PATH_STYLE", pick(env, "LADING_S3_PATH_STYLE"), endpoint !== undefined),
      redirect: flag("LADING_S3_REDIRECT", pick(env, "LADING_S3_REDIRECT"), false),
      presignExpiresSeconds,
      prefix: prefix && !prefix.endsWith("/") ? `${prefix}/` : prefix,
    };
  }
  return config;
}
