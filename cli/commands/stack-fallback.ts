/**
 * Evaluation on the main thread first, a big-stack worker only when the JS stack ran
 * out. A worker loads and compiles its own copy of the evaluator (ES module chunks,
 * without bin/instantiate.cjs's code cache) and warms its own JIT: ~250 ms of CPU on
 * the 2000-package set. bin/lading gives the main thread a deep stack, so the worker
 * is rarely needed. LADING_EVAL_IN_WORKER: always the worker; LADING_EVAL_IN_MAIN: never.
 */
import { mainThreadStackKb, setTraceSink } from "../../evaluator/index.js";

export interface StackFallback<T> {
  /** The evaluation on this thread. */
  main: () => T;
  /** Whether `main`'s result is a JS stack overflow (a deeper stack might succeed). */
  overflowed: (result: T) => boolean;
  /** The same evaluation in a worker with `workerStackMb` of stack; undefined: none possible. */
  worker?: () => Promise<T>;
  workerStackMb: number;
  /** Undoes what the main-thread attempt left behind before the worker runs (e.g. staged files). */
  reset?: () => Promise<void>;
}

/**
 * Runs `main`, and again in the worker if it overflowed a stack much smaller than the
 * worker's. `trace` lines of the first attempt are held back until it is known to
 * count, so they are never printed twice.
 */
export async function withStackFallback<T>(f: StackFallback<T>): Promise<T> {
  if (process.env.LADING_EVAL_IN_WORKER && f.worker) return f.worker();
  const held: string[] = [];
  const sink = setTraceSink((line) => held.push(line));
  let result: T;
  try {
    result = f.main();
  } finally {
    setTraceSink(sink);
  }
  const workerIsDeeper = mainThreadStackKb() * 2 <= f.workerStackMb * 1024;
  if (f.overflowed(result) && workerIsDeeper && f.worker && !process.env.LADING_EVAL_IN_MAIN) {
    await f.reset?.();
    return f.worker();
  }
  for (const line of held) sink(line);
  return result;
}
