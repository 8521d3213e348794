/**
 * The castore: a content-addressed store shared by replicas. File contents are blobs
 * named by their BLAKE3 digest (files over 256 KiB as content-defined chunks plus a
 * chunk list), directories are nodes named by the BLAKE3 digest of a canonical
 * encoding (see nodes.ts), and a store path maps to its root node, NAR hash, NAR size
 * and references (path-info.ts). NARs are rendered from it byte-identically.
 *
 * Backends implement `CastoreBackend` (backend.ts), five methods over four object
 * kinds — has/get/put/delete/list of `blob`, `list`, `dir`, `path`:
 * - keys: BLAKE3 hex for blob/list/dir, the store path's hash part for path;
 * - `get` returns undefined when absent and throws CastoreCorruptionError when the
 *   bytes of a blob or dir do not hash to their key;
 * - `put` is atomic and idempotent, returns whether it wrote new bytes, and refreshes
 *   the modification time of an object already present (GC's grace period relies on it);
 * - `list` yields key, size and modification time, for GC.
 * `FsCastoreBackend` is the local one (write-then-rename, verified reads); shared ones
 * (S3 objects, Redis path records) live in storage/, opened from the environment by
 * `openCastoreBackend(castoreConfigFromEnv(process.env))`. `SplitCastoreBackend` puts
 * path records in one backend and the rest in another. Optional members: `parallelism`
 * (requests worth running at once: ingestion, GC) and `removeStale` (GC's cleanup of
 * crashed writers' temporary files).
 *
 * Use: `new Castore(backend).addNar(storePath, narStream, references, narHash)` while
 * substituting, `.addPath(storePath, dir, references)` after a build, `.nar(path)` to
 * serve or hash a NAR, `.materialise(path, dir)` to put a path on disk, and
 * `gcCastore(backend, liveStorePaths, { graceMs })` to collect.
 */
export { CastoreCorruptionError, OBJECT_KINDS, type CastoreBackend, type ObjectKind, type StoredObject } from "./backend.js";
export { Castore, type AddResult } from "./castore.js";
export {
  CHUNK_AVERAGE,
  CHUNK_MAX,
  CHUNK_MIN,
  SINGLE_BLOB_MAX,
  createChunker,
  decodeChunkList,
  encodeChunkList,
  type ChunkRef,
  type Chunker,
  type ChunkingMethod,
} from "./chunker.js";
export { Blake3Stream, blake3Hex, isDigest, type Digest } from "./digest.js";
export { FsCastoreBackend } from "./fs-backend.js";
export { SplitCastoreBackend } from "./split-backend.js";
export { gcCastore, type GcOptions, type GcReport } from "./gc.js";
export { ingestNar, ingestPath, type IngestOptions, type IngestResult } from "./ingest.js";
export { materialise } from "./materialise.js";
export {
  CastoreFormatError,
  INLINE_LIMIT,
  decodeDirectory,
  directoryNode,
  encodeDirectory,
  inlineFile,
  narNodeSize,
  narSizeOf,
  type CasDirectory,
  type CasEntry,
  type CasFile,
  type CasNode,
  type CasSymlink,
} from "./nodes.js";
export { decodePathInfo, encodePathInfo, pathInfoKey, type CasPathExtras, type CasPathInfo } from "./path-info.js";
export { CastoreMissingError, fileContents, renderNar } from "./render.js";
