import { sortStorePaths, type StorePath } from "../store/index.js";

/** What a closure graph needs to know of a path. */
export interface PathInfoSource {
  queryPathInfo(path: StorePath): { narSize: number; references: readonly StorePath[] } | undefined;
}

export interface ClosureNode {
  readonly path: StorePath;
  readonly narSize: number;
  /** narSize of every path in this node's closure, itself included, each counted once. */
  readonly closureSize: number;
  /** Sorted, without the path itself. */
  readonly references: readonly StorePath[];
  /** Nodes of the graph that refer to this one, sorted. */
  readonly referrers: readonly StorePath[];
}

export interface ClosureGraph {
  readonly roots: readonly StorePath[];
  /** By base name. */
  readonly nodes: ReadonlyMap<string, ClosureNode>;
  /** Every node, references before referrers (ties by base name): a stable order to lay out. */
  readonly order: readonly StorePath[];
  /** narSize of the whole closure. */
  readonly totalSize: number;
}

/**
 * The runtime closure of `roots` as a graph with sizes, for layering. Throws when a
 * path of the closure is unknown to `source`.
 */
export function closureGraph(source: PathInfoSource, roots: Iterable<StorePath>): ClosureGraph {
  const rootList = sortStorePaths(roots);
  const infos = new Map<string, { path: StorePath; narSize: number; references: StorePath[] }>();
  const stack = [...rootList];
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (infos.has(path.baseName)) continue;
    const info = source.queryPathInfo(path);
    if (!info) throw new Error(`path '${path.baseName}' of the closure is not valid`);
    const references = sortStorePaths(info.references.filter((r) => !r.equals(path)));
    infos.set(path.baseName, { path, narSize: info.narSize, references });
    for (const ref of references) if (!infos.has(ref.baseName)) stack.push(ref);
  }

  // Topological order (references first) by depth-first search, visiting in base-name order.
  const order: StorePath[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (base: string): void => {
    const s = state.get(base);
    if (s === "done") return;
    if (s === "visiting") throw new Error(`reference cycle through '${base}'`);
    state.set(base, "visiting");
    const node = infos.get(base)!;
    for (const ref of node.references) visit(ref.baseName);
    state.set(base, "done");
    order.push(node.path);
  };
  for (const base of [...infos.keys()].sort()) visit(base);

  // Closure sets as bitsets over the topological index: each node's set is itself plus its references' sets.
  const indexOf = new Map(order.map((p, i) => [p.baseName, i]));
  const words = Math.ceil(order.length / 32);
  const sets: Uint32Array[] = [];
  const sizes = order.map((p) => infos.get(p.baseName)!.narSize);
  const closureSizes: number[] = [];
  for (let i = 0; i < order.length; i++) {
    const set = new Uint32Array(words);
    set[i >>> 5]! |= 1 << (i & 31);
    for (const ref of infos.get(order[i]!.baseName)!.references) {
      const other = sets[indexOf.get(ref.baseName)!]!;
      for (let w = 0; w < words; w++) set[w]! |= other[w]!;
    }
    sets.push(set);
    let total = 0;
    for (let w = 0; w < words; w++) {
      let bits = set[w]!;
      while (bits !== 0) {
        const low = bits & -bits;
        total += sizes[w * 32 + 31 - Math.clz32(low)]!;
        bits ^= low;
      }
    }
    closureSizes.push(total);
  }

  const referrers = new Map<string, StorePath[]>();
  for (const { path, references } of infos.values()) {
    for (const ref of references) {
      let list = referrers.get(ref.baseName);
      if (!list) referrers.set(ref.baseName, (list = []));
      list.push(path);
    }
  }
  const nodes = new Map<string, ClosureNode>();
  order.forEach((path, i) => {
    const info = infos.get(path.baseName)!;
    nodes.set(path.baseName, {
      path,
      narSize: info.narSize,
      closureSize: closureSizes[i]!,
      references: info.references,
      referrers: sortStorePaths(referrers.get(path.baseName) ?? []),
    });
  });
  const totalSize = sizes.reduce((a, b) => a + b, 0);
  return { roots: rootList, nodes, order, totalSize };
}
