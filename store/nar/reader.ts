import { NarError, paddingOf, showBytes } from "./format.js";

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const EMPTY = Buffer.alloc(0);
/** Largest length a JavaScript number holds exactly (2^53 - 1): the high word's limit. */
const MAX_HIGH_WORD = 0x1f_ffff;

/** A format keyword with its bytes, prepared once. */
export interface Keyword<K extends string> {
  readonly text: K;
  readonly bytes: Buffer;
}

export function keyword<K extends string>(text: K): Keyword<K> {
  return { text, bytes: Buffer.from(text, "latin1") };
}

function describe(expected: readonly Keyword<string>[]): string {
  return expected.map((k) => `'${k.text}'`).join(" or ");
}

function matchesAt(chunk: Buffer, at: number, bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (chunk[at + i] !== bytes[i]) return false;
  return true;
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Pulls NAR bytes from a stream of chunks, counting the offset for error messages.
 * It holds at most one source chunk plus one small token, never the whole archive.
 */
export class NarByteReader {
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  /** Bytes of the stream before `chunk`. */
  private before = 0;
  private ended = false;

  constructor(source: ByteSource) {
    this.iterator =
      Symbol.asyncIterator in source
        ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
        : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  }

  get offset(): number {
    return this.before + this.pos;
  }

  /** Loads the next non-empty chunk; false at the end of the stream. */
  private async pull(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = toBuffer(next.value);
      if (chunk.length === 0) continue;
      this.before += this.chunk.length;
      this.chunk = chunk;
      this.pos = 0;
      return true;
    }
    return false;
  }

  private truncated(): never {
    throw new NarError("unexpected end of archive", this.offset);
  }

  /** The next `n` bytes (n is small: a token, name or target), as a buffer of its own. */
  async readBytes(n: number): Promise<Buffer> {
    if (this.chunk.length - this.pos >= n) {
      const view = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      return Buffer.from(view);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      if (this.pos === this.chunk.length && !(await this.pull())) this.truncated();
      const take = Math.min(n - filled, this.chunk.length - this.pos);
      this.chunk.copy(out, filled, this.pos, this.pos + take);
      this.pos += take;
      filled += take;
    }
    return out;
  }

  async readU64(): Promise<number> {
    const start = this.offset;
    let lo: number;
    let hi: number;
    if (this.chunk.length - this.pos >= 8) {
      lo = this.chunk.readUInt32LE(this.pos);
      hi = this.chunk.readUInt32LE(this.pos + 4);
      this.pos += 8;
    } else {
      const bytes = await this.readBytes(8);
      lo = bytes.readUInt32LE(0);
      hi = bytes.readUInt32LE(4);
    }
    if (hi > MAX_HIGH_WORD) throw new NarError(`length ${hi * 2 ** 32 + lo} is absurdly large`, start);
    return hi * 2 ** 32 + lo;
  }

  /** Reads and checks the zero padding after `length` bytes of string or contents. */
  async readPadding(length: number): Promise<void> {
    const n = paddingOf(length);
    if (n === 0) return;
    const start = this.offset;
    if (this.chunk.length - this.pos >= n) {
      for (let i = this.pos; i < this.pos + n; i++) if (this.chunk[i] !== 0) throw new NarError("non-zero padding", start);
      this.pos += n;
      return;
    }
    const bytes = await this.readBytes(n);
    for (const b of bytes) if (b !== 0) throw new NarError("non-zero padding", start);
  }

  /** A length-prefixed string of at most `max` bytes; `what` names it in errors. */
  async readString(max: number, what: string): Promise<Buffer> {
    const start = this.offset;
    const length = await this.readU64();
    if (length > max) throw new NarError(`${what} is ${length} bytes long, more than the limit of ${max}`, start);
    const bytes = await this.readBytes(length);
    await this.readPadding(length);
    return bytes;
  }

  /**
   * Reads one of the `expected` keywords; anything else is an error naming what came.
   * A keyword lying whole in the current chunk is matched in place, without copies.
   */
  async expectKeyword<K extends string>(expected: readonly Keyword<K>[], maxKeywordLength: number): Promise<K> {
    const start = this.offset;
    const chunk = this.chunk;
    const at = this.pos;
    if (chunk.length - at >= 8 + maxKeywordLength && chunk.readUInt32LE(at + 4) === 0) {
      const length = chunk.readUInt32LE(at);
      const padded = length + paddingOf(length);
      if (length <= maxKeywordLength) {
        let padOk = true;
        for (let i = at + 8 + length; i < at + 8 + padded; i++) if (chunk[i] !== 0) padOk = false;
        for (const k of expected) {
          if (k.bytes.length === length && padOk && matchesAt(chunk, at + 8, k.bytes)) {
            this.pos = at + 8 + padded;
            return k.text;
          }
        }
      }
    }
    const length = await this.readU64();
    if (length > maxKeywordLength) throw new NarError(`expected ${describe(expected)}, found a ${length}-byte string`, start);
    const bytes = await this.readBytes(length);
    await this.readPadding(length);
    for (const k of expected) if (k.bytes.equals(bytes)) return k.text;
    throw new NarError(`expected ${describe(expected)}, found '${showBytes(bytes)}'`, start);
  }

  /** Passes the next `n` bytes to `consume` in the pieces they arrived in, without copying. */
  async stream(n: number, consume: (piece: Buffer) => void | Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.pos === this.chunk.length && !(await this.pull())) this.truncated();
      const take = Math.min(left, this.chunk.length - this.pos);
      const piece = this.chunk.subarray(this.pos, this.pos + take);
      this.pos += take;
      left -= take;
      await consume(piece);
    }
  }

  /** True when the stream has no bytes left. */
  async atEnd(): Promise<boolean> {
    if (this.pos < this.chunk.length) return false;
    return !(await this.pull());
  }
}
