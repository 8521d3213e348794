/**
 * How well layer groupings share between images: a synthetic package set shaped
 * like nixpkgs (a few very popular base libraries, many mid-level libraries,
 * applications on top), images of 1–4 random applications, and per strategy the
 * bytes a registry stores once identical layers are deduplicated, the bytes saved
 * by sharing, and the bytes stored twice because a path sits in different layers.
 *
 *   node dist/bench/layer-sharing.js [--images N] [--seed N]
 */
import { hashBytes, makeStorePath } from "../store/index.js";
import {
  groupLayers,
  groupOnePerPath,
  measureSharing,
  popularityFromGraph,
  type ClosureNode,
  type LayerGroup,
} from "../layering/index.js";
import { mulberry32 as prng } from "../test/helpers/random.js";


function packageSet(random: () => number): { nodes: Map<string, ClosureNode>; apps: string[] } {
  const path = (name: string) => makeStorePath("output:out", hashBytes("sha256", name), name).render();
  const size = (scale: number) => Math.floor(scale * Math.exp(random() * 3));
  const nodes = new Map<string, ClosureNode>();
  const tiers: string[][] = [[], [], []];
  const add = (tier: number, name: string, scale: number, picks: Array<[pool: string[], count: number]>) => {
    const references = new Set<string>();
    for (const [pool, count] of picks) for (let i = 0; i < count && pool.length; i++) references.add(pool[Math.floor(random() * pool.length)]!);
    const p = path(name);
    nodes.set(p, { path: p, narSize: size(scale), references: [...references] });
    tiers[tier]!.push(p);
  };
  for (let i = 0; i < 15; i++) add(0, `base${i}-1.0`, 2e6, [[tiers[0]!, i > 0 ? 2 : 0]]);
  for (let i = 0; i < 600; i++) add(1, `lib${i}-2.0`, 5e5, [[tiers[0]!, 3], [tiers[1]!, Math.floor(random() * 4)]]);
  for (let i = 0; i < 400; i++) add(2, `app${i}-3.0`, 3e6, [[tiers[0]!, 4], [tiers[1]!, 2 + Math.floor(random() * 8)]]);
  return { nodes, apps: tiers[2]! };
}

function closureOf(nodes: Map<string, ClosureNode>, roots: string[]): ClosureNode[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    stack.push(...nodes.get(p)!.references);
  }
  return [...seen].map((p) => nodes.get(p)!);
}

function main(): void {
  const argv = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const random = prng(option("--seed", 1));
  const { nodes, apps } = packageSet(random);
  // Popularity computed from the whole package set (in-degree), the same for every image.
  const popularity = popularityFromGraph([...nodes.values()]);
  const images = Array.from({ length: option("--images", 40) }, () => {
    const roots = Array.from({ length: 1 + Math.floor(random() * 4) }, () => apps[Math.floor(random() * apps.length)]!);
    return { roots, closure: closureOf(nodes, roots) };
  });
  const sizes = new Map([...nodes.values()].map((n) => [n.path, n.narSize]));
  const strategies: Array<[string, (image: (typeof images)[number]) => LayerGroup[] | Array<{ paths: string[] }>]> = [
    ["nixery budget 99", (img) => groupLayers(img.closure, img.roots, { popularity, budget: 99 })],
    ["nixery budget 20", (img) => groupLayers(img.closure, img.roots, { popularity, budget: 20 })],
    ["one per path", (img) => groupOnePerPath(img.closure, popularity)],
    ["one layer", (img) => [{ paths: img.closure.map((n) => n.path) }]],
  ];
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`.padStart(8);
  const avgPaths = images.reduce((s, i) => s + i.closure.length, 0) / images.length;
  console.log(`layer-sharing: ${images.length} images over ${nodes.size} packages, ${avgPaths.toFixed(0)} paths per image on average`);
  console.log(`${"strategy".padEnd(18)} ${"max layers".padStart(10)} ${"stored".padStart(8)} ${"shared".padStart(8)} ${"dup".padStart(8)} ${"ideal".padStart(8)}`);
  for (const [name, strategy] of strategies) {
    const layered = images.map(strategy);
    const report = measureSharing(layered, sizes);
    const maxLayers = Math.max(...layered.map((l) => l.length));
    console.log(
      `${name.padEnd(18)} ${String(maxLayers).padStart(10)} ${mb(report.storedBytes)} ${mb(report.sharedBytes)} ${mb(report.duplicatedBytes)} ${mb(report.uniquePathBytes)}`,
    );
  }
}

main();
