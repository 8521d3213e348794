/**
 * Worker side of the parallel dumper: fills the holes the walker left in a shared
 * chunk with the contents of small files, so opening and reading them runs on
 * another core than the directory walk.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { readFileInto } from "./read-exact.js";

interface Setup {
  control: SharedArrayBuffer;
  results: MessagePort;
}

export interface ReadBatch {
  ticket: number;
  chunk: SharedArrayBuffer;
  paths: Uint8Array[];
  offsets: number[];
  sizes: number[];
}

const setup = workerData as Setup;
const control = new Int32Array(setup.control);
parentPort!.on("message", (batch: ReadBatch) => {
  const target = new Uint8Array(batch.chunk);
  try {
    for (let i = 0; i < batch.paths.length; i++) {
      const raw = batch.paths[i]!;
      readFileInto(target, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), batch.offsets[i]!, batch.sizes[i]!);
    }
  } catch (err) {
    const error = err as { code?: string; message?: string };
    setup.results.postMessage({ ticket: batch.ticket, error: { code: error.code, message: error.message ?? String(err) } });
  }
  Atomics.store(control, 0, batch.ticket + 1);
  Atomics.notify(control, 0);
});
