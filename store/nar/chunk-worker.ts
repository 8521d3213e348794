/**
 * Worker side of ChunkOffload: consumes transferred chunks in order, either writing
 * them to a file descriptor or hashing them, so the producing thread never waits on
 * the pipe or on SHA-256.
 */
import { createHash } from "node:crypto";
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";

interface Setup {
  mode: "fd" | "hash";
  fd: number;
  algo: string;
  control: SharedArrayBuffer;
  results: MessagePort;
}

const setup = workerData as Setup;
const control = new Int32Array(setup.control);
const hash = setup.mode === "hash" ? createHash(setup.algo) : undefined;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let failed = false;

function writeAll(bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(setup.fd, bytes, done, bytes.length - done);
    } catch (err) {
      if ((err as { code?: string }).code !== "EAGAIN") throw err;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

function signal(): void {
  Atomics.add(control, 1, 1);
  Atomics.notify(control, 1);
}

parentPort!.on("message", (message: { chunk?: ArrayBuffer; offset?: number; length?: number; finish?: boolean }) => {
  if (message.chunk && !failed) {
    try {
      const bytes = new Uint8Array(message.chunk, message.offset, message.length);
      if (hash) hash.update(bytes);
      else writeAll(bytes);
    } catch (err) {
      failed = true;
      const error = err as { code?: string; message?: string };
      setup.results.postMessage({ error: { code: error.code, message: error.message ?? String(err) } });
    }
  }
  if (message.chunk) Atomics.sub(control, 0, 1);
  if (message.finish && !failed) setup.results.postMessage({ digest: hash ? hash.digest() : undefined });
  signal();
});
