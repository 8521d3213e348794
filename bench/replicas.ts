/**
 * Scale-out, in one run, against real peers (redis-server, s3rver) started here:
 * - warm pulls per second (manifest by tag, manifest by digest, config blob) through
 *   one replica, then spread over two replicas sharing Redis and S3;
 * - blob throughput from S3 streamed through a replica (proxied) versus a redirect to
 *   a presigned URL (the client then reads from the S3 endpoint itself).
 *
 *   node dist/bench/replicas.js [--seconds N] [--concurrency N] [--blob-mb N]
 *
 * Both replicas and the peers share this machine's cores, so "two vs one" shows the
 * coordination overhead and the headroom a second core gives, not a cluster's scaling.
 */
import { createHash, randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { S3BlobStore, storageConfigFromEnv } from "../storage/index.js";
import { startRegistry, type RunningRegistry } from "../test/e2e/registry-process.js";
import { S3RVER_CREDENTIALS, replicaEnv, startRedis, startS3rver } from "../test/storage/peers.js";

const ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";

function parseOptions(argv: string[]) {
  const options = { seconds: 5, concurrency: 16, blobMb: 64 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === "--seconds") options.seconds = value;
    else if (argv[i] === "--concurrency") options.concurrency = value;
    else if (argv[i] === "--blob-mb") options.blobMb = value;
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return options;
}

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET over a keep-alive agent (no redirects followed). */
function get(agent: Agent, url: string, headers: Record<string, string> = {}, keepBody = true): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => keepBody && chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Streams a body through sha256 without keeping it; returns bytes read and the digest. */
function download(agent: Agent, url: string): Promise<{ status: number; bytes: number; digest: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      const hash = createHash("sha256");
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, digest: `sha256:${hash.digest("hex")}`, ...(res.headers.location ? { location: res.headers.location } : {}) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function warmPullsPerSecond(agent: Agent, urls: string[], image: string, seconds: number, concurrency: number): Promise<number> {
  // Resolve the pull's digests once (they are what a client would learn from the first response).
  const tagged = await get(agent, `${urls[0]}/v2/${image}/manifests/latest`, { Accept: ACCEPT });
  const doc = JSON.parse(tagged.body.toString()) as { manifests?: { digest: string }[]; config?: { digest: string } };
  const platformDigest = doc.manifests ? doc.manifests[0]!.digest : String(tagged.headers["docker-content-digest"]);
  const platform = JSON.parse((await get(agent, `${urls[0]}/v2/${image}/manifests/${platformDigest}`, { Accept: ACCEPT })).body.toString()) as {
    config: { digest: string };
  };
  const deadline = performance.now() + seconds * 1000;
  let pulls = 0;
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const base = urls[next++ % urls.length]!;
      const steps = [
        get(agent, `${base}/v2/${image}/manifests/latest`, { Accept: ACCEPT }, false),
        get(agent, `${base}/v2/${image}/manifests/${platformDigest}`, { Accept: ACCEPT }, false),
        get(agent, `${base}/v2/${image}/blobs/${platform.config.digest}`, {}, false),
      ];
      for (const step of steps) if ((await step).status !== 200) throw new Error(`warm pull step failed on ${base}`);
      pulls++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return pulls / ((performance.now() - started) / 1000);
}

async function blobMbPerSecond(agent: Agent, url: string, expected: string, sizeBytes: number, rounds: number, followRedirect: boolean): Promise<number> {
  let total = 0;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    let got = await download(agent, url);
    if (followRedirect) {
      if (got.status !== 307 || !got.location) throw new Error(`expected a redirect, got ${got.status}`);
      got = await download(agent, got.location);
    }
    if (got.status !== 200 || got.digest !== expected || got.bytes !== sizeBytes) throw new Error(`blob download wrong (${got.status}, ${got.bytes} bytes)`);
    total += got.bytes;
  }
  return total / 1e6 / ((performance.now() - started) / 1000);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const [redis, s3] = await Promise.all([startRedis(), startS3rver()]);
  const replicas: RunningRegistry[] = [];
  try {
    const env = (extra: Record<string, string> = {}) => replicaEnv(redis.url, s3.endpoint, extra);
    replicas.push(...(await Promise.all([startRegistry(env()), startRegistry(env()), startRegistry(env({ LADING_S3_REDIRECT: "true" }))])));
    const [one, two, redirecting] = replicas as [RunningRegistry, RunningRegistry, RunningRegistry];
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency * 2 });

    const image = "cacert";
    const cold = performance.now();
    const first = await get(agent, `${one.url}/v2/${image}/manifests/latest`, { Accept: ACCEPT });
    if (first.status !== 200) throw new Error(`cold pull failed: ${first.status} ${first.body.toString()}`);
    console.log(`cold build of '${image}' (examples/pkgs): ${((performance.now() - cold) / 1000).toFixed(2)} s`);

    const single = await warmPullsPerSecond(agent, [one.url], image, options.seconds, options.concurrency);
    const pair = await warmPullsPerSecond(agent, [one.url, two.url], image, options.seconds, options.concurrency);
    console.log(`warm pulls/s (3 requests each, concurrency ${options.concurrency}): one replica ${single.toFixed(0)}, two replicas ${pair.toFixed(0)}  ratio two/one ${(pair / single).toFixed(2)}x`);

    // A layer-sized blob straight into the bucket, then read through each path.
    const store = new S3BlobStore(storageConfigFromEnv(env()).s3!, { credentials: S3RVER_CREDENTIALS });
    const bytes = randomBytes(options.blobMb * 1024 * 1024);
    const info = await store.write(bytes);
    await store.close();
    const digest = `sha256:${info.digest.hex}`;
    const rounds = 3;
    const proxied = await blobMbPerSecond(agent, `${one.url}/v2/${image}/blobs/${digest}`, digest, bytes.length, rounds, false);
    const redirected = await blobMbPerSecond(agent, `${redirecting.url}/v2/${image}/blobs/${digest}`, digest, bytes.length, rounds, true);
    const direct = await blobMbPerSecond(agent, `${s3.endpoint}/lading/blobs/sha256/${info.digest.hex}`, digest, bytes.length, rounds, false).catch(() => NaN);
    console.log(
      `blob ${options.blobMb} MB x${rounds}: proxied ${proxied.toFixed(0)} MB/s, redirected ${redirected.toFixed(0)} MB/s` +
        `  ratio redirected/proxied ${(redirected / proxied).toFixed(2)}x` +
        (Number.isNaN(direct) ? "" : `  (S3 endpoint alone, unsigned: ${direct.toFixed(0)} MB/s)`),
    );
    agent.destroy();
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([redis.stop(), s3.stop()]);
  }
}

await main();
