import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { haveNix, runNixAsync, type NixProcessResult } from "../helpers/nix.js";

/** The repository root (this file runs from dist/test/examples/). */
export const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
export const PKGS = join(ROOT, "examples/pkgs");
export const LADING = join(ROOT, "bin/lading");

/**
 * Building the examples needs CppNix (the oracle), Debian's gcc and the static
 * busybox; in CI their absence is a failure, elsewhere a reason to skip.
 */
export function examplesSkipReason(): string | false {
  const missing: string[] = [];
  if (!haveNix()) missing.push("nix-bin");
  if (spawnSync("gcc", ["--version"], { stdio: "ignore" }).status !== 0) missing.push("gcc");
  if (!existsSync("/bin/busybox")) missing.push("busybox-static");
  if (missing.length === 0) return false;
  const reason = `${missing.join(", ")} not installed; run scripts/install-deps.sh`;
  if (process.env.CI) throw new Error(`the examples tests need ${reason}`);
  return reason;
}

export type ProcessResult = NixProcessResult;

/** Runs a command from the repository root without blocking the event loop; never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  return runNixAsync(cmd, args, { cwd: ROOT, env, encoding: "utf8" });
}

/** Like `run`, but a non-zero exit is an error carrying the command's stderr. */
export async function runOk(cmd: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const result = await run(cmd, args, env);
  if (result.exitCode !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${result.exitCode}:\n${result.stderr}`);
  return result.stdout;
}

/** Non-empty output lines. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}
