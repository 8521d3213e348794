import { availableParallelism, loadavg } from "node:os";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { Hash, HashSink, type HashAlgo } from "../hash.js";
import { NarDumper, writeAllSync } from "./dump.js";
import { ThreadedFdWriter } from "./fd-writer.js";
import { readFileInto } from "./read-exact.js";
import type { ReadBatch } from "./read-worker.js";

/** Only files up to this size are read by the worker; larger ones stream on this thread. */
const SMALL_FILE = 256 << 10;
/** Room after the nominal chunk size for the tokens that end a step. */
const SLACK = 64 << 10;
/** Chunks walked ahead of the one being consumed. */
const WINDOWS = 4;
/** Below this much output a worker costs more than it saves. */
const PARALLEL_AFTER = 4 << 20;
const CHUNK_SIZE = 1 << 20;

/**
 * A second thread pays off only on an idle core; on a saturated machine the hand-offs
 * just add scheduling delays, so then the walk reads files itself.
 */
function haveIdleCore(): boolean {
  const cores = availableParallelism();
  return cores > 1 && loadavg()[0]! < cores - 0.5;
}

interface Hole {
  path: Buffer;
  offset: number;
  size: number;
}

/** The walker: leaves holes for small files in shared chunks instead of reading them. */
class DeferringDumper extends NarDumper {
  deferring = false;
  private holes: Hole[] = [];
  private readonly pool: Buffer[] = [];

  constructor(path: string | Buffer) {
    super(path, CHUNK_SIZE);
  }

  protected override allocate(): Buffer {
    return this.pool.pop() ?? Buffer.from(new SharedArrayBuffer(this.chunkSize + SLACK));
  }

  /** Returns a consumed chunk's memory for reuse. */
  recycle(chunk: Buffer): void {
    // A chunk grown past its window (a rare very long token) is not shared: let it go.
    if (chunk.buffer instanceof SharedArrayBuffer) this.pool.push(Buffer.from(chunk.buffer));
  }

  takeHoles(): Hole[] {
    const holes = this.holes;
    this.holes = [];
    return holes;
  }

  /** While deferring, small files must be found by lstat so the worker can read them. */
  protected override openFilesDirectly(): boolean {
    return !this.deferring;
  }

  protected override contents(path: Buffer, size: number): void {
    const shared = this.out.buffer instanceof SharedArrayBuffer;
    if (this.deferring && shared && size > 0 && size <= SMALL_FILE && this.pos + size <= this.chunkSize) {
      this.holes.push({ path, offset: this.pos, size });
      this.pos += size;
      this.finishContents(size);
      return;
    }
    super.contents(path, size);
  }

  protected override reserve(n: number): void {
    // Growing moves the chunk; holes must be filled before, here on this thread.
    if (this.pos + n > this.out.length && this.holes.length > 0) this.fillHolesHere();
    super.reserve(n);
  }

  private fillHolesHere(): void {
    for (const hole of this.takeHoles()) readFileInto(this.out, hole.path, hole.offset, hole.size);
  }
}

