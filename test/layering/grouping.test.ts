import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../helpers/random-tree.js";
import {
  groupLayers,
  groupOnePerPath,
  immediateDominators,
  layerKey,
  measureSharing,
  popularityFromBuildClosures,
  popularityJson,
  type ClosureNode,
  type DerivationEdges,
  type LayerGroup,
} from "../../layering/index.js";
import { closureOf, fakeStorePath } from "./fake-store.js";

const MB = 1024 * 1024;
const gzip6 = { algorithm: "gzip", level: 6 } as const;

/** A random DAG shaped like a closure: node i only refers to nodes after it. */
function randomClosure(seed: number, count: number): { nodes: ClosureNode[]; roots: string[] } {
  const random = seededRandom(seed);
  const paths = Array.from({ length: count }, (_, i) => fakeStorePath(`pkg${seed}-${i}`));
  const nodes = paths.map((path, i) => {
    const references = new Set<string>();
    const fanout = Math.floor(random() * 5);
    for (let k = 0; k < fanout && i + 1 < count; k++) references.add(paths[i + 1 + Math.floor(random() * (count - i - 1))]!);
    if (random() < 0.1) references.add(path); // self-references occur in real closures
    return { path, narSize: Math.floor(random() * 50 * MB), references: [...references] };
  });
  return { nodes, roots: paths.slice(0, 3) };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Dominators by definition: d dominates v iff v is unreachable from the entry once d is removed. */
function naiveIdom(successors: number[][]): number[] {
  const n = successors.length;
  const reachableWithout = (removed: number): boolean[] => {
    const seen = new Array<boolean>(n).fill(false);
    if (removed === 0) return seen;
    const stack = [0];
    seen[0] = true;
    while (stack.length) {
      for (const t of successors[stack.pop()!]!) {
        if (t !== removed && !seen[t]) {
          seen[t] = true;
          stack.push(t);
        }
      }
    }
    return seen;
  };
  const all = reachableWithout(-1);
  const dominators: Set<number>[] = Array.from({ length: n }, (_, v) => new Set([v]));
  for (let d = 0; d < n; d++) {
    const seen = reachableWithout(d);
    for (let v = 0; v < n; v++) if (all[v] && !seen[v] && v !== d) dominators[v]!.add(d);
  }
  // The immediate dominator is the strict dominator dominated by all the others.
  return dominators.map((set, v) => {
    if (!all[v]) return -1;
    if (v === 0) return 0;
    const strict = [...set].filter((d) => d !== v);
    return strict.find((d) => strict.every((o) => o === d || dominators[d]!.has(o)))!;
  });
}

function allPaths(layers: LayerGroup[]): string[] {
  return layers.flatMap((layer) => layer.paths).sort();
}

describe("immediateDominators", () => {
  it("agrees with the definition on random graphs (cycles included)", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const random = seededRandom(seed);
      const n = 2 + Math.floor(random() * 30);
      const successors = Array.from({ length: n }, () =>
        [...new Set(Array.from({ length: Math.floor(random() * 4) }, () => Math.floor(random() * n)))].sort((a, b) => a - b),
      );
      assert.deepEqual([...immediateDominators(successors)], naiveIdom(successors), `seed ${seed}`);
    }
  });
});

