/**
 * The registry under load, in one run:
 * - cold image builds (evaluate / realise / layer / store) of the e2e package set,
 *   built by CppNix and substituted from a file:// cache (needs nix-bin, gcc, busybox);
 * - warm manifest requests per second and latency percentiles;
 * - blob serving throughput against CNCF distribution (Debian `docker-registry`,
 *   installed here with apt-get when missing) serving the same blob from disk.
 *
 *   node dist/bench/server.js [--seconds N] [--concurrency N] [--blob-mb N]
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "node:http";
import { prepareDevPackageSet } from "../test/e2e/dev-pkgs.js";
import { freePort, startRegistry } from "../test/e2e/registry-process.js";

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

function parseOptions(argv: string[]) {
  const options = { seconds: 5, concurrency: 16, blobMb: 256 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === "--seconds") options.seconds = value;
    else if (argv[i] === "--concurrency") options.concurrency = value;
    else if (argv[i] === "--blob-mb") options.blobMb = value;
    else throw new Error(`unknown argument '${argv[i]}'`);
    i++;
  }
  return options;
}

/** One GET over a keep-alive agent; resolves with the status and byte count once the body is read. */
function get(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function warmManifests(url: string, seconds: number, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const res = await get(agent, `${url}/v2/hello/manifests/latest`, { accept: OCI_INDEX });
      if (res.status !== 200) throw new Error(`warm manifest answered ${res.status}`);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function blobThroughput(url: string, size: number, streams: number, rounds: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: streams });
  const best: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: streams }, () => get(agent, url)));
    for (const r of results) if (r.status !== 200 || r.bytes !== size) throw new Error(`blob GET ${url}: ${r.status}, ${r.bytes} bytes`);
    best.push((streams * size) / ((performance.now() - started) / 1000) / 1e6);
  }
  agent.destroy();
  return best.sort((a, b) => a - b)[Math.floor(best.length / 2)]!;
}

function ensureDockerRegistry(): void {
  if (spawnSync("sh", ["-c", "command -v docker-registry"]).status === 0) return;
  const installed = spawnSync("apt-get", ["install", "-y", "-q", "docker-registry"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (installed.status !== 0) throw new Error("cannot install docker-registry (apt-get install docker-registry)");
}

async function startDistribution(root: string): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const config = join(root, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${root}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child = spawn("docker-registry", ["serve", config], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${url}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) return { url, stop: () => child.kill("SIGTERM") };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGTERM");
  throw new Error("docker-registry did not start");
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  ensureDockerRegistry();
  const pkgs = prepareDevPackageSet();
  const registry = await startRegistry({ LADING_PKGS_PATH: pkgs.dir, LADING_SUBSTITUTERS: pkgs.substituters, LADING_TRUSTED_KEYS: pkgs.trustedKeys });
  try {
    console.log("cold image builds (ms): total / evaluate / realise / layer / store  [images have amd64 + arm64]");
    for (const image of ["hello", "shell/hello", "welcome", "shell/greet/libgreet/welcome"]) {
      const started = performance.now();
      const res = await fetch(`${registry.url}/v2/${image}/manifests/latest`, { headers: { accept: OCI_INDEX } });
      const total = performance.now() - started;
      if (res.status !== 200) throw new Error(`${image}: ${res.status} ${await res.text()}`);
      const builds = (await (await fetch(`${registry.url}/_lading/builds`)).json()) as {
        builds: { image: string; timings: Record<string, number>; layersWritten: number; layersReused: number }[];
      };
      const entry = builds.builds.find((b) => b.image === image)!;
      const t = entry.timings;
      console.log(
        `  ${image.padEnd(30)} ${total.toFixed(0).padStart(6)} / ${t.evaluate} / ${t.realise} / ${t.layer} / ${t.store}   layers written ${entry.layersWritten}, reused ${entry.layersReused}`,
      );
    }

    const warm = await warmManifests(registry.url, options.seconds, options.concurrency);
    console.log(`warm manifest GET (concurrency ${options.concurrency}): ${warm.rps.toFixed(0)} req/s, p50 ${warm.p50.toFixed(2)} ms, p99 ${warm.p99.toFixed(2)} ms`);

    const size = options.blobMb << 20;
    const blob = randomBytes(size);
    const hex = createHash("sha256").update(blob).digest("hex");
    mkdirSync(join(registry.dataDir, "storage", "blobs", "sha256"), { recursive: true });
    writeFileSync(join(registry.dataDir, "storage", "blobs", "sha256", hex), blob);
    const peerRoot = mkdtempSync(join(tmpdir(), "lading-bench-distribution-"));
    const blobDir = join(peerRoot, "data", "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex);
    const linkDir = join(peerRoot, "data", "docker", "registry", "v2", "repositories", "bench", "_layers", "sha256", hex);
    mkdirSync(blobDir, { recursive: true });
    mkdirSync(linkDir, { recursive: true });
    writeFileSync(join(blobDir, "data"), blob);
    writeFileSync(join(linkDir, "link"), `sha256:${hex}`);
    const peer = await startDistribution(peerRoot);
    try {
      for (const streams of [1, 4]) {
        // Warm the page cache for both before measuring.
        await blobThroughput(`${registry.url}/v2/bench/blobs/sha256:${hex}`, size, 1, 1);
        await blobThroughput(`${peer.url}/v2/bench/blobs/sha256:${hex}`, size, 1, 1);
        const ours = await blobThroughput(`${registry.url}/v2/bench/blobs/sha256:${hex}`, size, streams, 3);
        const theirs = await blobThroughput(`${peer.url}/v2/bench/blobs/sha256:${hex}`, size, streams, 3);
        console.log(
          `blob GET ${options.blobMb} MiB x ${streams} streams: lading ${ours.toFixed(0)} MB/s, docker-registry ${theirs.toFixed(0)} MB/s, ratio lading/peer ${(ours / theirs).toFixed(2)} (target >= 1)`,
        );
      }
    } finally {
      peer.stop();
    }
  } finally {
    await registry.stop();
  }
}

await main();
