import { createRequire } from "node:module";

type BlakeHash = typeof import("@napi-rs/blake-hash");
let native: BlakeHash | undefined;
/** Loaded on first use: everything importing the store module must not pay for it. */
function blakeHash(): BlakeHash {
  native ??= createRequire(import.meta.url)("@napi-rs/blake-hash") as BlakeHash;
  return native;
}

/** Bytes in a BLAKE3 digest as the castore uses it (the default 256-bit output). */
export const DIGEST_SIZE = 32;

/** A BLAKE3 digest in lower-case hex: the name of every castore object. */
export type Digest = string;

const DIGEST_RE = /^[0-9a-f]{64}$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

/** A Buffer view of the same bytes (the native binding takes Buffers only). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function blake3Hex(bytes: Uint8Array): Digest {
  return blakeHash().blake3(asBuffer(bytes)).toString("hex");
}

/** A streaming BLAKE3, for contents that arrive in pieces. */
export class Blake3Stream {
  private readonly hasher = new (blakeHash().Blake3Hasher)();
  update(piece: Uint8Array): void {
    this.hasher.update(asBuffer(piece));
  }
  digest(): Digest {
    return this.hasher.digestBuffer().toString("hex");
  }
}
