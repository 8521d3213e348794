import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * Parameters set explicitly on every frame, so a change of zstd-napi's defaults cannot
 * change layer bytes. No multithreading inside zstd: its job splitting would make the
 * output depend on the worker count; the layer is cut into frames instead (compress.ts).
 */
export interface ZstdFrameParameters {
  compressionLevel: number;
  checksumFlag: true;
  contentSizeFlag: true;
  dictIDFlag: false;
}

const SOURCE = `
  const { parentPort, workerData } = require("node:worker_threads");
  const { Compressor } = require(workerData.zstdNapi);
  const compressors = new Map();
  parentPort.on("message", ({ id, bytes, parameters }) => {
    try {
      const key = JSON.stringify(parameters);
      let compressor = compressors.get(key);
      if (!compressor) {
        compressor = new Compressor();
        compressor.setParameters(parameters);
        compressors.set(key, compressor);
      }
      const out = compressor.compress(bytes);
      const copy = new Uint8Array(out.byteLength);
      copy.set(out);
      parentPort.postMessage({ id, bytes: copy }, [copy.buffer]);
    } catch (e) {
      parentPort.postMessage({ id, error: String(e && e.message ? e.message : e) });
    }
  });`;

export class ZstdUnavailableError extends Error {
  override name = "ZstdUnavailableError";
}

/** Where zstd-napi (an optional dependency) is, or an error saying it is missing. */
function zstdNapiPath(): string {
  try {
    return createRequire(import.meta.url).resolve("zstd-napi");
  } catch {
    throw new ZstdUnavailableError("zstd layer compression needs the optional dependency zstd-napi (npm install zstd-napi)");
  }
}

interface Job {
  slot: Slot;
  resolve(bytes: Buffer): void;
  reject(err: Error): void;
}

/**
 * A few worker threads that compress whole zstd frames, so zstd runs off the event
 * loop and on several cores. Workers start on first use and are unref'd while idle,
 * so an idle pool never keeps the process alive.
 */
interface Slot {
  worker: Worker;
  busy: number;
}

class ZstdPool {
  private readonly workers: Slot[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;

  constructor(private readonly size: number) {}

  compress(bytes: Buffer, parameters: ZstdFrameParameters): Promise<Buffer> {
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.jobs.set(id, {
        slot,
        resolve: (out) => {
          this.done(slot);
          resolve(out);
        },
        reject: (err) => {
          this.done(slot);
          reject(err);
        },
      });
      if (slot.busy++ === 0) slot.worker.ref();
      // A copy is posted (not transferred): the caller's buffer may be a view of a larger pool.
      slot.worker.postMessage({ id, bytes, parameters });
    });
  }

  private done(slot: Slot): void {
    if (--slot.busy === 0) slot.worker.unref();
  }

  private pick(): Slot {
    if (this.workers.length < this.size && this.workers.every((w) => w.busy > 0)) return this.start();
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private start(): Slot {
    const worker = new Worker(SOURCE, { eval: true, workerData: { zstdNapi: zstdNapiPath() } });
    const slot: Slot = { worker, busy: 0 };
    worker.unref();
    worker.on("message", (reply: { id: number; bytes?: Uint8Array; error?: string }) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      this.jobs.delete(reply.id);
      if (reply.bytes) job.resolve(Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength));
      else job.reject(new Error(`zstd compression failed: ${reply.error}`));
    });
    const fail = (err: Error) => {
      // A dead worker fails everything queued on it; the next job starts a fresh one.
      const index = this.workers.indexOf(slot);
      if (index >= 0) this.workers.splice(index, 1);
      for (const [id, job] of this.jobs) {
        if (job.slot !== slot) continue;
        this.jobs.delete(id);
        job.reject(err);
      }
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`zstd worker exited with code ${code}`)));
    this.workers.push(slot);
    return slot;
  }
}

let shared: ZstdPool | undefined;

/** Compresses `bytes` as one zstd frame in a worker thread. */
export function compressZstdFrame(bytes: Buffer, level: number): Promise<Buffer> {
  shared ??= new ZstdPool(Math.max(1, Math.min(3, availableParallelism())));
  return shared.compress(bytes, { compressionLevel: level, checksumFlag: true, contentSizeFlag: true, dictIDFlag: false });
}

/** Throws ZstdUnavailableError unless zstd-napi can be loaded (checked at start-up, not at the first layer). */
export function checkZstdAvailable(): void {
  zstdNapiPath();
}
