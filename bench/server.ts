/**
 * The registry under load, in one run:
 * - cold image builds (evaluate / realise / layer / store) of the e2e package set,
 *   built by CppNix and substituted from a file:// cache (needs nix-bin, gcc, busybox);
 * - warm manifest requests per second and latency percentiles;
 * - blob serving throughput against CNCF distribution (Debian `docker-registry`,
 *   installed here with apt-get when missing) serving the same blob from disk.
 *
 *   node dist/bench/server.js [--seconds N] [--concurrency N] [--blob-mb N] [--rounds N]
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "node:http";
import { prepareDevPackageSet } from "../test/e2e/dev-pkgs.js";
import { freePort, startRegistry } from "../test/e2e/registry-process.js";

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

function parseOptions(argv: string[]) {
  const options = { seconds: 5, concurrency: 16, blobMb: 256, rounds: 5 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === "--seconds") options.seconds = value;
    else if (argv[i] === "--concurrency") options.concurrency = value;
    else if (argv[i] === "--blob-mb") options.blobMb = value;
    else if (argv[i] === "--rounds") options.rounds = value;
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

/**
 * Fetches `url` over `streams` parallel connections with curl (one process per
 * stream, body to /dev/null) and returns MB/s. Node's own http client tops out near
 * the servers' speed on 2 cores (a JS callback per 64 KiB), so it would measure itself.
 */
async function curlThroughput(url: string, size: number, streams: number): Promise<number> {
  const started = performance.now();
  const sizes = await Promise.all(
    Array.from(
      { length: streams },
      () =>
        new Promise<number>((resolve, reject) => {
          const child = spawn("curl", ["-s", "-f", "-o", "/dev/null", "-w", "%{size_download}", url], { stdio: ["ignore", "pipe", "inherit"] });
          let out = "";
          child.stdout.on("data", (b: Buffer) => (out += b.toString()));
          child.on("error", reject);
          child.on("exit", (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`curl ${url} exited with ${code}`))));
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const got of sizes) if (got !== size) throw new Error(`blob GET ${url}: ${got} bytes, expected ${size}`);
  return (streams * size) / seconds / 1e6;
}

/** CPU ticks (user + system, 1/100 s) of a process and its descendants, from /proc. */
function cpuTicks(root: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) {
        total += t;
        break;
      }
    }
  }
  return total;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Both servers measured the same way, alternated A B A B so load changes hit both:
 * medians of throughput and of the server's CPU time per GiB sent (the latter is what
 * decides throughput when client and server share 2 busy cores).
 */
async function compareBlobServers(
  servers: { name: string; url: string; pid: number }[],
  size: number,
  streams: number,
  rounds: number,
): Promise<{ name: string; mbps: number; cpuMsPerGiB: number }[]> {
  const samples = servers.map(() => ({ mbps: [] as number[], cpu: [] as number[] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, server] of servers.entries()) {
      const before = cpuTicks(server.pid);
      samples[i]!.mbps.push(await curlThroughput(server.url, size, streams));
      samples[i]!.cpu.push(((cpuTicks(server.pid) - before) * 10) / ((streams * size) / 2 ** 30));
    }
  }
  return servers.map((server, i) => ({ name: server.name, mbps: median(samples[i]!.mbps), cpuMsPerGiB: median(samples[i]!.cpu) }));
}

function ensureDockerRegistry(): void {
  if (spawnSync("sh", ["-c", "command -v docker-registry"]).status === 0) return;
  const installed = spawnSync("apt-get", ["install", "-y", "-q", "docker-registry"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (installed.status !== 0) throw new Error("cannot install docker-registry (apt-get install docker-registry)");
}

async function startDistribution(root: string): Promise<{ url: string; pid: number; stop(): void }> {
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
    if (up) return { url, pid: child.pid!, stop: () => child.kill("SIGTERM") };
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
      if (res.status !== 200) {
        // Report and go on: the blob and manifest figures do not depend on every image building.
        console.log(`  ${image.padEnd(30)} FAILED ${res.status} ${await res.text()}`);
        continue;
      }
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
      const servers = [
        { name: "lading", url: `${registry.url}/v2/bench/blobs/sha256:${hex}`, pid: registry.child.pid! },
        { name: "docker-registry", url: `${peer.url}/v2/bench/blobs/sha256:${hex}`, pid: peer.pid },
      ];
      // Warm the page cache (and both servers) before measuring.
      await compareBlobServers(servers, size, 1, 1);
      for (const streams of [1, 4]) {
        const [ours, theirs] = await compareBlobServers(servers, size, streams, options.rounds);
        console.log(
          `blob GET ${options.blobMb} MiB x ${streams} streams (curl, ${options.rounds} alternated rounds, medians): lading ${ours!.mbps.toFixed(0)} MB/s, docker-registry ${theirs!.mbps.toFixed(0)} MB/s, ratio lading/peer ${(ours!.mbps / theirs!.mbps).toFixed(2)} (target >= 1); server CPU ms/GiB lading ${ours!.cpuMsPerGiB.toFixed(0)}, docker-registry ${theirs!.cpuMsPerGiB.toFixed(0)}`,
        );
      }
      console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    } finally {
      peer.stop();
    }
  } finally {
    await registry.stop();
  }
}

await main();
