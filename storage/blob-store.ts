import type { Readable } from "node:stream";
import type { Digest } from "./digest.js";

/** A byte range, both ends inclusive as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/**
 * Content-addressed blob storage (layers, configs, manifests). A blob becomes visible
 * only once its bytes are complete and their digest verified, so a reader never sees
 * a half-written or wrong blob.
 */
export interface BlobStore {
  stat(digest: Digest): Promise<BlobInfo | undefined>;
  /** Streams a blob (or a range of it); undefined when it is absent. */
  read(digest: Digest, range?: ByteRange): Promise<Readable | undefined>;
  /**
   * Stores bytes; when `expected` is given the write fails (and leaves nothing) unless
   * the content has that digest. Returns the digest and size actually stored.
   */
  write(content: Readable | Uint8Array, expected?: Digest): Promise<BlobInfo>;
  delete(digest: Digest): Promise<void>;
}

export class DigestMismatchError extends Error {
  override name = "DigestMismatchError";
}
