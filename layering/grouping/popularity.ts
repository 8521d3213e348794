import { GroupingError, type ClosureNode, type Popularity } from "./types.js";

/**
 * Parses popularity data: a JSON object mapping names to non-negative numbers
 * (Nixery's format maps store path names without hash, e.g. `"glibc-2.39": 3120`).
 */
export function parsePopularity(json: string | Record<string, unknown>): Popularity {
  const data = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new GroupingError("popularity data must be a JSON object of name → number");
  }
  const scores = new Map<string, number>();
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new GroupingError(`popularity of '${name}' is not a non-negative number`);
    }
    scores.set(name, value);
  }
  return scores;
}

/** `<hash>-<name>` of an absolute store path. */
export function baseNameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The package name without version, split where Nix's parseDrvName splits: the first `-` before a non-letter. */
export function packageNameOf(path: string): string {
  const name = nameOf(path);
  for (let i = 0; i < name.length - 1; i++) {
    if (name[i] === "-" && !/[A-Za-z]/.test(name[i + 1]!)) return name.slice(0, i);
  }
  return name;
}

/** The store path name (after the hash part). */
export function nameOf(path: string): string {
  const base = baseNameOf(path);
  const dash = base.indexOf("-");
  return dash === -1 ? base : base.slice(dash + 1);
}

/** The score of a store path: the most specific key that the data has, else 0. */
export function scoreOf(popularity: Popularity, path: string): number {
  for (const key of [path, baseNameOf(path), nameOf(path), packageNameOf(path)]) {
    const score = popularity.get(key);
    if (score !== undefined) return score;
  }
  return 0;
}

/**
 * Fallback when no popularity data is given: a path's in-degree in the closure
 * (how many other paths refer to it), keyed by full store path.
 */
export function popularityFromGraph(nodes: readonly ClosureNode[]): Popularity {
  const scores = new Map<string, number>();
  for (const node of nodes) scores.set(node.path, scores.get(node.path) ?? 0);
  for (const node of nodes) {
    for (const ref of new Set(node.references)) {
      if (ref !== node.path) scores.set(ref, (scores.get(ref) ?? 0) + 1);
    }
  }
  return scores;
}

const thresholdCache = new WeakMap<Popularity, Map<number, number>>();

/**
 * The score at `percentile` (0–100) of all scores in the data: paths at or above it
 * are "popular". Computed over the whole data set, not one image, so the same path
 * is promoted in every image. Cached per data set since real data has ~100k entries.
 */
export function popularityThreshold(popularity: Popularity, percentile: number): number {
  let byPercentile = thresholdCache.get(popularity);
  if (!byPercentile) thresholdCache.set(popularity, (byPercentile = new Map()));
  const cached = byPercentile.get(percentile);
  if (cached !== undefined) return cached;
  const sorted = [...popularity.values()].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1));
  // Never call a score of 0 popular, even when most of the data is 0.
  const threshold = Math.max(sorted[index] ?? Infinity, Number.MIN_VALUE);
  byPercentile.set(percentile, threshold);
  return threshold;
}