describe("groupLayers", () => {
  it("reproduces the published example: popular E and large G promoted, F under D", () => {
    const nodes = closureOf({
      A: { size: 1, refs: ["E"] },
      B: { size: 1, refs: ["E"] },
      C: { size: 1, refs: ["E"] },
      D: { size: 1, refs: ["F", "G"] },
      E: { size: 1 },
      F: { size: 1 },
      G: { size: 200 * MB },
    });
    const popularity = new Map([["E", 1000], ["A", 1], ["B", 1], ["C", 1], ["D", 1], ["F", 1], ["G", 1]]);
    const layers = groupLayers(nodes, ["A", "B", "C", "D"].map(fakeStorePath), { popularity, popularityPercentile: 90 });
    const sets = layers.map((layer) => layer.paths).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    const expected = [["A"], ["B"], ["C"], ["D", "F"], ["E"], ["G"]]
      .map((names) => names.map(fakeStorePath).sort())
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    assert.deepEqual(sets, expected);
    // G is the largest (rating = (1+1) × 200 MB) and comes first.
    assert.deepEqual(layers[0]!.paths, [fakeStorePath("G")]);
  });

  it("respects the budget and places every path in exactly one layer", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { nodes, roots } = randomClosure(seed, 200);
      for (const budget of [1, 2, 5, 30, 99]) {
        const layers = groupLayers(nodes, roots, { budget });
        assert.ok(layers.length <= budget, `seed ${seed} budget ${budget}: ${layers.length} layers`);
        const paths = allPaths(layers);
        assert.deepEqual(paths, nodes.map((n) => n.path).sort(), "each path once");
        for (const layer of layers) assert.deepEqual(layer.paths, [...layer.paths].sort());
      }
    }
  });

  it("is deterministic: input order does not change layers or their order", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { nodes, roots } = randomClosure(seed, 150);
      const reference = groupLayers(nodes, roots, { budget: 12 });
      const permuted = shuffled(nodes, seed).map((node) => ({ ...node, references: shuffled(node.references, seed + 1) }));
      assert.deepEqual(groupLayers(permuted, shuffled(roots, seed), { budget: 12 }), reference);
    }
  });

  it("isolates popular paths from the packages that use them", () => {
    const nodes = closureOf({
      curl: { size: 1 * MB, refs: ["openssl", "glibc", "libcurl"] },
      libcurl: { size: 1 * MB, refs: ["openssl", "glibc"] },
      openssl: { size: 5 * MB, refs: ["glibc"] },
      glibc: { size: 30 * MB },
    });
    const popularity = new Map([["glibc", 5000], ["openssl", 900], ["curl", 3], ["libcurl", 4]]);
    const layers = groupLayers(nodes, [fakeStorePath("curl")], { popularity, popularityPercentile: 75 });
    const owner = (name: string) => layers.find((layer) => layer.paths.includes(fakeStorePath(name)))!;
    assert.deepEqual(owner("glibc").paths, [fakeStorePath("glibc")]);
    assert.deepEqual(owner("openssl").paths, [fakeStorePath("openssl")]);
    assert.deepEqual(owner("curl").paths, [fakeStorePath("curl"), fakeStorePath("libcurl")].sort());
  });

  it("falls back to in-degree popularity when no data is given", () => {
    const spec: Record<string, { size: number; refs?: string[] }> = { libc: { size: MB } };
    for (let i = 0; i < 12; i++) spec[`app${i}`] = { size: MB, refs: ["libc", `lib${i}`] };
    for (let i = 0; i < 12; i++) spec[`lib${i}`] = { size: MB, refs: ["libc"] };
    const nodes = closureOf(spec);
    const layers = groupLayers(nodes, ["app0", "app1"].map(fakeStorePath), {});
    const libc = layers.find((layer) => layer.paths.includes(fakeStorePath("libc")))!;
    assert.deepEqual(libc.paths, [fakeStorePath("libc")]);
    assert.equal(libc.popularity, 24);
  });

  it("shares layers between two images with overlapping closures", () => {
    const common = {
      glibc: { size: 30 * MB },
      openssl: { size: 6 * MB, refs: ["glibc"] },
      zlib: { size: 1 * MB, refs: ["glibc"] },
    };
    const imageA = closureOf({ ...common, curl: { size: 2 * MB, refs: ["openssl", "zlib", "glibc"] } });
    const imageB = closureOf({ ...common, git: { size: 40 * MB, refs: ["openssl", "zlib", "glibc"] } });
    const popularity = new Map([["glibc", 9000], ["openssl", 2000], ["zlib", 3000], ["curl", 10], ["git", 5]]);
    const options = { popularity, popularityPercentile: 40 };
    const layersA = groupLayers(imageA, [fakeStorePath("curl")], options);
    const layersB = groupLayers(imageB, [fakeStorePath("git")], options);
    const keysA = new Set(layersA.map((layer) => layerKey(layer.paths, gzip6)));
    const shared = layersB.filter((layer) => keysA.has(layerKey(layer.paths, gzip6)));
    assert.equal(shared.length, 3, "glibc, openssl and zlib layers are the same in both images");

    const sizes = new Map([...imageA, ...imageB].map((node) => [node.path, node.narSize]));
    const report = measureSharing([layersA, layersB], sizes);
    assert.equal(report.sharedBytes, 37 * MB);
    assert.equal(report.duplicatedBytes, 0);
    assert.equal(report.storedBytes, 79 * MB);
    const single = measureSharing([[{ paths: imageA.map((n) => n.path) }], [{ paths: imageB.map((n) => n.path) }]], sizes);
    assert.equal(single.sharedBytes, 0);
    assert.equal(single.duplicatedBytes, 37 * MB);
    assert.equal(groupOnePerPath(imageA).length, 4);
  });

  it("keeps paths no requested path reaches instead of dropping them", () => {
    const nodes = closureOf({ app: { size: 1, refs: ["lib"] }, lib: { size: 1 }, stray: { size: 1, refs: ["strayDep"] }, strayDep: { size: 1 } });
    const layers = groupLayers(nodes, [fakeStorePath("app")], { popularity: new Map() });
    assert.deepEqual(allPaths(layers), nodes.map((n) => n.path).sort());
  });

  it("refuses references outside the closure and a zero budget", () => {
    const nodes = closureOf({ a: { size: 1, refs: ["missing"] } });
    assert.throws(() => groupLayers(nodes, [fakeStorePath("a")]), /not in the closure/);
    assert.throws(() => groupLayers(closureOf({ a: { size: 1 } }), [fakeStorePath("a")], { budget: 0 }), /budget/);
  });
});

