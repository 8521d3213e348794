/**
 * Worker side of the threaded descriptor writer: blocking writes to a pipe or socket
 * happen here, so the thread that produces the archive keeps producing while the
 * reader at the other end drains the pipe (written from one thread, a full pipe
 * stalls production and the reader then idles while the next chunk is built).
 */
import { parentPort, workerData } from "node:worker_threads";
import { writeAllSync } from "./dump.js";
import { FAILED, WRITTEN, type WriteRequest, type WriterSetup } from "./fd-writer.js";

const setup = workerData as WriterSetup;
const control = new Int32Array(setup.control);
parentPort?.on("message", (request: WriteRequest) => {
  if (Atomics.load(control, FAILED) === 0) {
    try {
      writeAllSync(setup.fd, new Uint8Array(request.buffer, request.offset, request.length));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      setup.errors.postMessage({ code: typeof code === "string" ? code : undefined, message: (err as Error).message });
      Atomics.store(control, FAILED, 1);
    }
  }
  Atomics.add(control, WRITTEN, 1);
  Atomics.notify(control, WRITTEN);
});
