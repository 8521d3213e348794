import { execFileSync, spawnSync } from "node:child_process";

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
