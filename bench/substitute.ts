/**
 * Substitution throughput against CppNix, measured in the same run: a closure of
 * generated trees (default 200 MB of NAR, text-like data with some random bytes) is put
 * in an xz binary cache by `nix copy`, served over HTTP on loopback by a separate
 * process, then fetched into a fresh store by Lading's substituter and by
 * `nix copy --from` (signatures checked by both). Also NAR unpack throughput: Lading's
 * restore against `nix-store --restore` on the largest NAR. Prints medians and ratios
 * lading/CppNix (lower is better; the target is <= 1).
 *
 *   node dist/bench/substitute.js [--size-mb N] [--runs N] [--compression xz|zstd|bzip2|none]
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore, Substituter } from "../builder/index.js";
import { parseStorePath, restoreNar, SecretKey } from "../store/index.js";

const NIX_ENV = { ...process.env, NIX_CONFIG: "experimental-features = nix-command" };

function parseOptions(argv: string[]): { sizeMb: number; runs: number; compression: string } {
  const options = { sizeMb: 200, runs: 3, compression: "xz" };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--size-mb" && argv[i + 1]) options.sizeMb = Number(argv[++i]);
    else if (argv[i] === "--compression" && argv[i + 1]) options.compression = argv[++i]!;
    else if (argv[i] === "--runs" && argv[i + 1]) options.runs = Number(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'`);
  }
  return options;
}

function run(cmd: string, args: string[], input?: Buffer): string {
  const result = spawnSync(cmd, args, { env: NIX_ENV, input, encoding: "utf8", maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Trees of text-like data (xz shrinks it about 4x, like binaries and docs) with some random bytes. */
function generateTrees(base: string, sizeMb: number, count: number): string[] {
  const words = Array.from({ length: 2000 }, (_, i) => `w${(i * 2654435761) % 100003}x${i % 17}`);
  const random = Buffer.alloc(4 << 20);
  randomFillSync(random);
  const dirs: string[] = [];
  const perTree = Math.ceil((sizeMb * 1048576) / count);
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let t = 0; t < count; t++) {
    const dir = join(base, `bench-tree-${t}-${Date.now().toString(36)}`);
    mkdirSync(join(dir, "lib"), { recursive: true });
    let written = 0;
    for (let f = 0; written < perTree; f++) {
      const size = Math.min(perTree - written, 64 * 1024 + (next() % (2 << 20)));
      let data: Buffer;
      if (f % 5 === 0) data = random.subarray(0, size);
      else {
        const parts: string[] = [];
        let len = 0;
        while (len < size) {
          const w = words[next() % words.length]!;
          parts.push(w);
          len += w.length + 1;
        }
        data = Buffer.from(parts.join(" ")).subarray(0, size);
      }
      writeFileSync(join(dir, "lib", `f${f}`), data, { mode: f % 7 === 0 ? 0o755 : 0o644 });
      written += size;
    }
    dirs.push(dir);
  }
  return dirs;
}

const SERVER = `
const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
const root = process.argv[1];
const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": st.size });
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

async function startServer(root: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", SERVER, root], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, child };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function report(label: string, ours: number[], theirs: number[], mb: number): void {
  const a = median(ours);
  const b = median(theirs);
  console.log(
    `${label.padEnd(12)} lading ${a.toFixed(2)} s (${(mb / a).toFixed(0)} MB/s)   cppnix ${b.toFixed(2)} s (${(mb / b).toFixed(0)} MB/s)   ratio ${(a / b).toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (spawnSync("nix-store", ["--version"], { stdio: "ignore" }).status !== 0) {
    console.log("substitute: skipped, CppNix (nix-store) is not installed");
    return;
  }
  const base = mkdtempSync(join(tmpdir(), "lading-bench-subst-"));
  let server: ChildProcess | undefined;
  try {
    const trees = generateTrees(base, options.sizeMb, 8);
    const paths = trees.map((t) => parseStorePath(run("nix-store", ["--add", t])));
    const key = SecretKey.generate("bench-1");
    writeFileSync(join(base, "sk"), key.toString());
    const cacheDir = join(base, "cache");
    run("nix", ["copy", "--to", `file://${cacheDir}?compression=${options.compression}&secret-key=${join(base, "sk")}`, ...paths.map((p) => p.render())]);
    const narMb = paths.reduce((sum, p) => sum + Number(run("nix-store", ["-q", "--size", p.render()])), 0) / 1e6;
    const started = await startServer(cacheDir);
    server = started.child;
    console.log(`substitute: ${paths.length} paths, ${narMb.toFixed(0)} MB of NAR, ${options.compression} over HTTP on loopback, ${options.runs} runs each, medians`);

    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const ourRoot = join(base, `lading-${i}`);
      const start = process.hrtime.bigint();
      const store = await LocalStore.open({ root: ourRoot });
      await new Substituter(store, { urls: [started.url], trustedKeys: [key.publicKey] }).substitute(paths);
      ours.push(Number(process.hrtime.bigint() - start) / 1e9);
      await store.close();
      const nixRoot = join(base, `cppnix-${i}`);
      const t0 = process.hrtime.bigint();
      run("nix", [
        "copy", "--from", started.url, "--to", `local?root=${nixRoot}`,
        "--option", "trusted-public-keys", key.publicKey.toString(),
        "--option", "narinfo-cache-positive-ttl", "0",
        ...paths.map((p) => p.render()),
      ]);
      theirs.push(Number(process.hrtime.bigint() - t0) / 1e9);
      rmSync(ourRoot, { recursive: true, force: true });
      spawnSync("chmod", ["-R", "u+w", nixRoot]);
      rmSync(nixRoot, { recursive: true, force: true });
    }
    report("substitute", ours, theirs, narMb);

    // NAR unpack: the largest path's NAR from a file.
    const nar = join(base, "big.nar");
    spawnSync("sh", ["-c", `nix-store --dump '${paths[0]!.render()}' > '${nar}'`]);
    const mb = Number(run("stat", ["-c", "%s", nar])) / 1e6;
    const unpackOurs: number[] = [];
    const unpackTheirs: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const t0 = process.hrtime.bigint();
      await restoreNar(createReadStream(nar, { highWaterMark: 1 << 20 }), join(base, `restore-l${i}`));
      unpackOurs.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const t1 = process.hrtime.bigint();
      spawnSync("sh", ["-c", `nix-store --restore '${join(base, `restore-n${i}`)}' < '${nar}'`]);
      unpackTheirs.push(Number(process.hrtime.bigint() - t1) / 1e9);
    }
    report("nar-unpack", unpackOurs, unpackTheirs, mb);
  } finally {
    server?.kill();
    spawnSync("chmod", ["-R", "u+w", base]);
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
