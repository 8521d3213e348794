import { HASH_PART_LENGTH } from "../../store/index.js";

/** Bytes that can appear in a nixbase32 hash part. */
const IS_BASE32 = new Uint8Array(256);
for (const c of "0123456789abcdfghijklmnpqrsvwxyz") IS_BASE32[c.charCodeAt(0)] = 1;

/**
 * Finds which of a set of store path hash parts occur in a byte stream (file
 * contents, symlink targets and names alike, when fed a NAR). Candidates are checked
 * right to left, so a byte that cannot be in a hash lets the window jump past it:
 * ordinary data costs about one lookup per 32 bytes. A window that survives is
 * looked up by its first four bytes before any string is made.
 */
export class ReferenceScanner {
  private readonly byPrefix = new Map<number, string[]>();
  private readonly found = new Set<string>();
  private tail: Buffer = Buffer.alloc(0);
  private remaining: number;

  constructor(hashParts: Iterable<string>) {
    for (const part of new Set(hashParts)) {
      if (part.length !== HASH_PART_LENGTH) throw new Error(`'${part}' is not a store path hash part`);
      const key = prefixKey(Buffer.from(part, "latin1"), 0);
      const list = this.byPrefix.get(key);
      if (list) list.push(part);
      else this.byPrefix.set(key, [part]);
    }
    this.remaining = [...this.byPrefix.values()].reduce((n, l) => n + l.length, 0);
  }

  update(chunk: Uint8Array): void {
    if (this.remaining === 0 || chunk.length === 0) return;
    // Carry the last 31 bytes so a hash split across chunks is still seen.
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const n = HASH_PART_LENGTH;
    let i = 0;
    outer: while (i + n <= data.length) {
      for (let j = n - 1; j >= 0; j--) {
        if (!IS_BASE32[data[i + j]!]) {
          i += j + 1;
          continue outer;
        }
      }
      const list = this.byPrefix.get(prefixKey(data, i));
      if (list) {
        const window = data.toString("latin1", i, i + n);
        if (list.includes(window) && !this.found.has(window)) {
          this.found.add(window);
          if (--this.remaining === 0) return;
        }
      }
      i++;
    }
    const keep = Math.min(n - 1, data.length);
    this.tail = Buffer.from(data.subarray(data.length - keep));
  }

  /** The hash parts seen so far. */
  get matches(): ReadonlySet<string> {
    return this.found;
  }
}

function prefixKey(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
