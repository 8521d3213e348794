import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { closureGraph, LocalStore, Substituter } from "../../builder/index.js";
import { computeTextPath, type StorePath } from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { buildNixClosure, makeNixCache, nixQuery, tempDir } from "./fixture.js";

test("closure graph sizes and references match CppNix's", { skip: nixSkipReason() }, async () => {
  const closure = buildNixClosure(`c${Date.now().toString(36)}`);
  const cache = makeNixCache([closure.top], "zstd");
  const store = await LocalStore.open({ root: join(tempDir("store"), "root") });
  try {
    await new Substituter(store, { urls: [cache.url], trustedKeys: [cache.key.publicKey] }).substitute([closure.top]);
    const graph = closureGraph(store, [closure.top]);
    assert.deepEqual([...graph.nodes.keys()].sort(), closure.all.map((p) => p.baseName).sort());
    assert.deepEqual(graph.roots, [closure.top]);
    for (const node of graph.nodes.values()) {
      const path = node.path.render();
      assert.equal(node.narSize, Number(nixQuery("--size", node.path)[0]), path);
      const nixClosureSize = runNix("nix", ["path-info", "--closure-size", path]).toString().trim().split(/\s+/)[1];
      assert.equal(node.closureSize, Number(nixClosureSize), `closure size of ${path}`);
      const refs = nixQuery("--references", node.path).filter((r) => r !== path);
      assert.deepEqual(node.references.map((r) => r.render()).sort(), refs.sort(), `references of ${path}`);
    }
    // mid refers to itself: the graph leaves self out.
    assert.ok(store.queryPathInfo(closure.mid)!.references.some((r) => r.equals(closure.mid)));
    assert.ok(!graph.nodes.get(closure.mid.baseName)!.references.some((r) => r.equals(closure.mid)));
    // Every node comes after its references.
    const position = new Map(graph.order.map((p, i) => [p.baseName, i]));
    for (const node of graph.nodes.values()) {
      for (const ref of node.references) assert.ok(position.get(ref.baseName)! < position.get(node.path.baseName)!);
    }
    assert.equal(graph.totalSize, graph.nodes.get(closure.top.baseName)!.closureSize);
    assert.deepEqual(graph.nodes.get(closure.tree.baseName)!.referrers.map((p) => p.baseName).sort(), [closure.leaf, closure.note, closure.top].map((p) => p.baseName).sort());
  } finally {
    await store.close();
  }
});

test("closure sizes count shared paths once (diamonds), with many nodes", () => {
  // A layered random DAG: closure sizes by brute force against the bitset computation.
  const n = 300;
  const paths = Array.from({ length: n }, (_, i) => computeTextPath(`p${i}`, `node ${i}`));
  const refs = new Map<string, StorePath[]>();
  const sizes = new Map<string, number>();
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  paths.forEach((p, i) => {
    const r: StorePath[] = [];
    for (let k = 0; k < 4 && i > 0; k++) r.push(paths[Math.floor(rand() * i)]!);
    refs.set(p.baseName, r);
    sizes.set(p.baseName, 1 + Math.floor(rand() * 1000));
  });
  const source = { queryPathInfo: (p: StorePath) => ({ narSize: sizes.get(p.baseName)!, references: refs.get(p.baseName)! }) };
  const graph = closureGraph(source, [paths[n - 1]!, paths[n - 2]!]);
  for (const node of graph.nodes.values()) {
    const seen = new Set<string>();
    const stack = [node.path];
    while (stack.length) {
      const p = stack.pop()!;
      if (seen.has(p.baseName)) continue;
      seen.add(p.baseName);
      stack.push(...refs.get(p.baseName)!);
    }
    const expected = [...seen].reduce((sum, b) => sum + sizes.get(b)!, 0);
    assert.equal(node.closureSize, expected, node.path.baseName);
  }
});