class ReaderWorker {
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly results: MessagePort;
  private nextTicket = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.results = port1;
    this.worker = new Worker(new URL("./read-worker.js", import.meta.url), {
      workerData: { control: this.control.buffer, results: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  submit(chunk: Buffer, holes: Hole[]): number {
    const batch: ReadBatch = {
      ticket: this.nextTicket++,
      chunk: chunk.buffer as SharedArrayBuffer,
      paths: holes.map((h) => h.path),
      offsets: holes.map((h) => h.offset + chunk.byteOffset),
      sizes: holes.map((h) => h.size),
    };
    this.worker.postMessage(batch);
    return batch.ticket;
  }

  /** Blocks until batch `ticket` is done; rethrows its error. */
  wait(ticket: number): void {
    for (let done = Atomics.load(this.control, 0); done <= ticket; done = Atomics.load(this.control, 0)) {
      Atomics.wait(this.control, 0, done, 1000);
    }
    const message = receiveMessageOnPort(this.results)?.message as { error?: { code?: string; message: string } } | undefined;
    if (message?.error) throw Object.assign(new Error(message.error.message), { code: message.error.code });
  }

  stop(): void {
    void this.worker.terminate();
  }
}

/**
 * Feeds the NAR of `path` chunk by chunk to `consume` (synchronously, in order), with
 * the contents of small files read by a worker thread while this thread walks the
 * tree further (when a core is idle, or always with `parallel: true`). Chunks are
 * reused after `consume` returns: copy one to keep it.
 */
export function pumpNar(
  path: string | Buffer,
  consume: (chunk: Buffer) => void,
  options: { parallel?: boolean | "auto" } = {},
): number {
  const parallel = options.parallel ?? "auto";
  const dumper = new DeferringDumper(path);
  const pending: Array<{ chunk: Buffer; ticket: number | undefined }> = [];
  let reader: ReaderWorker | undefined;
  let size = 0;
  let checkedCores = false;
  const emitOldest = () => {
    const { chunk, ticket } = pending.shift()!;
    if (ticket !== undefined) reader!.wait(ticket);
    consume(chunk);
    dumper.recycle(chunk);
  };
  try {
    for (let chunk = dumper.next(); chunk; chunk = dumper.next()) {
      size += chunk.length;
      const holes = dumper.takeHoles();
      pending.push({ chunk, ticket: holes.length > 0 ? reader!.submit(chunk, holes) : undefined });
      while (pending.length >= WINDOWS) emitOldest();
      if (!reader && !checkedCores && size >= PARALLEL_AFTER) {
        checkedCores = true;
        if (parallel === false || (parallel === "auto" && !haveIdleCore())) continue;
        reader = new ReaderWorker();
        dumper.deferring = true;
      }
    }
    while (pending.length > 0) emitOldest();
  } catch (err) {
    dumper.abort();
    throw err;
  } finally {
    reader?.stop();
  }
  return size;
}

/** The walker of `writeNarToFd`: builds its chunks in buffers it is handed. */
class SuppliedChunkDumper extends NarDumper {
  constructor(
    path: string | Buffer,
    private readonly supply: () => Buffer,
  ) {
    super(path, CHUNK_SIZE);
  }

  protected override allocate(): Buffer {
    return this.supply();
  }
}

/**
 * Writes the NAR of `path` to a file descriptor (e.g. 1 for stdout); returns its size.
 * Past the first few MiB a worker thread does the (blocking) writes, so the walk goes
 * on while the reader (`| sha256sum`, a socket) drains the pipe; from one thread the
 * two took turns. The walk itself stays on this thread: the reader needs the other core.
 */
export function writeNarToFd(path: string | Buffer, fd: number): number {
  let writer: ThreadedFdWriter | undefined;
  const dumper = new SuppliedChunkDumper(path, () => writer?.acquire() ?? Buffer.allocUnsafe(CHUNK_SIZE));
  let size = 0;
  try {
    for (let chunk = dumper.next(); chunk; chunk = dumper.next()) {
      size += chunk.length;
      if (!writer) writeAllSync(fd, chunk);
      // A chunk grown past its buffer (a rare very long token) is not shared.
      else if (chunk.buffer instanceof SharedArrayBuffer) writer.submit(chunk);
      else writer.writeNow(chunk);
      if (!writer && size >= PARALLEL_AFTER) writer = new ThreadedFdWriter(fd, CHUNK_SIZE);
    }
    writer?.drain();
  } catch (err) {
    dumper.abort();
    throw err;
  } finally {
    writer?.stop();
  }
  return size;
}

/** The hash and byte size of the NAR of `path`, computed in one pass without storing it. */
export function narHashAndSize(path: string | Buffer, algo: HashAlgo = "sha256"): { hash: Hash; size: number } {
  const sink = new HashSink(algo);
  const size = pumpNar(path, (chunk) => sink.update(chunk));
  return { hash: sink.finish(), size };
}
