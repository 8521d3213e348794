import type { Popularity } from "./types.js";

/** What the count needs of a derivation: its output paths and its input derivations. */
export interface DerivationEdges {
  /** Output store paths (empty strings, as for content-addressed outputs, are ignored). */
  outputs: readonly string[];
  /** Input derivation paths. */
  inputDrvs: readonly string[];
}

/**
 * Nixery-style popularity computed from a package set: for every store path, how
 * many of the set's packages have it in their closure. The closure here is the
 * build closure (the outputs of every derivation a package's derivation depends on,
 * and its own), known from evaluation alone — no package is built or downloaded to
 * count it. It is a superset of the runtime closure, so every path that can appear
 * in an image is counted, and paths needed only to build (compilers) never reach an
 * image, so their counts only raise the popularity threshold as widely used build
 * tools would. Keyed by full output path; the result depends only on the set's
 * derivations, never on the order they are given in.
 */
export function popularityFromBuildClosures(packageDrvs: readonly string[], readDerivation: (drvPath: string) => DerivationEdges): Popularity {
  const edges = new Map<string, DerivationEdges>();
  const load = (drv: string): DerivationEdges => {
    let e = edges.get(drv);
    if (!e) edges.set(drv, (e = readDerivation(drv)));
    return e;
  };
  const counts = new Map<string, number>();
  // A package listed twice (an alias attribute) counts once.
  for (const root of new Set(packageDrvs)) {
    const seenDrvs = new Set<string>([root]);
    const stack = [root];
    const outputs = new Set<string>();
    while (stack.length > 0) {
      const e = load(stack.pop()!);
      for (const out of e.outputs) if (out !== "") outputs.add(out);
      for (const input of e.inputDrvs) {
        if (!seenDrvs.has(input)) {
          seenDrvs.add(input);
          stack.push(input);
        }
      }
    }
    for (const out of outputs) counts.set(out, (counts.get(out) ?? 0) + 1);
  }
  return counts;
}

/** Popularity as JSON text with keys sorted, for caching (and for `LADING_POPULARITY_URL` files). */
export function popularityJson(popularity: Popularity): string {
  const keys = [...popularity.keys()].sort();
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, popularity.get(k)!])));
}
