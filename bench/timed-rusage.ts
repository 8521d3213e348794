/**
 * One process run measured from its rusage as the kernel reports it to the parent
 * (wait4): CPU times at microsecond resolution, where GNU time prints them at
 * 10 ms. The kernel's per-task runtime is nanosecond-precise, so user + system is
 * exact even for a 20 ms run (CppNix's own NIX_SHOW_STATS `cpuTime` is the same
 * getrusage user time, read by the process itself at exit). Node cannot wait4, so
 * a few lines of Python fork, exec and wait; the helper's own start-up is not
 * in the child's rusage.
 */
import { spawnSync } from "node:child_process";
import type { TimedRun } from "./timed-process.js";

const HELPER = `
import os, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.dup2(w, 1)
    os.close(r)
    os.close(w)
    os.execvp(sys.argv[1], sys.argv[1:])
os.close(w)
chunks = []
while True:
    b = os.read(r, 1 << 20)
    if not b:
        break
    chunks.append(b)
_, status, ru = os.wait4(pid, 0)
sys.stdout.buffer.write(b"".join(chunks))
sys.stdout.flush()
sys.stderr.write("RUSAGE %d %.6f %.6f %d\\n" % (os.waitstatus_to_exitcode(status), ru.ru_utime, ru.ru_stime, ru.ru_maxrss))
`;

let available: boolean | null = null;

/** True when python3 (3.9+, for waitstatus_to_exitcode) can run the helper. */
export function haveRusageHelper(): boolean {
  available ??= spawnSync("python3", ["-c", "import os; os.wait4; os.waitstatus_to_exitcode"], { stdio: "ignore" }).status === 0;
  return available;
}

/** Runs `cmd args` (extra environment `env`); wall time is the helper's, CPU and RSS the command's own. */
export function timedRusage(cmd: string, args: string[], env: Record<string, string> = {}): TimedRun {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("python3", ["-c", HELPER, cmd, ...args], { encoding: "latin1", maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /RUSAGE (-?[0-9]+) ([0-9.]+) ([0-9.]+) ([0-9]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no rusage for ${cmd}: ${r.stderr.slice(0, 2000)}`);
  if (m[1] !== "0") throw new Error(`${cmd} ${args.slice(-2).join(" ")} failed: ${r.stderr.slice(0, 2000)}`);
  return { wallMs, cpuMs: (Number(m[2]) + Number(m[3])) * 1000, rssKb: Number(m[4]), out: r.stdout.trim() };
}
