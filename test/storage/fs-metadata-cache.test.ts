import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsMetadataCache, LAYERS, MANIFESTS } from "../../storage/index.js";

test("entries without a TTL survive a new instance; TTL entries and counters do not", async () => {
  const root = mkdtempSync(join(tmpdir(), "lading-meta-"));
  const first = new FsMetadataCache(root);
  await first.set(MANIFESTS, "request-a", '{"digest":"sha256:1"}');
  await first.set(LAYERS, "layer-a", "layer");
  await first.set(MANIFESTS, "short", "gone", { ttlMs: 60_000 });
  assert.equal(await first.incr("popularity", "x", 3), 3);
  assert.equal(await first.get(MANIFESTS, "short"), "gone");

  const second = new FsMetadataCache(root);
  assert.equal(await second.get(MANIFESTS, "request-a"), '{"digest":"sha256:1"}');
  assert.equal(await second.get(LAYERS, "layer-a"), "layer");
  assert.equal(await second.get(LAYERS, "request-a"), undefined, "namespaces are apart");
  assert.equal(await second.get(MANIFESTS, "short"), undefined);
  assert.equal(await second.count("popularity", "x"), 0);

  await second.delete(MANIFESTS, "request-a");
  assert.equal(await new FsMetadataCache(root).get(MANIFESTS, "request-a"), undefined);
  assert.deepEqual(readdirSync(join(root, MANIFESTS)).filter((n) => n.endsWith(".tmp")), []);
  await assert.rejects(second.get("../escape", "k"), /bad cache namespace/);
});