describe("layerKey", () => {
  it("depends on the path set and compression, not on order", () => {
    const paths = ["b", "a", "c"].map(fakeStorePath);
    assert.equal(layerKey(paths, gzip6), layerKey([...paths].reverse(), gzip6));
    assert.notEqual(layerKey(paths, gzip6), layerKey(paths, { algorithm: "gzip", level: 9 }));
    assert.notEqual(layerKey(paths, gzip6), layerKey(paths.slice(1), gzip6));
  });
});

describe("popularityFromBuildClosures", () => {
  /** A random derivation DAG (drv i depends only on later ones), each with one or two outputs. */
  function randomSet(seed: number, count: number) {
    const random = seededRandom(seed);
    const drvs = Array.from({ length: count }, (_, i) => fakeStorePath(`d${seed}-${i}.drv`));
    const edges = new Map<string, DerivationEdges>();
    drvs.forEach((drv, i) => {
      const inputs = new Set<string>();
      for (let k = Math.floor(random() * 4); k > 0 && i + 1 < count; k--) inputs.add(drvs[i + 1 + Math.floor(random() * (count - i - 1))]!);
      const outputs = [fakeStorePath(`o${seed}-${i}`)];
      if (random() < 0.3) outputs.push(fakeStorePath(`o${seed}-${i}-dev`));
      edges.set(drv, { outputs, inputDrvs: [...inputs] });
    });
    return { drvs, edges };
  }

  it("counts, per output path, the packages whose build closure holds it (checked by per-package reachability)", () => {
    for (const seed of [1, 2, 3]) {
      const { drvs, edges } = randomSet(seed, 60);
      const packages = drvs.filter((_, i) => i % 3 === 0);
      const popularity = popularityFromBuildClosures([...packages, packages[0]!], (d) => edges.get(d)!);
      const expected = new Map<string, number>();
      for (const pkg of packages) {
        const reach = new Set<string>();
        const visit = (d: string) => {
          if (reach.has(d)) return;
          reach.add(d);
          edges.get(d)!.inputDrvs.forEach(visit);
        };
        visit(pkg);
        for (const d of reach) for (const out of edges.get(d)!.outputs) expected.set(out, (expected.get(out) ?? 0) + 1);
      }
      assert.deepEqual(new Map([...popularity].sort()), new Map([...expected].sort()));
      // Order of the packages does not matter, and the cached JSON form is canonical.
      const again = popularityFromBuildClosures(shuffled(packages, seed), (d) => edges.get(d)!);
      assert.equal(popularityJson(again), popularityJson(popularity));
    }
  });

  it("changes grouping: only paths many packages of the set use are promoted, not every path this image shares", () => {
    // The image: app → libfoo → libc. Within this closure every referenced path looks popular.
    const nodes = closureOf({ app: { size: MB, refs: ["libfoo"] }, libfoo: { size: MB, refs: ["libc"] }, libc: { size: MB } });
    const roots = [fakeStorePath("app")];
    assert.deepEqual(
      groupLayers(nodes, roots, {}).map((g) => g.paths.length),
      [1, 1, 1],
    );
    // The set: 30 other packages use libc, 20 zlib, 10 ssl, 5 pcre; libfoo and app are used once.
    const out = (name: string) => fakeStorePath(name);
    const drv = (name: string) => fakeStorePath(`${name}.drv`);
    const edges = new Map<string, DerivationEdges>([
      [drv("libfoo"), { outputs: [out("libfoo")], inputDrvs: [drv("libc")] }],
      [drv("app"), { outputs: [out("app")], inputDrvs: [drv("libfoo")] }],
    ]);
    for (const lib of ["libc", "zlib", "ssl", "pcre"]) edges.set(drv(lib), { outputs: [out(lib)], inputDrvs: [] });
    const packages = [drv("app")];
    for (let i = 0; i < 30; i++) {
      const inputs = [drv("libc"), ...(i < 20 ? [drv("zlib")] : []), ...(i < 10 ? [drv("ssl")] : []), ...(i < 5 ? [drv("pcre")] : [])];
      edges.set(drv(`other${i}`), { outputs: [out(`other${i}`)], inputDrvs: inputs });
      packages.push(drv(`other${i}`));
    }
    const popularity = popularityFromBuildClosures(packages, (d) => edges.get(d)!);
    assert.equal(popularity.get(out("libc")), 31);
    const setWide = groupLayers(nodes, roots, { popularity });
    assert.deepEqual(
      setWide.map((g) => g.paths),
      [[out("libc")], [out("app"), out("libfoo")].sort()],
    );
    // Deterministic: the same inputs in another order give the same layers.
    const reordered = popularityFromBuildClosures(shuffled(packages, 9), (d) => edges.get(d)!);
    assert.deepEqual(groupLayers(shuffled(nodes, 4), roots, { popularity: reordered }), setWide);
  });
});
