/** One store path of a runtime closure, as the builder reports it. */
export interface ClosureNode {
  /** Absolute store path, e.g. `/nix/store/<hash>-glibc-2.39`. */
  path: string;
  /** Size of the path's NAR serialisation in bytes. */
  narSize: number;
  /** Absolute store paths this path refers to (self-references allowed). */
  references: readonly string[];
}

/**
 * Popularity scores keyed by store path, base name (`<hash>-<name>`), name
 * (`glibc-2.39`) or package/attribute name (`glibc`); higher means more packages
 * of the package set depend on it.
 */
export type Popularity = ReadonlyMap<string, number>;

/** A group of store paths written as one image layer. */
export interface LayerGroup {
  /** Absolute store paths, sorted by bytes. */
  paths: string[];
  /** Sum of the paths' NAR sizes. */
  narSize: number;
  /** Popularity of the group's dominating path (its subtree root). */
  popularity: number;
  /** `(popularity + 1) × narSize`: how valuable the group is as a separate layer. */
  rating: number;
}

export class GroupingError extends Error {
  override name = "GroupingError";
}

/** Byte-order comparison of strings made of ASCII store path characters. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
