/**
 * Issue 8's check: two `lading serve` replicas sharing S3 (s3rver) and Redis
 * (redis-server). Replica A realises a closure from a binary cache (the test's HTTP
 * server counts requests) into the shared castore, not onto its disk; replica B then serves an image of paths from that closure
 * without one request to the cache and without the closure on its disk (its layers
 * and customisation layer are read from the castore), the image is the one a replica
 * without a castore builds from its disk (same digest), and the image pulled from B
 * runs.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nixSkipReason } from "../helpers/nix.js";
import { CacheServer } from "../builder/fixture.js";
import { peerSkipReason, replicaEnv, startRedis, startS3rver, type Peer } from "../storage/peers.js";
import { prepareDevPackageSet, type DevPackageSet } from "./dev-pkgs.js";
import { startRegistry, toolsSkipReason, type RunningRegistry } from "./registry-process.js";

const skip = nixSkipReason() || peerSkipReason("redis-server", "s3rver") || toolsSkipReason(["skopeo", "umoci", "chroot", "gcc"]);
const ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";

let pkgs: DevPackageSet;
let cache: CacheServer;
let redis: Peer & { url: string };
let s3: Peer & { endpoint: string };
const registries: RunningRegistry[] = [];

before(async () => {
  if (skip) return;
  pkgs = prepareDevPackageSet();
  cache = await CacheServer.start(pkgs.substituters.replace(/^file:\/\//, ""));
  [redis, s3] = await Promise.all([startRedis(), startS3rver()]);
});

after(async () => {
  await Promise.allSettled(registries.map((r) => r.stop()));
  await Promise.allSettled([cache?.close(), redis?.stop(), s3?.stop()]);
});

async function replica(): Promise<RunningRegistry> {
  const env = replicaEnv(redis.url, s3.endpoint, {
    LADING_PKGS_PATH: pkgs.dir,
    LADING_SUBSTITUTERS: cache.url,
    LADING_TRUSTED_KEYS: pkgs.trustedKeys,
  });
  const registry = await startRegistry(env);
  registries.push(registry);
  return registry;
}

async function getManifest(registry: RunningRegistry, name: string): Promise<string> {
  const res = await fetch(`${registry.url}/v2/${name}/manifests/latest`, { headers: { accept: ACCEPT } });
  const body = await res.text();
  assert.equal(res.status, 200, `${name} on ${registry.host}: ${body}\n${registry.stderr()}`);
  return res.headers.get("docker-content-digest")!;
}

/** Package outputs on a replica's own disk (its local store under the data dir; .drv files and sources aside). */
function outputsOnDisk(registry: RunningRegistry): string[] {
  const dir = join(registry.dataDir, "store", "nix", "store");
  const names = existsSync(dir) ? readdirSync(dir) : [];
  return names.filter((name) => /-(busybox|hello|libgreet|greet|welcome)-[0-9.]+$/.test(name));
}

test("a closure replica A realised is used by replica B without any request to the binary cache", { skip }, async () => {
  const a = await replica();
  await getManifest(a, "welcome");
  const narRequests = cache.count((p) => p.startsWith("/nar/"));
  assert.ok(narRequests >= 4, `A substituted welcome's closure from the cache (${narRequests} NARs)`);
  // A substitutes into the castore only: the registry reads layers from there.
  assert.deepEqual(outputsOnDisk(a), [], "A did not unpack the closure on its disk");

  const b = await replica();
  const before = cache.requests.length;
  // Not an image A built (B cannot take it from the shared manifest cache): B must realise it.
  const fromCastore = await getManifest(b, "greet/hello");
  assert.deepEqual(cache.requests.slice(before), [], "B asked the binary cache nothing");
  assert.deepEqual(outputsOnDisk(b), [], "B never had the closure's outputs on its disk");

  // The same image from a lone replica without a castore (everything unpacked on its disk): same digest.
  const lone = await startRegistry({ LADING_PKGS_PATH: pkgs.dir, LADING_SUBSTITUTERS: cache.url, LADING_TRUSTED_KEYS: pkgs.trustedKeys, LADING_CASTORE: "off" });
  registries.push(lone);
  assert.equal(await getManifest(lone, "greet/hello"), fromCastore, "layers read from the castore are the layers read from disk");
  assert.ok(outputsOnDisk(lone).length >= 4, "the lone replica unpacked the closure");

  // The image B assembled from the castore runs.
  const dir = mkdtempSync(join(tmpdir(), "lading-e2e-castore-"));
  execFileSync("skopeo", ["copy", "--src-tls-verify=false", `docker://${b.host}/greet/hello`, `oci:${dir}/layout:latest`], { stdio: "pipe" });
  execFileSync("umoci", ["unpack", "--rootless", "--image", `${dir}/layout:latest`, `${dir}/bundle`], { stdio: "pipe" });
  const rootfs = join(dir, "bundle", "rootfs");
  assert.equal(execFileSync("chroot", [rootfs, "/bin/greet"]).toString(), "greetings\n");
  assert.equal(execFileSync("chroot", [rootfs, "/bin/hello"]).toString(), "Hello, world!\n");
});
