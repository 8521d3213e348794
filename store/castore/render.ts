import { NAR_MAGIC } from "../nar/index.js";
import type { CastoreBackend, ObjectKind } from "./backend.js";
import { SINGLE_BLOB_MAX, decodeChunkList } from "./chunker.js";
import { decodeDirectory, type CasEntry, type CasFile, type CasNode } from "./nodes.js";

const OUTPUT_CHUNK = 1 << 20;
/** Contents at least this long are handed out as they are instead of being copied. */
const PASS_THROUGH = 64 << 10;

export class CastoreMissingError extends Error {
  override name = "CastoreMissingError";
}

function missing(kind: ObjectKind, key: string): never {
  throw new CastoreMissingError(`castore ${kind} ${key} is missing`);
}

export async function getObject(backend: CastoreBackend, kind: ObjectKind, key: string): Promise<Buffer> {
  return (await backend.get(kind, key)) ?? missing(kind, key);
}

/** An object, without a promise when the backend can read synchronously. */
function loadObject(backend: CastoreBackend, kind: ObjectKind, key: string): Buffer | Promise<Buffer> {
  if (backend.getSync) return backend.getSync(kind, key) ?? missing(kind, key);
  return getObject(backend, kind, key);
}

function checkSize(file: CasFile, actual: number): void {
  if (actual !== file.size) throw new CastoreMissingError(`castore file ${file.digest} has ${actual} bytes, not ${file.size}`);
}

/** The contents of a file node, piece by piece (its blob, or its chunks in order). */
export async function* fileContents(backend: CastoreBackend, file: CasFile): AsyncGenerator<Buffer> {
  if (file.contents) {
    yield file.contents;
    return;
  }
  if (file.size <= SINGLE_BLOB_MAX) {
    const blob = await loadObject(backend, "blob", file.digest);
    checkSize(file, blob.length);
    yield blob;
    return;
  }
  let total = 0;
  for (const chunk of decodeChunkList(await loadObject(backend, "list", file.digest))) {
    const bytes = await loadObject(backend, "blob", chunk.digest);
    total += bytes.length;
    yield bytes;
  }
  checkSize(file, total);
}

/** A token as it appears in a NAR: u64 length, bytes, zero padding. */
function token(text: string): Buffer {
  const bytes = Buffer.from(text);
  const out = Buffer.alloc(8 + bytes.length + ((8 - (bytes.length % 8)) % 8));
  out.writeUInt32LE(bytes.length, 0);
  bytes.copy(out, 8);
  return out;
}

const T_MAGIC = token(NAR_MAGIC);
const T_CLOSE = token(")");
const T_REGULAR = Buffer.concat([token("("), token("type"), token("regular")]);
const T_EXECUTABLE = Buffer.concat([token("executable"), token("")]);
const T_CONTENTS = token("contents");
const T_SYMLINK = Buffer.concat([token("("), token("type"), token("symlink"), token("target")]);
const T_DIRECTORY = Buffer.concat([token("("), token("type"), token("directory")]);
const T_ENTRY = Buffer.concat([token("entry"), token("("), token("name")]);
const T_NODE = token("node");

/** Builds NAR output in large buffers; full ones (and big contents as they are) queue up. */
class NarOutput {
  private buffer = Buffer.allocUnsafe(OUTPUT_CHUNK);
  private pos = 0;
  private ready: Buffer[] = [];
  readyBytes = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buffer.length) return;
    this.flush();
    if (n > this.buffer.length) this.buffer = Buffer.allocUnsafe(n);
  }

  flush(): void {
    if (this.pos === 0) return;
    this.queue(this.buffer.subarray(0, this.pos));
    this.buffer = Buffer.allocUnsafe(OUTPUT_CHUNK);
    this.pos = 0;
  }

  private queue(bytes: Buffer): void {
    this.ready.push(bytes);
    this.readyBytes += bytes.length;
  }

  u64(n: number): void {
    this.room(8);
    this.buffer.writeUInt32LE(n >>> 0, this.pos);
    this.buffer.writeUInt32LE(Math.floor(n / 0x1_0000_0000), this.pos + 4);
    this.pos += 8;
  }

  padding(length: number): void {
    const n = (8 - (length % 8)) % 8;
    if (n === 0) return;
    this.room(n);
    for (let i = 0; i < n; i++) this.buffer[this.pos++] = 0;
  }

  bytes(bytes: Buffer): void {
    if (bytes.length >= PASS_THROUGH) {
      this.flush();
      this.queue(bytes);
      return;
    }
    this.room(bytes.length);
    this.pos += bytes.copy(this.buffer, this.pos);
  }

  string(bytes: Buffer): void {
    this.u64(bytes.length);
    this.bytes(bytes);
    this.padding(bytes.length);
  }

  take(): Buffer[] {
    const out = this.ready;
    this.ready = [];
    this.readyBytes = 0;
    return out;
  }
}

