import { availableParallelism } from "node:os";
import { join } from "node:path";
import { builderConfigFromEnv } from "../config.js";
import { parseSandboxPaths, type HostPath } from "./sandbox.js";

export interface BuildSettings {
  /** `LADING_SANDBOX`: true = always (fail without bwrap), false = never, "auto" = when bwrap works. */
  sandbox: boolean | "auto";
  /** `LADING_BUILD_TIMEOUT` [`NIX_TIMEOUT`], seconds; 0 = none. */
  timeoutSeconds: number;
  /** `LADING_MAX_JOBS`: builds at once. */
  maxJobs: number;
  /** NIX_BUILD_CORES given to builders (`LADING_BUILD_CORES`). */
  cores: number;
  /** Per-build logs: `<logDir>/<drv base name>.log`. */
  logDir: string;
  /** `LADING_SANDBOX_PATHS`: host paths visible read-only in every build. */
  sandboxPaths: HostPath[];
}

function positiveInt(text: string | undefined, name: string, fallback: number, allowZero = false): number {
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got '${text}'`);
  return n;
}

export function buildSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): BuildSettings {
  const sandboxText = (env.LADING_SANDBOX ?? "auto").toLowerCase();
  const sandbox = sandboxText === "auto" ? "auto" : !["false", "0", "no", "off"].includes(sandboxText);
  const cores = availableParallelism();
  return {
    sandbox,
    timeoutSeconds: positiveInt(env.LADING_BUILD_TIMEOUT ?? env.NIX_TIMEOUT, "LADING_BUILD_TIMEOUT", 600, true),
    maxJobs: positiveInt(env.LADING_MAX_JOBS, "LADING_MAX_JOBS", cores),
    cores: positiveInt(env.LADING_BUILD_CORES, "LADING_BUILD_CORES", cores),
    logDir: join(builderConfigFromEnv(env).dataDir, "logs"),
    sandboxPaths: parseSandboxPaths(env.LADING_SANDBOX_PATHS),
  };
}
