import type { CastoreBackend, ObjectKind, StoredObject } from "./backend.js";

/**
 * Path records in one backend, everything else in another: e.g. blobs and nodes in
 * a bucket, path records in Redis, where a lookup is one fast round trip and GC can
 * delete a record conditionally. Both halves must be shared by the same replicas.
 */
export class SplitCastoreBackend implements CastoreBackend {
  readonly parallelism: number;

  constructor(
    readonly objects: CastoreBackend,
    readonly paths: CastoreBackend,
  ) {
    this.parallelism = Math.max(objects.parallelism ?? 1, paths.parallelism ?? 1);
    // Only offered when both halves read synchronously (rendering checks for it).
    if (!objects.getSync || !paths.getSync) this.getSync = undefined;
  }

  private of(kind: ObjectKind): CastoreBackend {
    return kind === "path" ? this.paths : this.objects;
  }

  has(kind: ObjectKind, key: string): Promise<boolean> {
    return this.of(kind).has(kind, key);
  }

  get(kind: ObjectKind, key: string): Promise<Buffer | undefined> {
    return this.of(kind).get(kind, key);
  }

  getSync?: (kind: ObjectKind, key: string) => Buffer | undefined = (kind, key) => this.of(kind).getSync!(kind, key);

  put(kind: ObjectKind, key: string, bytes: Uint8Array): Promise<boolean> {
    return this.of(kind).put(kind, key, bytes);
  }

  delete(kind: ObjectKind, key: string, unmodifiedSince?: number): Promise<boolean> {
    return this.of(kind).delete(kind, key, unmodifiedSince);
  }

  list(kind: ObjectKind): AsyncIterable<StoredObject> {
    return this.of(kind).list(kind);
  }

  async removeStale(cutoffMs: number): Promise<number> {
    const counts = await Promise.all([this.objects.removeStale?.(cutoffMs), this.paths.removeStale?.(cutoffMs)]);
    return (counts[0] ?? 0) + (counts[1] ?? 0);
  }
}
