/**
 * Several `lading serve` processes sharing one Redis and one S3 endpoint behave as one
 * registry: one build per image, takeover after SIGKILL, verified blobs, clean 503s
 * while a peer is down and recovery after it returns.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { startRegistry, toolsSkipReason, type RunningRegistry } from "../e2e/registry-process.js";
import { S3RVER_CREDENTIALS, peerSkipReason, replicaEnv, startRedis, startS3rver } from "../storage/peers.js";
import { blake3Hex, decodeChunkList, decodeDirectory, decodePathInfo, pathInfoKey } from "../../store/index.js";

const skip = peerSkipReason("redis-server", "s3rver") || toolsSkipReason(["gcc", "bwrap"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

let redis: Awaited<ReturnType<typeof startRedis>>;
let s3: Awaited<ReturnType<typeof startS3rver>>;
let watcher: Redis;
const replicas: RunningRegistry[] = [];
/** The replica started with LADING_S3_REDIRECT=true. */
let redirecting: RunningRegistry;

async function startReplica(extra: Record<string, string> = {}): Promise<RunningRegistry> {
  for (let attempt = 1; ; attempt++) {
    try {
      const replica = await startRegistry(replicaEnv(redis.url, s3.endpoint, { LADING_BUILD_LOCK_TTL: "4", ...extra }));
      replicas.push(replica);
      return replica;
    } catch (err) {
      // A free port picked by probing can be taken by another process before we listen.
      if (attempt === 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

interface Pulled {
  status: number;
  digest: string | null;
  body: Buffer;
  retryAfter: string | null;
}

async function get(replica: RunningRegistry, path: string, headers: Record<string, string> = {}): Promise<Pulled> {
  const response = await fetch(replica.url + path, { headers: { Accept: ACCEPT, ...headers } });
  return {
    status: response.status,
    digest: response.headers.get("docker-content-digest"),
    body: Buffer.from(await response.arrayBuffer()),
    retryAfter: response.headers.get("retry-after"),
  };
}

/** A single-platform manifest of the image (the first entry when it is an index). */
async function platformManifest(replica: RunningRegistry, name: string, body: Buffer): Promise<{ layers: { digest: string }[] }> {
  const doc = JSON.parse(body.toString("utf8")) as { manifests?: { digest: string }[]; layers?: { digest: string }[] };
  if (!doc.manifests) return doc as { layers: { digest: string }[] };
  return JSON.parse((await get(replica, `/v2/${name}/manifests/${doc.manifests[0]!.digest}`)).body.toString("utf8")) as { layers: { digest: string }[] };
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function builds(replica: RunningRegistry): Promise<Record<string, number>> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^lading_builds_total\{result="(\w+)"\} (\d+)/gm)) counts[m[1]!] = Number(m[2]);
  return counts;
}

/** Every blob the manifest (or index) names, fetched through `via` round-robin, matches its digest. */
async function verifyImage(name: string, manifestBody: Buffer, via: RunningRegistry[]): Promise<number> {
  const doc = JSON.parse(manifestBody.toString("utf8")) as { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
  let checked = 0;
  const digests: string[] = [];
  if (doc.manifests) {
    for (const [i, entry] of doc.manifests.entries()) {
      const sub = await get(via[i % via.length]!, `/v2/${name}/manifests/${entry.digest}`);
      assert.equal(sub.status, 200);
      assert.equal(sha256(sub.body), entry.digest);
      checked += 1 + (await verifyImage(name, sub.body, via));
    }
  }
  if (doc.config) digests.push(doc.config.digest);
  for (const layer of doc.layers ?? []) digests.push(layer.digest);
  for (const [i, digest] of digests.entries()) {
    const blob = await get(via[i % via.length]!, `/v2/${name}/blobs/${digest}`);
    assert.equal(blob.status, 200, `blob ${digest}`);
    assert.equal(sha256(blob.body), digest, "a served blob matches its digest");
    checked++;
  }
  return checked;
}

before(async () => {
  if (skip) return;
  [redis, s3] = await Promise.all([startRedis(), startS3rver()]);
  watcher = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  watcher.on("error", () => undefined);
  await watcher.connect();
  // allSettled: every replica that started is in `replicas`, so `after` stops it even if another failed.
  const started = await Promise.allSettled([startReplica(), startReplica(), startReplica({ LADING_S3_REDIRECT: "true" })]);
  for (const result of started) if (result.status === "rejected") throw result.reason;
  redirecting = (started[2] as PromiseFulfilledResult<RunningRegistry>).value;
});

const alive = (r: RunningRegistry) => r.child.exitCode === null && r.child.signalCode === null;

after(async () => {
  watcher?.disconnect();
  // A replica killed by SIGKILL has exited already: stop() would wait for an exit that came.
  await Promise.all(replicas.filter(alive).map((r) => r.stop()));
  await Promise.all([redis?.stop(), s3?.stop()]);
});

test("a replica killed mid-build is taken over by another; the image is complete and verified", { skip, timeout: 120_000 }, async () => {
  // Kill one that streams blobs; the redirecting one is needed later.
  const [a, b] = replicas.filter((r) => r !== redirecting) as [RunningRegistry, RunningRegistry];
  const c = redirecting;
  const doomed = get(a, "/v2/libgreet/manifests/latest").catch((err: unknown) => err);
  const deadline = Date.now() + 30_000;
  while ((await watcher.keys("lading:lock:*")).length === 0) {
    assert.ok(Date.now() < deadline, "replica A took the build lock");
    await sleep(50);
  }
  await sleep(500);
  a.child.kill("SIGKILL");
  assert.ok((await doomed) instanceof Error, "A's client lost its connection");
  const taken = await get(b, "/v2/libgreet/manifests/latest");
  assert.equal(taken.status, 200, taken.body.toString());
  const counts = await builds(b);
  assert.equal(counts.takeover, 1, "B took over the dead holder's build");
  assert.equal(counts.success, 1);
  // Everyone now serves the same manifest, and every blob verifies.
  const again = await get(c, "/v2/libgreet/manifests/latest");
  assert.equal(again.digest, taken.digest);
  assert.deepEqual(again.body, taken.body);
  assert.ok((await verifyImage("libgreet", taken.body, [b, c])) >= 3);
  // The AWS SDK's multi-line Node-version warning would break the one-JSON-object-per-line log.
  for (const replica of [b, c]) assert.doesNotMatch(replica.stderr(), /NodeVersionSupportWarning/);
});

test("concurrent cold pulls spread over replicas: exactly one build, identical manifests", { skip, timeout: 120_000 }, async () => {
  const live = replicas.filter(alive);
  live.push(await startReplica());
  const before = await Promise.all(live.map(builds));
  const pulls = await Promise.all(Array.from({ length: 12 }, (_, i) => get(live[i % live.length]!, "/v2/cacert/manifests/latest")));
  for (const pull of pulls) assert.equal(pull.status, 200, pull.body.toString());
  assert.equal(new Set(pulls.map((p) => p.digest)).size, 1);
  assert.equal(new Set(pulls.map((p) => p.body.toString("base64"))).size, 1);
  const afterCounts = await Promise.all(live.map(builds));
  const delta = (key: string) => afterCounts.reduce((sum, c, i) => sum + (c[key] ?? 0) - (before[i]![key] ?? 0), 0);
  assert.equal(delta("success"), 1, "one build across all replicas");
  assert.equal(delta("failure"), 0);
  assert.ok(delta("waited") >= 1, "other replicas waited for it");
  await verifyImage("cacert", pulls[0]!.body, live);
  // Redirect mode: replica C answers blob GETs with a presigned URL to the S3 endpoint.
  const manifest = await platformManifest(redirecting, "cacert", pulls[0]!.body);
  const redirect = await fetch(`${redirecting.url}/v2/cacert/blobs/${manifest.layers[0]!.digest}`, { redirect: "manual" });
  assert.equal(redirect.status, 307);
  assert.ok(redirect.headers.get("location")!.startsWith(s3.endpoint));
});

test("Redis and then S3 stopped under load: only 200s with the right digest or 503 + Retry-After; service resumes", { skip, timeout: 120_000 }, async () => {
  const live = replicas.filter(alive);
  const reference = await get(live[0]!, "/v2/cacert/manifests/latest");
  assert.equal(reference.status, 200);
  const manifest = await platformManifest(live[0]!, "cacert", reference.body);
  const layer = manifest.layers[0]!.digest;
  const seen = { ok: 0, unavailable: 0, aborted: 0 };
  let s3Stopping = false;
  const problems: string[] = [];
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const replica = live[i % live.length]!;
      const blob = i % 2 === 1;
      const pulled = await get(replica, blob ? `/v2/cacert/blobs/${layer}` : "/v2/cacert/manifests/latest").catch((err: Error) => err);
      if (pulled instanceof Error && blob && s3Stopping) {
        // A blob being streamed when S3 goes away is cut off (connection reset, short body):
        // the client sees a failed transfer, never a complete-looking wrong blob.
        seen.aborted++;
      } else if (pulled instanceof Error) {
        const cause = (pulled as { cause?: { code?: string; message?: string } }).cause;
        problems.push(`${blob ? "blob" : "manifest"} request to ${replica.url} failed: ${pulled.message} (${cause?.code ?? ""} ${cause?.message ?? ""}); replica alive: ${alive(replica)}`);
      }
      else if (pulled.status === 200) {
        seen.ok++;
        const expected = blob ? layer : reference.digest;
        if ((blob ? sha256(pulled.body) : pulled.digest) !== expected) problems.push(`wrong ${blob ? "blob" : "manifest"} served`);
      } else if (pulled.status === 503 && pulled.retryAfter) seen.unavailable++;
      else problems.push(`status ${pulled.status}: ${pulled.body.toString().slice(0, 200)}`);
      await sleep(20);
    }
  })();
  const ready = async (replica: RunningRegistry) => (await fetch(`${replica.url}/readyz`)).status;
  await sleep(300);
  await redis.stop();
  await sleep(1500);
  assert.equal(await ready(live[0]!), 503, "not ready without Redis");
  await redis.start();
  for (const replica of live) {
    const deadline = Date.now() + 15_000;
    while ((await ready(replica)) !== 200) {
      assert.ok(Date.now() < deadline, "ready again after Redis returned");
      await sleep(200);
    }
  }
  // Redis came back empty: the image is rebuilt, to the same digest.
  const rebuilt = await get(live[1]!, "/v2/cacert/manifests/latest");
  assert.equal(rebuilt.status, 200);
  assert.equal(rebuilt.digest, reference.digest);
  const unavailableBeforeS3 = seen.unavailable;
  s3Stopping = true;
  await s3.stop();
  await sleep(1500);
  const blobDown = await get(live[0]!, `/v2/cacert/blobs/${layer}`);
  assert.equal(blobDown.status, 503);
  assert.ok(blobDown.retryAfter);
  assert.equal(await ready(live[1]!), 503, "not ready without S3");
  await s3.start();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const blob = await get(live[0]!, `/v2/cacert/blobs/${layer}`);
    if (blob.status === 200) {
      assert.equal(sha256(blob.body), layer);
      s3Stopping = false;
      break;
    }
    assert.ok(Date.now() < deadline, "blobs served again after S3 returned");
    await sleep(200);
  }
  await sleep(300);
  stop = true;
  await load;
  assert.deepEqual(problems, []);
  assert.ok(seen.ok > 10);
  assert.ok(seen.unavailable > unavailableBeforeS3, "S3 outage answered with 503 + Retry-After");
});

