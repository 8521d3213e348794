import { DIGEST_SIZE, type Digest } from "./digest.js";
import { CastoreFormatError } from "./nodes.js";

/**
 * Files up to this size are one blob. Larger ones are cut into chunks, so that two
 * versions of a big file that differ in a few places share most of their chunks.
 * Sizes: each chunk is one object (a file, or an S3 object), and creating those costs
 * far more than hashing bytes, so chunks average 256 KiB rather than the 64 KiB or
 * less of backup tools; bench/castore measures what that costs in dedup.
 */
export const SINGLE_BLOB_MAX = 1 << 20;

export const CHUNK_MIN = 64 << 10;
export const CHUNK_AVERAGE = 256 << 10;
export const CHUNK_MAX = 1 << 20;

export type ChunkingMethod = "cdc" | "fixed";

/** Cuts a stream of bytes into chunks; `emit` gets each chunk as a buffer it may keep. */
export interface Chunker {
  push(piece: Uint8Array, emit: (chunk: Buffer) => void): void;
  finish(emit: (chunk: Buffer) => void): void;
}

/** The gear table: 256 fixed pseudo-random words (changing them moves cuts, never breaks reading). */
const GEAR = (() => {
  const table = new Int32Array(256);
  let state = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    // splitmix32
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  return table;
})();

// Normalised chunking: a stricter mask before the average size, a looser one after,
// so chunk sizes bunch around the average. High bits: they depend on the last 32 bytes.
const MASK_STRICT = 0xfffff000 | 0; // 20 bits
const MASK_LOOSE = 0xffff0000 | 0; // 16 bits

/**
 * Content-defined chunking with a gear rolling hash (the FastCDC idea): a cut falls
 * where the hash of the last 32 bytes matches a mask, so inserting or deleting bytes
 * moves only the cuts near the edit and the chunks after it are found again.
 */
class ContentDefinedChunker implements Chunker {
  private readonly buffer = Buffer.allocUnsafe(CHUNK_MAX);
  private length = 0;
  private scanned = 0;
  private hash = 0;

  push(piece: Uint8Array, emit: (chunk: Buffer) => void): void {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(piece.length - offset, CHUNK_MAX - this.length);
      this.buffer.set(piece.subarray(offset, offset + take), this.length);
      this.length += take;
      offset += take;
      for (let cut = this.findCut(); cut > 0; cut = this.findCut()) {
        emit(Buffer.from(this.buffer.subarray(0, cut)));
        this.buffer.copyWithin(0, cut, this.length);
        this.length -= cut;
        this.scanned = 0;
        this.hash = 0;
      }
    }
  }

  finish(emit: (chunk: Buffer) => void): void {
    if (this.length > 0) emit(Buffer.from(this.buffer.subarray(0, this.length)));
    this.length = 0;
    this.scanned = 0;
    this.hash = 0;
  }

  /** The end of the next chunk in the buffer, or 0 if more bytes are needed to know. */
  private findCut(): number {
    const buffer = this.buffer;
    const end = this.length;
    let h = this.hash;
    let i = Math.max(this.scanned, CHUNK_MIN);
    const strictEnd = Math.min(end, CHUNK_AVERAGE);
    for (; i < strictEnd; i++) {
      h = ((h << 1) + GEAR[buffer[i]!]!) | 0;
      if ((h & MASK_STRICT) === 0) return i + 1;
    }
    const looseEnd = Math.min(end, CHUNK_MAX);
    for (; i < looseEnd; i++) {
      h = ((h << 1) + GEAR[buffer[i]!]!) | 0;
      if ((h & MASK_LOOSE) === 0) return i + 1;
    }
    if (end === CHUNK_MAX) return CHUNK_MAX;
    this.scanned = i;
    this.hash = h;
    return 0;
  }
}

/** Chunks of exactly CHUNK_AVERAGE bytes (the last one shorter). */
class FixedChunker implements Chunker {
  private readonly buffer = Buffer.allocUnsafe(CHUNK_AVERAGE);
  private length = 0;

  push(piece: Uint8Array, emit: (chunk: Buffer) => void): void {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(piece.length - offset, CHUNK_AVERAGE - this.length);
      this.buffer.set(piece.subarray(offset, offset + take), this.length);
      this.length += take;
      offset += take;
      if (this.length === CHUNK_AVERAGE) this.finish(emit);
    }
  }

  finish(emit: (chunk: Buffer) => void): void {
    if (this.length > 0) emit(Buffer.from(this.buffer.subarray(0, this.length)));
    this.length = 0;
  }
}

export function createChunker(method: ChunkingMethod = "cdc"): Chunker {
  return method === "cdc" ? new ContentDefinedChunker() : new FixedChunker();
}

export interface ChunkRef {
  readonly size: number;
  readonly digest: Digest;
}

/*
 * Chunk list encoding, version 1: magic "LCL1", u32le count, then per chunk in file
 * order u32le size and the 32-byte BLAKE3 digest of the chunk.
 */
const LIST_MAGIC = Buffer.from("LCL1");

export function encodeChunkList(chunks: readonly ChunkRef[]): Buffer {
  const out = Buffer.allocUnsafe(8 + chunks.length * (4 + DIGEST_SIZE));
  LIST_MAGIC.copy(out, 0);
  out.writeUInt32LE(chunks.length, 4);
  let pos = 8;
  for (const chunk of chunks) {
    pos = out.writeUInt32LE(chunk.size, pos);
    pos += out.write(chunk.digest, pos, "hex");
  }
  return out;
}

export function decodeChunkList(bytes: Buffer): ChunkRef[] {
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(LIST_MAGIC)) throw new CastoreFormatError("not a castore chunk list");
  const count = bytes.readUInt32LE(4);
  if (bytes.length !== 8 + count * (4 + DIGEST_SIZE)) throw new CastoreFormatError("chunk list of the wrong length");
  const chunks: ChunkRef[] = [];
  for (let pos = 8; pos < bytes.length; pos += 4 + DIGEST_SIZE) {
    chunks.push({ size: bytes.readUInt32LE(pos), digest: bytes.toString("hex", pos + 4, pos + 4 + DIGEST_SIZE) });
  }
  return chunks;
}
