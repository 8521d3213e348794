/**
 * `lading instantiate` without `--eval`: prints .drv paths (evaluator/derivations'
 * instantiateDrvs), evaluated in a worker with a deep stack like the `--eval` path.
 */
import { Worker } from "node:worker_threads";
import { instantiateDrvs, type InstantiateOptions, type InstantiateResult } from "../../evaluator/index.js";

const STACK_MB = 1024;

function runInWorker(options: InstantiateOptions): Promise<InstantiateResult> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.url).then((m) => parentPort.postMessage(m.instantiateDrvs(workerData.options)),
      (e) => parentPort.postMessage({ stdout: "", stderr: "error: " + e.message + "\\n", exitCode: 1 }));`;
  const url = new URL("../../evaluator/index.js", import.meta.url).href;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, {
      eval: true,
      workerData: { url, options: { ...options, cwd: process.cwd() } },
      resourceLimits: { stackSizeMb: STACK_MB },
    });
    w.once("message", (r: InstantiateResult) => {
      resolve(r);
      void w.terminate();
    });
    w.once("error", reject);
  });
}

/** Instantiates the derivations the options select; the result is printed by the caller. */
export function instantiateDerivations(options: InstantiateOptions): Promise<InstantiateResult> {
  return process.env.LADING_EVAL_IN_MAIN ? Promise.resolve(instantiateDrvs(options)) : runInWorker(options);
}
