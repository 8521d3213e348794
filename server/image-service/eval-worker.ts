import { Worker } from "node:worker_threads";
import { RegistryError } from "../distribution/index.js";
import type { ErrorData, Evaluation, EvaluationInput } from "./evaluate.js";

type Input = Omit<EvaluationInput, "isValidInStore">;
type Reply = { id: number; ok: true; value: Evaluation } | { id: number; ok: false; error: ErrorData } | { id: number; crash: string };

const SOURCE = `
  const { parentPort, workerData } = require("node:worker_threads");
  const loaded = import(workerData.url);
  parentPort.on("message", async ({ id, input }) => {
    try {
      const m = await loaded;
      parentPort.postMessage({ id, ...m.evaluatePackagesData(input) });
    } catch (e) {
      parentPort.postMessage({ id, crash: String(e && e.message ? e.message : e) });
    }
  });`;

/** Evaluations one worker runs before it is replaced (bounds what a long-lived evaluator heap keeps). */
const EVALUATIONS_PER_WORKER = 32;

/**
 * One long-lived big-stack worker for image evaluations, so a cold request does not
 * pay for a worker start and loading the evaluator each time. Evaluations queue; a
 * crashed worker fails its evaluation and is replaced on the next one.
 */
export class EvaluationWorker {
  private worker: Worker | undefined;
  private used = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { worker: Worker; resolve: (e: Evaluation) => void; reject: (err: Error) => void }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly stackMb = 512) {}

  evaluate(input: Input): Promise<Evaluation> {
    const run = this.queue.then(() => this.send(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private send(input: Input): Promise<Evaluation> {
    if (this.worker && this.used >= EVALUATIONS_PER_WORKER) void this.close();
    const worker = (this.worker ??= this.start());
    this.used++;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ id, input });
    });
  }

  private start(): Worker {
    this.used = 0;
    const worker = new Worker(SOURCE, {
      eval: true,
      workerData: { url: new URL("./evaluate.js", import.meta.url).href },
      resourceLimits: { stackSizeMb: this.stackMb, maxYoungGenerationSizeMb: 64 },
    });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if ("crash" in reply) waiter.reject(new Error(`evaluation failed: ${reply.crash}`));
      else if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new RegistryError(reply.error.code, reply.error.message, reply.error.detail, reply.error.status));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiter] of this.pending) {
        if (waiter.worker !== worker) continue;
        this.pending.delete(id);
        waiter.reject(err);
      }
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the evaluation worker exited (${code})`)));
    return worker;
  }
}