interface Frame {
  readonly entries: CasEntry[];
  next: number;
  /** Entries up to here have had their blobs requested (remote backends). */
  requested: number;
}

/**
 * For backends without `getSync` (remote ones): requests the blobs a render will
 * need next, `parallelism` at a time, so round trips overlap instead of adding up.
 */
class Prefetcher {
  private readonly pending = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly backend: CastoreBackend,
    readonly window: number,
  ) {}

  request(kind: ObjectKind, key: string): void {
    const id = `${kind}:${key}`;
    if (this.pending.has(id)) return;
    const loading = getObject(this.backend, kind, key);
    loading.catch(() => undefined); // reported when taken, not as an unhandled rejection
    this.pending.set(id, loading);
  }

  /** Requests the single-blob files among `entries[from, to)`. */
  requestFiles(entries: readonly CasEntry[], from: number, to: number): void {
    for (let i = from; i < Math.min(to, entries.length); i++) {
      const node = entries[i]!.node;
      if (node.kind === "file" && !node.contents && node.size <= SINGLE_BLOB_MAX) this.request("blob", node.digest);
    }
  }

  take(kind: ObjectKind, key: string): Promise<Buffer> {
    const id = `${kind}:${key}`;
    const loading = this.pending.get(id);
    if (!loading) return getObject(this.backend, kind, key);
    this.pending.delete(id);
    return loading;
  }
}

/**
 * Renders the NAR of a castore tree, byte for byte what `nix-store --dump` gives for
 * the tree it was ingested from; every object is verified as it is read. Chunks are
 * buffers the caller may keep. With a backend that reads synchronously the walk
 * awaits nothing between outputs of about 1 MiB.
 */
export async function* renderNar(backend: CastoreBackend, root: CasNode): AsyncGenerator<Buffer> {
  const out = new NarOutput();
  const stack: Frame[] = [];
  const prefetch = backend.getSync ? undefined : new Prefetcher(backend, Math.max(1, backend.parallelism ?? 1));
  const load = (kind: ObjectKind, key: string) => (prefetch ? prefetch.take(kind, key) : loadObject(backend, kind, key));
  out.bytes(T_MAGIC);
  let node: CasNode | undefined = root;
  for (;;) {
    if (node) {
      if (node.kind === "file") {
        out.bytes(T_REGULAR);
        if (node.executable) out.bytes(T_EXECUTABLE);
        out.bytes(T_CONTENTS);
        out.u64(node.size);
        if (node.contents) out.bytes(node.contents);
        else if (node.size <= SINGLE_BLOB_MAX) {
          const loaded = load("blob", node.digest);
          const blob = loaded instanceof Promise ? await loaded : loaded;
          checkSize(node, blob.length);
          out.bytes(blob);
        } else {
          let total = 0;
          const loaded = load("list", node.digest);
          const chunks = decodeChunkList(loaded instanceof Promise ? await loaded : loaded);
          for (const [i, chunk] of chunks.entries()) {
            if (prefetch) for (const ahead of chunks.slice(i, i + prefetch.window)) prefetch.request("blob", ahead.digest);
            const piece = load("blob", chunk.digest);
            const bytes = piece instanceof Promise ? await piece : piece;
            total += bytes.length;
            out.bytes(bytes);
            if (out.readyBytes >= OUTPUT_CHUNK) yield* out.take();
          }
          checkSize(node, total);
        }
        out.padding(node.size);
        out.bytes(T_CLOSE);
        if (stack.length > 0) out.bytes(T_CLOSE); // the entry holding it
      } else if (node.kind === "symlink") {
        out.bytes(T_SYMLINK);
        out.string(node.target);
        out.bytes(T_CLOSE);
        if (stack.length > 0) out.bytes(T_CLOSE);
      } else {
        const loaded = load("dir", node.digest);
        out.bytes(T_DIRECTORY);
        stack.push({ entries: decodeDirectory(loaded instanceof Promise ? await loaded : loaded), next: 0, requested: 0 });
      }
      node = undefined;
      if (out.readyBytes >= OUTPUT_CHUNK) yield* out.take();
    }
    const frame = stack[stack.length - 1];
    if (!frame) break;
    if (frame.next === frame.entries.length) {
      stack.pop();
      out.bytes(T_CLOSE);
      if (stack.length > 0) out.bytes(T_CLOSE); // the entry holding this directory
      continue;
    }
    if (prefetch && frame.requested < frame.next + prefetch.window) {
      // Top up in halves of the window, not entry by entry.
      const to = frame.next + prefetch.window * 2;
      prefetch.requestFiles(frame.entries, Math.max(frame.requested, frame.next), to);
      frame.requested = to;
    }
    const entry = frame.entries[frame.next++]!;
    out.bytes(T_ENTRY);
    out.string(entry.name);
    out.bytes(T_NODE);
    node = entry.node;
  }
  out.flush();
  yield* out.take();
}
