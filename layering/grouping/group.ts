import { immediateDominators } from "./dominators.js";
import { popularityFromGraph, popularityThreshold, scoreOf } from "./popularity.js";
import { GroupingError, compareStrings, type ClosureNode, type LayerGroup, type Popularity } from "./types.js";

/** Docker and overlayfs stop at ~125 layers; an image that uses 100 leaves 25 for child images. */
export const DEFAULT_MAX_LAYERS = 100;
/** Store-path layers by default: the image budget minus the customisation layer. */
export const DEFAULT_LAYER_BUDGET = DEFAULT_MAX_LAYERS - 1;
/** Paths at or above this percentile of popularity get their own layer candidate. */
export const DEFAULT_POPULARITY_PERCENTILE = 90;
/** Paths at least this large (NAR bytes) get their own layer candidate. */
export const DEFAULT_SIZE_THRESHOLD = 100 * 1024 * 1024;

export interface GroupingOptions {
  /** Most layers to return (≥ 1). */
  budget?: number;
  /** Popularity data; without it, in-degree in this closure stands in. */
  popularity?: Popularity;
  popularityPercentile?: number;
  sizeThreshold?: number;
}

/**
 * Groups a runtime closure into at most `budget` layers with Nixery's published
 * design: a graph rooted at the image with edges to the requested paths; popular
 * and large paths get an extra edge from the root (so nothing else dominates them);
 * each subtree of the root in the dominator tree is a layer candidate; candidates
 * are ranked by (popularity + 1) × size and the least valuable merged into one
 * last layer when over budget. Deterministic: nodes, edges and ties are ordered by
 * store path, so the same closure always gives the same layers in the same order.
 */
export function groupLayers(nodes: readonly ClosureNode[], roots: readonly string[], options: GroupingOptions = {}): LayerGroup[] {
  const budget = options.budget ?? DEFAULT_LAYER_BUDGET;
  if (!Number.isInteger(budget) || budget < 1) throw new GroupingError(`layer budget must be a positive integer, got ${budget}`);
  const popularity = options.popularity ?? popularityFromGraph(nodes);
  const threshold = popularityThreshold(popularity, options.popularityPercentile ?? DEFAULT_POPULARITY_PERCENTILE);
  const sizeThreshold = options.sizeThreshold ?? DEFAULT_SIZE_THRESHOLD;

  const graph = indexGraph(nodes, roots);
  const scores = graph.nodes.map((node) => scoreOf(popularity, node.path));
  const promoted = new Set(graph.rootTargets);
  graph.nodes.forEach((node, i) => {
    if (scores[i]! >= threshold || node.narSize >= sizeThreshold) promoted.add(i + 1);
  });
  const successors: number[][] = [[...promoted].sort((a, b) => a - b), ...graph.successors];
  // Paths nothing reaches (an over-complete closure) still belong in the image.
  const idom = attachUnreachable(successors);

  const members = new Map<number, number[]>();
  for (let v = 1; v < successors.length; v++) {
    const top = topAncestor(idom, v);
    let list = members.get(top);
    if (!list) members.set(top, (list = []));
    list.push(v);
  }
  const candidates: LayerGroup[] = [];
  for (const [top, list] of members) {
    const paths = list.map((v) => graph.nodes[v - 1]!.path).sort(compareStrings);
    const narSize = list.reduce((sum, v) => sum + graph.nodes[v - 1]!.narSize, 0);
    const popularityScore = scores[top - 1]!;
    candidates.push({ paths, narSize, popularity: popularityScore, rating: (popularityScore + 1) * narSize });
  }
  return mergeToBudget(candidates, budget);
}

/** One layer per store path: the baseline that shares most but exceeds any budget. */
export function groupOnePerPath(nodes: readonly ClosureNode[], popularity?: Popularity): LayerGroup[] {
  const scores = popularity ?? popularityFromGraph(nodes);
  return nodes
    .map((node) => {
      const score = scoreOf(scores, node.path);
      return { paths: [node.path], narSize: node.narSize, popularity: score, rating: (score + 1) * node.narSize };
    })
    .sort(byRating);
}

function byRating(a: LayerGroup, b: LayerGroup): number {
  return b.rating - a.rating || compareStrings(a.paths[0]!, b.paths[0]!);
}

/** Keeps the `budget - 1` best candidates and merges the rest into one last layer. */
function mergeToBudget(candidates: LayerGroup[], budget: number): LayerGroup[] {
  const ranked = candidates.sort(byRating);
  if (ranked.length <= budget) return ranked;
  const kept = ranked.slice(0, budget - 1);
  const rest = ranked.slice(budget - 1);
  kept.push({
    paths: rest.flatMap((layer) => layer.paths).sort(compareStrings),
    narSize: rest.reduce((sum, layer) => sum + layer.narSize, 0),
    popularity: Math.max(...rest.map((layer) => layer.popularity)),
    rating: rest.reduce((sum, layer) => sum + layer.rating, 0),
  });
  return kept;
}

interface IndexedGraph {
  /** Nodes sorted by path; node i is vertex i + 1 (vertex 0 is the image root). */
  nodes: ClosureNode[];
  successors: number[][];
  rootTargets: number[];
}

function indexGraph(input: readonly ClosureNode[], roots: readonly string[]): IndexedGraph {
  const nodes = [...input].sort((a, b) => compareStrings(a.path, b.path));
  const vertexOf = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (vertexOf.has(node.path)) throw new GroupingError(`store path '${node.path}' appears twice in the closure`);
    vertexOf.set(node.path, i + 1);
  });
  const lookup = (path: string, what: string): number => {
    const v = vertexOf.get(path);
    if (v === undefined) throw new GroupingError(`${what} '${path}' is not in the closure`);
    return v;
  };
  const successors = nodes.map((node) => {
    const self = vertexOf.get(node.path);
    const targets = new Set<number>();
    for (const ref of node.references) {
      const v = lookup(ref, `reference of '${node.path}'`);
      if (v !== self) targets.add(v);
    }
    return [...targets].sort((a, b) => a - b);
  });
  const rootTargets = [...new Set(roots.map((path) => lookup(path, "requested path")))].sort((a, b) => a - b);
  if (rootTargets.length === 0 && nodes.length > 0) throw new GroupingError("no requested paths");
  return { nodes, successors, rootTargets };
}

/** Dominators; vertices unreachable from the root get an edge from it and a second pass. */
function attachUnreachable(successors: number[][]): Int32Array {
  const idom = immediateDominators(successors);
  const unreachable: number[] = [];
  for (let v = 1; v < idom.length; v++) if (idom[v] === -1) unreachable.push(v);
  if (unreachable.length === 0) return idom;
  successors[0] = [...new Set([...successors[0]!, ...unreachable])].sort((a, b) => a - b);
  return immediateDominators(successors);
}

/** The child of the root whose dominator subtree holds `v`. */
function topAncestor(idom: Int32Array, v: number): number {
  while (idom[v] !== 0) v = idom[v]!;
  return v;
}
