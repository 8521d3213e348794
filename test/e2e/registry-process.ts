/** Starts `lading serve` as a real process on a free loopback port, and the tools the e2e tests need. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, stopChild } from "../storage/peers.js";

export const LADING = resolve(fileURLToPath(import.meta.url), "../../../../bin/lading");

/** Real clients are the oracle: missing ones fail in CI and skip with a reason elsewhere. */
export function toolsSkipReason(tools: readonly string[]): string | false {
  const missing = tools.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status !== 0);
  if (missing.length === 0) return false;
  if (process.env.CI) throw new Error(`${missing.join(", ")} required in CI but missing (scripts/install-deps.sh)`);
  return `${missing.join(", ")} not installed; run scripts/install-deps.sh`;
}

export { freePort };

export interface RunningRegistry {
  url: string;
  host: string;
  dataDir: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startRegistry(env: Record<string, string>): Promise<RunningRegistry> {
  const port = await freePort();
  const dataDir = env.LADING_DATA_DIR ?? mkdtempSync(join(tmpdir(), "lading-e2e-data-"));
  const child = spawn(process.execPath, [LADING, "serve"], {
    env: { ...process.env, PORT: String(port), LADING_HOST: "127.0.0.1", LADING_DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`lading serve did not start within 30 s: ${stderr}`)), 30_000);
      child.stderr!.on("data", () => {
        if (stderr.includes("listening")) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`lading serve exited with ${code}: ${stderr}`));
      });
    });
  } catch (err) {
    // A replica that never came up must not outlive the test: its pipe would keep the
    // test process (and the whole run) waiting.
    await stopChild(child, "SIGKILL");
    throw err;
  }
  const host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}`,
    host,
    dataDir,
    child,
    stderr: () => stderr,
    stop: () => stopChild(child),
  };
}
