import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { writeAllSync } from "./dump.js";

/** What the write worker is started with. */
export interface WriterSetup {
  fd: number;
  /** Int32 slots: [WRITTEN] chunks written so far, [FAILED] 1 once a write failed. */
  control: SharedArrayBuffer;
  /** Where the worker reports a failed write's code and message. */
  errors: MessagePort;
}

/** One chunk for the worker to write, a view of a shared buffer. */
export interface WriteRequest {
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

export const WRITTEN = 0;
export const FAILED = 1;

/**
 * Writes chunks to a descriptor from a worker thread, in order. The producer fills
 * shared buffers it `acquire`s and `submit`s them; it blocks only when every buffer
 * is still queued, which is the back-pressure of a slow reader.
 */
export class ThreadedFdWriter {
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly errors: MessagePort;
  private readonly worker: Worker;
  private submitted = 0;
  /** Buffers submitted and not yet known to be written, oldest first. */
  private readonly queued: Buffer[] = [];
  private readonly free: Buffer[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly fd: number,
    private readonly bufferSize: number,
    private readonly buffers = 4,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.errors = port1;
    const setup: WriterSetup = { fd, control: this.control.buffer as SharedArrayBuffer, errors: port2 };
    // Without `stdout`/`stderr: true` Node pipes the worker's output into the parent's
    // streams, which turns a stdout pipe non-blocking: every full pipe an EAGAIN sleep.
    this.worker = new Worker(new URL("./write-worker.js", import.meta.url), {
      workerData: setup,
      transferList: [port2],
      stdout: true,
      stderr: true,
    });
    this.worker.unref();
  }

  /** A shared buffer of `bufferSize` bytes to fill; waits while all are queued. */
  acquire(): Buffer {
    this.reclaim();
    const spare = this.free.pop();
    if (spare) return spare;
    if (this.queued.length < this.buffers) return Buffer.from(new SharedArrayBuffer(this.bufferSize));
    this.waitUntilWritten(this.submitted - this.queued.length + 1);
    this.reclaim();
    return this.free.pop()!;
  }

  /** Queues `chunk` (a view of an acquired buffer, from its start) for writing. */
  submit(chunk: Buffer): void {
    this.throwIfFailed();
    const request: WriteRequest = { buffer: chunk.buffer as SharedArrayBuffer, offset: chunk.byteOffset, length: chunk.length };
    this.worker.postMessage(request);
    this.queued.push(Buffer.from(chunk.buffer));
    this.submitted++;
  }

  /** Writes `bytes` on this thread after everything queued (for a chunk not in a shared buffer). */
  writeNow(bytes: Uint8Array): void {
    this.drain();
    writeAllSync(this.fd, bytes);
  }

  /** Waits until every queued chunk is written; rethrows a failed write's error. */
  drain(): void {
    this.waitUntilWritten(this.submitted);
    this.reclaim();
  }

  stop(): void {
    void this.worker.terminate();
  }

  private reclaim(): void {
    const written = Atomics.load(this.control, WRITTEN);
    while (this.submitted - this.queued.length < written) this.free.push(this.queued.shift()!);
  }

  private waitUntilWritten(count: number): void {
    for (let written = Atomics.load(this.control, WRITTEN); written < count; written = Atomics.load(this.control, WRITTEN)) {
      Atomics.wait(this.control, WRITTEN, written, 1000);
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (!this.failure && Atomics.load(this.control, FAILED) !== 0) {
      const report = receiveMessageOnPort(this.errors)?.message as { code?: string; message: string } | undefined;
      this.failure = Object.assign(new Error(report?.message ?? "write failed"), { code: report?.code });
    }
    if (this.failure) throw this.failure;
  }
}
