import { execFileSync, spawn, spawnSync } from "node:child_process";

/** True when CppNix's command-line tools are on PATH. */
export function haveNix(): boolean {
  return spawnSync("nix-store", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * CppNix is the oracle: tests that need it fail (not skip) in CI, and skip with a
 * reason on a developer machine that lacks it.
 */
export function nixSkipReason(): string | false {
  if (haveNix()) return false;
  if (process.env.CI) throw new Error("CppNix (nix-bin) is required in CI but nix-store is not on PATH");
  return "CppNix (nix-bin) not installed; run scripts/install-deps.sh";
}

/** Runs a CppNix tool and returns its stdout as bytes; throws with its stderr on failure. */
export function runNix(cmd: string, args: string[], input?: Uint8Array): Buffer {
  return execFileSync(cmd, args, {
    input,
    maxBuffer: 1 << 30,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NIX_CONFIG: "experimental-features = nix-command" },
  });
}

/** What a CppNix process printed (as byte strings, one char per byte) and how it exited. */
export interface NixProcessResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a CppNix tool without blocking, so many can run at once (`NIX_PATH` empty unless given). */
export function runNixAsync(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; encoding?: BufferEncoding } = {},
): Promise<NixProcessResult> {
  const encoding = options.encoding ?? "latin1";
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, NIX_PATH: "", ...options.env },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => stdout.push(b));
    child.stderr.on("data", (b: Buffer) => stderr.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ stdout: Buffer.concat(stdout).toString(encoding), stderr: Buffer.concat(stderr).toString(encoding), exitCode: code ?? 1 }),
    );
  });
}

/** Maps `items` through `fn` with at most `limit` calls in flight, keeping the order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
