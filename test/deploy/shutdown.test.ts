import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startRegistry, toolsSkipReason } from "../e2e/registry-process.js";
import { REPO_ROOT } from "../storage/peers.js";

const skip = toolsSkipReason(["gcc", "bwrap"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("SIGTERM during a cold build: the request completes, its blobs are stored whole, then the process exits 0", { skip, timeout: 90_000 }, async () => {
  const replica = await startRegistry({ LADING_STORAGE: "filesystem", LADING_PKGS_PATH: join(REPO_ROOT, "examples", "pkgs") });
  const exited = new Promise<number | null>((done) => replica.child.once("exit", (code) => done(code)));
  const pending = fetch(`${replica.url}/v2/libgreet/manifests/latest`, { headers: { Accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json" } });
  // Wait until the build is under way (it takes several seconds), then ask the process to stop.
  await sleep(1500);
  replica.child.kill("SIGTERM");
  const response = await pending;
  assert.equal(response.status, 200);
  const body = Buffer.from(await response.arrayBuffer());
  assert.equal(await exited, 0, `exit code; the replica's stderr ends with:\n${replica.stderr().slice(-4000)}`);
  // Every blob the answer names is in storage with the right digest.
  const blobs = join(replica.dataDir, "storage", "blobs", "sha256");
  const check = (digest: string) => {
    const path = join(blobs, digest.slice("sha256:".length));
    assert.ok(existsSync(path), `${digest} stored`);
    const bytes = readFileSync(path);
    assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, digest);
    return bytes;
  };
  const doc = JSON.parse(body.toString()) as { manifests?: { digest: string }[] };
  const manifests = doc.manifests ? doc.manifests.map((m) => JSON.parse(check(m.digest).toString())) : [doc];
  for (const manifest of manifests as { config: { digest: string }; layers: { digest: string }[] }[]) {
    check(manifest.config.digest);
    for (const layer of manifest.layers) check(layer.digest);
  }
  const tmp = join(replica.dataDir, "storage", "tmp");
  assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], [], "no partial uploads left");
});