test("nothing corrupt in the bucket: every object has the digest its key names, castore objects and records decode", { skip, timeout: 60_000 }, async () => {
  const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  const keys: string[] = [];
  for (let token: string | undefined; ; ) {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "lading", ...(token ? { ContinuationToken: token } : {}) }));
    keys.push(...(listed.Contents ?? []).map((o) => o.Key!));
    if (!listed.IsTruncated) break;
    token = listed.NextContinuationToken;
  }
  assert.ok(keys.filter((k) => k.startsWith("blobs/sha256/")).length >= 6);
  // The castore (on by default) shares the bucket: blobs, chunk lists and directory nodes named by BLAKE3.
  assert.ok(keys.some((k) => k.startsWith("castore/dir/")), "realised paths are in the castore");
  for (const key of keys) {
    const body = Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: "lading", Key: key }))).Body!.transformToByteArray());
    const castore = /^castore\/(blob|list|dir)\/([0-9a-f]{64})$/.exec(key);
    if (castore) {
      assert.equal(blake3Hex(body), castore[2], `BLAKE3 of ${key}`);
      if (castore[1] === "list") decodeChunkList(body);
      if (castore[1] === "dir") decodeDirectory(body);
      continue;
    }
    assert.match(key, /^blobs\/sha256\/[0-9a-f]{64}$/, `only content-addressed objects remain (${key})`);
    assert.equal(sha256(body), `sha256:${key.slice("blobs/sha256/".length)}`);
  }
  // Path records (in Redis) parse and sit under their store path's hash part.
  for (const id of await watcher.keys("lading:castore:path:*")) {
    const record = decodePathInfo(Buffer.from((await watcher.getBuffer(id))!));
    assert.equal(id, `lading:castore:path:${pathInfoKey(record.storePath)}`);
  }
  client.destroy();
});
