/**
 * Small shared metadata beside the blobs. Values are strings (callers JSON-encode);
 * every key lives in a namespace so backends can prefix and list them apart.
 * A backend that cannot answer throws StorageUnavailableError; it never answers
 * "absent" for a key it could not read, so callers never act on a wrong value.
 */
export interface MetadataCache {
  get(namespace: CacheNamespace, key: string): Promise<string | undefined>;
  /** Stores a value; with `ttlMs` it disappears after that many milliseconds. */
  set(namespace: CacheNamespace, key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
  delete(namespace: CacheNamespace, key: string): Promise<void>;
  /** Adds `by` (default 1) to a counter and returns the new value; counters start at 0. */
  incr(namespace: CacheNamespace, key: string, by?: number): Promise<number>;
  /** A counter's value (0 when never incremented). */
  count(namespace: CacheNamespace, key: string): Promise<number>;
  /** Throws when the backend is unreachable (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The namespaces Lading uses:
 * - `manifests`: image request key → manifest digest (`sha256:…`)
 * - `layers`: layer key (hash of sorted store paths + compression) → layer descriptor JSON
 * - `popularity`: store path or package name → pull counter
 */
export type CacheNamespace = "manifests" | "layers" | "popularity" | (string & {});

export const MANIFESTS: CacheNamespace = "manifests";
export const LAYERS: CacheNamespace = "layers";
export const POPULARITY: CacheNamespace = "popularity";
