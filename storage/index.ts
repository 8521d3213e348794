export { parseDigest, formatDigest, blobKey, InvalidDigestError, type Digest } from "./digest.js";
export { DigestMismatchError, type BlobStore, type BlobInfo, type ByteRange } from "./blob-store.js";
export { FsBlobStore } from "./fs-blob-store.js";
export { MemoryBlobStore } from "./memory-blob-store.js";
export { StorageUnavailableError, StorageConfigError } from "./errors.js";
export { MANIFESTS, LAYERS, POPULARITY, type MetadataCache, type CacheNamespace } from "./metadata-cache.js";
export { MemoryMetadataCache } from "./memory-metadata-cache.js";
export { LocalFirstCache } from "./local-first-cache.js";
export { FsMetadataCache } from "./fs-metadata-cache.js";
export type { BuildLock } from "./build-lock.js";
export { MemoryBuildLock } from "./memory-build-lock.js";
export {
  SingleFlight,
  DEFAULT_SINGLE_FLIGHT,
  RemoteBuildError,
  BuildWaitTimeoutError,
  LockLostError,
  type SingleFlightOptions,
  type SingleFlightObserver,
} from "./single-flight.js";
export { storageConfigFromEnv, type StorageConfig, type S3Config } from "./storage-config.js";
export { openStorage, type Storage, type HealthCheck } from "./open-storage.js";
export { S3BlobStore } from "./s3-blob-store.js";
export { S3CastoreBackend, type S3CastoreOptions } from "./s3-castore-backend.js";
export { RedisCastorePaths } from "./redis-castore-paths.js";
export { castoreConfigFromEnv, openCastoreBackend, type CastoreConfig, type OpenedCastore } from "./s3-castore-open.js";
