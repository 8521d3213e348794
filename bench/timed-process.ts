import { spawnSync } from "node:child_process";

/** One process run under GNU time: wall and CPU (user + system) ms, peak RSS, stdout (trimmed). */
export interface TimedRun {
  wallMs: number;
  cpuMs: number;
  rssKb: number;
  out: string;
}

/** Runs `cmd args` under /usr/bin/time; a failing command throws with its stderr. */
export function timed(cmd: string, args: string[]): TimedRun {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S %M", cmd, ...args], { encoding: "latin1", maxBuffer: 1 << 28 });
  const m = /TIME ([0-9.]+) ([0-9.]+) ([0-9.]+) ([0-9]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no timing for ${cmd}: ${r.stderr}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(-2).join(" ")} failed: ${r.stderr.slice(0, 2000)}`);
  return { wallMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000, rssKb: Number(m[4]), out: r.stdout.trim() };
}
