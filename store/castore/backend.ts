/**
 * Where castore objects live. Four kinds, each a flat key → bytes map:
 *
 * - `blob`: file contents (whole small files, or chunks of large ones), key = BLAKE3 of the bytes
 * - `list`: the chunk list of a large file (`encodeChunkList`), key = BLAKE3 of the bytes
 * - `dir`:  a directory node (`encodeDirectory`), key = BLAKE3 of the bytes
 * - `path`: a path record (`encodePathInfo`), key = the store path's 32-character hash part
 *
 * A backend is shared by writers that never coordinate: `put` must be idempotent and
 * atomic (readers see all of an object or nothing), and must refresh the modification
 * time of an object that already exists, because garbage collection spares objects
 * modified within its grace period — that is what keeps a blob a concurrent ingestion
 * found already present (and is about to reference) from being swept.
 */
export type ObjectKind = "blob" | "list" | "dir" | "path";

export const OBJECT_KINDS: readonly ObjectKind[] = ["blob", "list", "dir", "path"];

export interface StoredObject {
  readonly key: string;
  readonly size: number;
  /** Last `put` of this key (creation or refresh), milliseconds since the epoch. */
  readonly modifiedMs: number;
}

export interface CastoreBackend {
  has(kind: ObjectKind, key: string): Promise<boolean>;
  /** The object's bytes, or undefined when absent. Throws when stored bytes do not match a digest key. */
  get(kind: ObjectKind, key: string): Promise<Buffer | undefined>;
  /**
   * Optional: `get` without a promise, for local backends. Rendering a NAR of many small
   * files spends most of its time in per-object overhead, and a promise per object doubles it.
   */
  getSync?(kind: ObjectKind, key: string): Buffer | undefined;
  /**
   * Stores `bytes` under `key`, atomically and idempotently. Returns true when it wrote
   * new bytes, false when the object was present (then only its time is refreshed).
   */
  put(kind: ObjectKind, key: string, bytes: Uint8Array): Promise<boolean>;
  /**
   * Removes an object; absent is not an error. With `unmodifiedSince` (ms since the
   * epoch), only if its modification time is still earlier: GC passes its cutoff so a
   * `put` that refreshed the object after GC listed it wins. Returns whether it deleted.
   */
  delete(kind: ObjectKind, key: string, unmodifiedSince?: number): Promise<boolean>;
  /** Every object of a kind, in no particular order (for garbage collection). */
  list(kind: ObjectKind): AsyncIterable<StoredObject>;
  /**
   * Optional: how many requests are worth having in flight at once (remote backends:
   * each is a round trip). Absent means 1: calls are made one after another.
   */
  readonly parallelism?: number;
  /**
   * Optional: removes what crashed writers or collectors left behind (temporary files)
   * last modified before `cutoffMs`; returns how many. GC calls it with its cutoff.
   */
  removeStale?(cutoffMs: number): Promise<number>;
}

/** Stored bytes that do not hash to their key. */
export class CastoreCorruptionError extends Error {
  override name = "CastoreCorruptionError";
  constructor(
    readonly kind: ObjectKind,
    readonly key: string,
  ) {
    super(`castore ${kind} ${key} is corrupt: its bytes do not hash to its name`);
  }
}
