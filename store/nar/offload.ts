import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";

/** Chunks handed over but not yet consumed; past this the producer waits. */
const MAX_IN_FLIGHT = 16;

interface Outcome {
  digest?: Uint8Array;
  error?: { code?: string; message: string };
}

/**
 * Hands NAR chunks to a worker thread that writes or hashes them, so reading the tree
 * (this thread) and consuming the bytes (the worker) run on two cores at once. The
 * interface is synchronous: the producer blocks with Atomics.wait only when the
 * worker is MAX_IN_FLIGHT chunks behind.
 */
export class ChunkOffload {
  // [0] chunks in flight, [1] a counter bumped on every event the worker reports.
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private readonly results: MessagePort;
  private outcome: Outcome | undefined;

  private constructor(mode: "fd" | "hash", fd: number, algo: string) {
    const { port1, port2 } = new MessageChannel();
    this.results = port1;
    this.worker = new Worker(new URL("./chunk-worker.js", import.meta.url), {
      workerData: { mode, fd, algo, control: this.control.buffer, results: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  static toFd(fd: number): ChunkOffload {
    return new ChunkOffload("fd", fd, "");
  }

  static toHash(algo: string): ChunkOffload {
    return new ChunkOffload("hash", -1, algo);
  }

  /** Gives `chunk` away: its memory moves to the worker and must not be used afterwards. */
  push(chunk: Buffer): void {
    this.checkFailure();
    while (Atomics.load(this.control, 0) >= MAX_IN_FLIGHT) {
      const seen = Atomics.load(this.control, 1);
      if (Atomics.load(this.control, 0) < MAX_IN_FLIGHT) break;
      Atomics.wait(this.control, 1, seen, 100);
      this.checkFailure();
    }
    // Only a buffer that owns its whole ArrayBuffer can be transferred; copy the rest.
    const owned = chunk.buffer.byteLength > Buffer.poolSize;
    const bytes = owned ? chunk : Buffer.from(chunk);
    const buffer = bytes.buffer as ArrayBuffer;
    Atomics.add(this.control, 0, 1);
    this.worker.postMessage({ chunk: buffer, offset: bytes.byteOffset, length: bytes.length }, [buffer]);
  }

  /** Waits until the worker consumed everything; returns the digest in hash mode. */
  finish(): Uint8Array | undefined {
    this.worker.postMessage({ finish: true });
    for (;;) {
      this.receive();
      if (this.outcome) break;
      const seen = Atomics.load(this.control, 1);
      this.receive();
      if (this.outcome) break;
      Atomics.wait(this.control, 1, seen, 100);
    }
    void this.worker.terminate();
    this.rethrow();
    return this.outcome.digest;
  }

  /** Stops the worker without waiting (the producer failed). */
  abort(): void {
    void this.worker.terminate();
  }

  private receive(): void {
    const message = receiveMessageOnPort(this.results);
    if (message) this.outcome = message.message as Outcome;
  }

  private checkFailure(): void {
    if (!this.outcome) this.receive();
    this.rethrow();
  }

  private rethrow(): void {
    const error = this.outcome?.error;
    if (!error) return;
    void this.worker.terminate();
    throw Object.assign(new Error(error.message), { code: error.code });
  }
}
