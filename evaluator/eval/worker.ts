/**
 * Deep Nix recursion needs a deep JS stack, and the main thread's stack size is
 * fixed by the OS (node's default allows ~5,000 nested Nix calls; CppNix 2.8
 * manages ~60,000). `callInWorker` runs one exported function of a module in a
 * worker thread whose stack is large, and returns its (structured-clone-able)
 * result. The module must register everything the evaluation needs (e.g.
 * evaluator/index.js, which loads the builtins).
 */
import { Worker } from "node:worker_threads";

/** The worker's default stack, in MB: deeper than CppNix 2.8 gets, while an endless recursion still fails within ~2 s. */
export const WORKER_STACK_MB = 128;

/**
 * The main thread's V8 stack limit in KB: bin/lading raises `ulimit -s` and passes a
 * matching --stack-size for `instantiate`; otherwise V8's default (984 KB).
 */
export function mainThreadStackKb(): number {
  const flag = process.execArgv.findLast((a) => a.startsWith("--stack-size="));
  const kb = flag === undefined ? NaN : Number(flag.slice("--stack-size=".length));
  return Number.isFinite(kb) && kb > 0 ? kb : 984;
}

export interface WorkerLimits {
  /** Stack size of the worker, in MB (default WORKER_STACK_MB). */
  stackMb?: number;
  /** Young-generation size in MB (default 64: fewer promotions of thunks). */
  youngGenerationMb?: number;
}

/** Module state a worker copies from the thread that starts it (command-line settings). */
interface SharedSetting {
  get(): unknown;
  set(value: unknown): void;
}

const sharedSettings = new Map<string, SharedSetting>();

/**
 * Registers a setting kept in module state (an experimental feature, `--abort-on-warn`…):
 * a worker loads its own copy of the modules, so callInWorker copies the values over.
 */
export function shareWithWorkers(name: string, setting: SharedSetting): void {
  sharedSettings.set(name, setting);
}

/** Called in the worker (by WORKER_SOURCE) before the function runs. */
export function applySharedSettings(values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) sharedSettings.get(name)?.set(value);
}

function sharedSettingValues(): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, setting] of sharedSettings) values[name] = setting.get();
  return values;
}

// Only dynamic import(): the source runs as CommonJS, or as an ES module when the
// process was started with --input-type=module (workers inherit execArgv).
const WORKER_SOURCE = `
  import("node:worker_threads").then(({ parentPort, workerData }) => {
    const fail = (e) => parentPort.postMessage({ ok: false, message: String(e && e.message ? e.message : e) });
    return import(workerData.url).then((m) => {
      if (typeof m.applySharedSettings === "function") m.applySharedSettings(workerData.settings);
      parentPort.postMessage({ ok: true, value: m[workerData.name](...workerData.args) });
    }, fail).catch(fail);
  });`;

/** Calls `moduleUrl`'s export `name` with `args` in a big-stack worker. */
export function callInWorker<T>(moduleUrl: string, name: string, args: unknown[], limits: WorkerLimits = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { url: moduleUrl, name, args, settings: sharedSettingValues() },
      resourceLimits: { stackSizeMb: limits.stackMb ?? WORKER_STACK_MB, maxYoungGenerationSizeMb: limits.youngGenerationMb ?? 64 },
    });
    worker.once("message", (r: { ok: true; value: T } | { ok: false; message: string }) => {
      void worker.terminate();
      if (r.ok) resolve(r.value);
      else reject(new Error(r.message));
    });
    worker.once("error", reject);
  });
}
