/** Runs bin/lading and the tsc output as child processes, for the start-up tests. */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");
export const LADING = join(ROOT, "bin/lading");
export const DIST_MAIN = join(ROOT, "dist/cli/main.js");

export interface Run {
  stdout: string;
  stderr: string;
  status: number | null;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", fail);
    child.on("close", (status) => done({ stdout: Buffer.concat(out).toString("latin1"), stderr: Buffer.concat(err).toString("latin1"), status }));
  });
}

/** The tsc output run directly, without bundle or launcher (as the tests in test/evaluator do). */
export function runDist(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const script = `import(${JSON.stringify(DIST_MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
  return run(process.execPath, ["--input-type=module", "-e", script, "--", ...args], opts);
}
