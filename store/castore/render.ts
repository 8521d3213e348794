import { NAR_MAGIC } from "../nar/index.js";
import type { CastoreBackend, ObjectKind } from "./backend.js";
import { SINGLE_BLOB_MAX, decodeChunkList } from "./chunker.js";
import { Blake3Stream } from "./digest.js";
import { decodeDirectory, type CasEntry, type CasFile, type CasNode } from "./nodes.js";

const OUTPUT_CHUNK = 1 << 20;
/** Contents at least this long are handed out as they are instead of being copied. */
const PASS_THROUGH = 64 << 10;

export class CastoreMissingError extends Error {
  override name = "CastoreMissingError";
}

export async function getObject(backend: CastoreBackend, kind: ObjectKind, key: string): Promise<Buffer> {
  const bytes = await backend.get(kind, key);
  if (!bytes) throw new CastoreMissingError(`castore ${kind} ${key} is missing`);
  return bytes;
}

/** The contents of a file node, piece by piece (whole blob, or its chunks in order), verified. */
export async function* fileContents(backend: CastoreBackend, file: CasFile): AsyncGenerator<Buffer> {
  if (file.size <= SINGLE_BLOB_MAX) {
    const blob = await getObject(backend, "blob", file.digest);
    if (blob.length !== file.size) throw new CastoreMissingError(`castore blob ${file.digest} has the wrong size`);
    yield blob;
    return;
  }
  const chunks = decodeChunkList(await getObject(backend, "list", file.digest));
  // Each chunk is checked by the backend; the list itself by the whole file's digest.
  const whole = new Blake3Stream();
  let total = 0;
  for (const chunk of chunks) {
    const bytes = await getObject(backend, "blob", chunk.digest);
    whole.update(bytes);
    total += bytes.length;
    yield bytes;
  }
  if (total !== file.size || whole.digest() !== file.digest) {
    throw new CastoreMissingError(`castore chunk list ${file.digest} does not give the file it names`);
  }
}

interface Frame {
  readonly entries: CasEntry[];
  next: number;
}

/** Builds NAR output in large buffers; full ones are collected for the caller to take. */
class NarOutput {
  private buffer = Buffer.allocUnsafe(OUTPUT_CHUNK);
  private pos = 0;
  ready: Buffer[] = [];

  private room(n: number): void {
    if (this.pos + n <= this.buffer.length) return;
    this.flush();
    if (n > this.buffer.length) this.buffer = Buffer.allocUnsafe(n);
  }

  flush(): void {
    if (this.pos === 0) return;
    this.ready.push(this.buffer.subarray(0, this.pos));
    this.buffer = Buffer.allocUnsafe(OUTPUT_CHUNK);
    this.pos = 0;
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
    this.buffer.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  bytes(bytes: Buffer): void {
    if (bytes.length >= PASS_THROUGH) {
      this.flush();
      this.ready.push(bytes);
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

  tokens(...texts: string[]): void {
    for (const text of texts) this.string(TOKENS.get(text) ?? Buffer.from(text));
  }

  take(): Buffer[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }
}

const TOKENS = new Map(
  [NAR_MAGIC, "(", ")", "type", "regular", "executable", "", "contents", "symlink", "target", "directory", "entry", "name", "node"].map(
    (t) => [t, Buffer.from(t)],
  ),
);

/**
 * Renders the NAR of a castore tree, byte for byte what `nix-store --dump` gives for
 * the tree it was ingested from. Chunks are fresh buffers the caller may keep.
 */
export async function* renderNar(backend: CastoreBackend, root: CasNode): AsyncGenerator<Buffer> {
  const out = new NarOutput();
  const stack: Frame[] = [];
  out.tokens(NAR_MAGIC);
  // Writes a node; a directory only opens (its entries follow through the stack).
  const begin = async function* (node: CasNode): AsyncGenerator<Buffer> {
    out.tokens("(", "type");
    if (node.kind === "file") {
      out.tokens("regular");
      if (node.executable) out.tokens("executable", "");
      out.tokens("contents");
      out.u64(node.size);
      for await (const piece of fileContents(backend, node)) {
        out.bytes(piece);
        yield* out.take();
      }
      out.padding(node.size);
      out.tokens(")");
    } else if (node.kind === "symlink") {
      out.tokens("symlink", "target");
      out.string(node.target);
      out.tokens(")");
    } else {
      out.tokens("directory");
      stack.push({ entries: decodeDirectory(await getObject(backend, "dir", node.digest)), next: 0 });
    }
  };
  yield* begin(root);
  for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
    if (frame.next === frame.entries.length) {
      stack.pop();
      out.tokens(")");
      if (stack.length > 0) out.tokens(")"); // the entry holding this directory
      continue;
    }
    const { name, node } = frame.entries[frame.next++]!;
    out.tokens("entry", "(", "name");
    out.string(name);
    out.tokens("node");
    const depth = stack.length;
    yield* begin(node);
    if (stack.length === depth) out.tokens(")");
    yield* out.take();
  }
  out.flush();
  yield* out.take();
}
