import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root (tests run from dist/test/…). */
export const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..");
const S3RVER_BIN = join(REPO_ROOT, "node_modules", "s3rver", "bin", "s3rver.js");

/** s3rver's fixed credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** Like nixSkipReason: a missing peer fails the test in CI and skips it with a reason elsewhere. */
export function peerSkipReason(...peers: ("redis-server" | "s3rver")[]): string | false {
  for (const peer of peers) {
    const present = peer === "s3rver" ? existsSync(S3RVER_BIN) : spawnSync(peer, ["--version"], { stdio: "ignore" }).status === 0;
    if (present) continue;
    if (process.env.CI) throw new Error(`${peer} is required in CI but is not installed (scripts/install-deps.sh, npm ci)`);
    return `${peer} not installed; run scripts/install-deps.sh and npm ci`;
  }
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a child and waits for its exit; one that ignores `signal` for 10 s is killed. */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A peer process on a loopback port that the test can stop and start again. It counts as
 * started only once it prints its own readiness line: a port that answers may belong to
 * another process that took it between probing and binding (then our peer exits with
 * EADDRINUSE a moment later, and the test would talk to a stranger or to nobody).
 */
export class Peer {
  private child: ChildProcess | undefined;
  output = "";

  constructor(
    /** 0 until the peer reports the port it bound (s3rver with `-p 0`). */
    public port: number,
    private readonly command: string,
    private readonly args: (port: number) => string[],
    /** Printed once the peer listens; group 1, when present, is the port it bound. */
    private readonly ready: RegExp,
    private readonly startTimeoutMs = 30_000,
  ) {}

  async start(): Promise<void> {
    const child = spawn(this.command, this.args(this.port), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let seen = "";
    try {
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no readiness line after ${this.startTimeoutMs} ms`)), this.startTimeoutMs);
        const keep = (b: Buffer) => {
          this.output = (this.output + b.toString()).slice(-4000);
          seen += b.toString();
          const match = this.ready.exec(seen);
          if (!match) return;
          clearTimeout(timer);
          if (match[1]) this.port = Number(match[1]);
          done();
        };
        child.stdout!.on("data", keep);
        child.stderr!.on("data", keep);
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          fail(new Error(`exited (${code ?? signal})`));
        });
        child.once("error", (err) => {
          clearTimeout(timer);
          fail(err);
        });
      });
      await waitForPort(this.port);
    } catch (err) {
      await this.stop("SIGKILL");
      throw new Error(`${this.command} did not start: ${(err as Error).message}\n${this.output}`);
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await stopChild(this.child, signal);
    this.child = undefined;
  }
}

/** Starts a peer on a probed free port, trying another port if that one was taken meanwhile. */
async function startOnFreePort(make: (port: number) => Peer): Promise<Peer> {
  for (let attempt = 1; ; attempt++) {
    const peer = make(await freePort());
    try {
      await peer.start();
      return peer;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/** redis-server on loopback, nothing persisted. */
export async function startRedis(): Promise<Peer & { url: string }> {
  const dir = mkdtempSync(join(tmpdir(), "lading-redis-"));
  const peer = await startOnFreePort(
    (port) =>
      new Peer(
        port,
        "redis-server",
        (p) => ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
        /Ready to accept connections/,
      ),
  );
  return Object.assign(peer, { url: `redis://127.0.0.1:${peer.port}` });
}

/**
 * s3rver on loopback with bucket `bucket` created, data in a temp dir that survives
 * restarts. The first start lets the kernel pick the port (`-p 0`, which s3rver then
 * prints), so no other process can hold it; restarts ask for the same port again.
 */
export async function startS3rver(bucket = "lading"): Promise<Peer & { endpoint: string; directory: string }> {
  const directory = mkdtempSync(join(tmpdir(), "lading-s3rver-"));
  const peer = new Peer(
    0,
    process.execPath,
    (port) => [S3RVER_BIN, "-d", directory, "-a", "127.0.0.1", "-p", String(port), "-s", "--configure-bucket", bucket],
    /S3rver listening on [^\s:]+:(\d+)/,
  );
  await peer.start();
  return Object.assign(peer, { endpoint: `http://127.0.0.1:${peer.port}`, directory });
}

/** The environment of a `lading serve` replica on the shared Redis and s3rver, with its own data dir. */
export function replicaEnv(redisUrl: string, s3Endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LADING_DATA_DIR: mkdtempSync(join(tmpdir(), "lading-replica-")),
    LADING_PKGS_PATH: join(REPO_ROOT, "examples", "pkgs"),
    LADING_STORAGE: "s3",
    LADING_S3_BUCKET: "lading",
    LADING_S3_ENDPOINT: s3Endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    LADING_REDIS_URL: redisUrl,
    ...extra,
  };
}
