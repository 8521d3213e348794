import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import { base32Length, decodeBase32, encodeBase32 } from "./nixbase32.js";

export type HashAlgo = "md5" | "sha1" | "sha256" | "sha512";
export type HashFormat = "base16" | "base32" | "base64" | "sri";

export const HASH_SIZES: Readonly<Record<HashAlgo, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

export function isHashAlgo(s: string): s is HashAlgo {
  return s === "md5" || s === "sha1" || s === "sha256" || s === "sha512";
}

export function parseHashAlgo(s: string): HashAlgo {
  if (!isHashAlgo(s)) throw new Error(`unknown hash algorithm '${s}'`);
  return s;
}

/** A digest together with its algorithm; renders in any of Nix's four forms. */
export class Hash {
  constructor(
    readonly algo: HashAlgo,
    readonly bytes: Uint8Array,
  ) {
    if (bytes.length !== HASH_SIZES[algo]) {
      throw new Error(`${algo} hash must be ${HASH_SIZES[algo]} bytes, got ${bytes.length}`);
    }
  }

  toBase16(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString("hex");
  }

  toBase32(): string {
    return encodeBase32(this.bytes);
  }

  toBase64(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString("base64");
  }

  toSri(): string {
    return `${this.algo}-${this.toBase64()}`;
  }

  /** The form Nix prints: `algo:digest` for base16/32/64, `algo-base64` for SRI. */
  format(format: HashFormat, withAlgo = true): string {
    switch (format) {
      case "sri":
        return this.toSri();
      case "base16":
        return withAlgo ? `${this.algo}:${this.toBase16()}` : this.toBase16();
      case "base32":
        return withAlgo ? `${this.algo}:${this.toBase32()}` : this.toBase32();
      case "base64":
        return withAlgo ? `${this.algo}:${this.toBase64()}` : this.toBase64();
    }
  }

  equals(other: Hash): boolean {
    return this.algo === other.algo && Buffer.compare(this.bytes, other.bytes) === 0;
  }

  toString(): string {
    return this.format("base32");
  }
}

/** Node's one-shot `crypto.hash` (20.12+): about twice as fast as createHash for small inputs. */
const oneShot = (crypto as { hash?: (algo: string, data: Uint8Array | string, encoding: "buffer") => Buffer }).hash;

export function hashBytes(algo: HashAlgo, data: Uint8Array | string): Hash {
  return new Hash(algo, oneShot !== undefined ? oneShot(algo, data, "buffer") : createHash(algo).update(data).digest());
}

/** Incremental hashing over chunks, e.g. of a NAR stream. */
export class HashSink {
  private readonly inner;
  private total = 0;
  constructor(readonly algo: HashAlgo) {
    this.inner = createHash(algo);
  }
  update(chunk: Uint8Array): void {
    this.inner.update(chunk);
    this.total += chunk.length;
  }
  get size(): number {
    return this.total;
  }
  finish(): Hash {
    return new Hash(this.algo, this.inner.digest());
  }
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes the digest part of a hash whose algorithm is known; the form is told by its length. */
export function parseHashDigest(algo: HashAlgo, digest: string): Hash {
  const size = HASH_SIZES[algo];
  if (digest.length === size * 2 && /^[0-9a-fA-F]*$/.test(digest)) {
    return new Hash(algo, Buffer.from(digest, "hex"));
  }
  if (digest.length === base32Length(size)) {
    return new Hash(algo, decodeBase32(digest, size));
  }
  if (digest.length === Math.ceil(size / 3) * 4 && BASE64_RE.test(digest)) {
    const bytes = Buffer.from(digest, "base64");
    if (bytes.length === size && bytes.toString("base64") === digest) return new Hash(algo, bytes);
  }
  throw new Error(`hash '${digest}' has wrong length for hash type '${algo}'`);
}

/**
 * Parses a hash in any form Nix accepts: `algo:digest`, SRI `algo-base64`, or a bare
 * digest when `algo` is given. A prefix that names another algorithm than `algo` is an error.
 */
export function parseHash(s: string, algo?: HashAlgo): Hash {
  const colon = s.indexOf(":");
  const dash = s.indexOf("-");
  let parsed: Hash;
  if (colon > 0) {
    parsed = parseHashDigest(parseHashAlgo(s.slice(0, colon)), s.slice(colon + 1));
  } else if (dash > 0 && isHashAlgo(s.slice(0, dash))) {
    const sriAlgo = s.slice(0, dash) as HashAlgo;
    const digest = s.slice(dash + 1);
    const bytes = Buffer.from(digest, "base64");
    if (!BASE64_RE.test(digest) || bytes.length !== HASH_SIZES[sriAlgo]) {
      throw new Error(`invalid SRI hash '${s}'`);
    }
    parsed = new Hash(sriAlgo, bytes);
  } else {
    if (!algo) throw new Error(`hash '${s}' does not include a type`);
    return parseHashDigest(algo, s);
  }
  if (algo && parsed.algo !== algo) {
    throw new Error(`hash '${s}' should have type '${algo}'`);
  }
  return parsed;
}

/** XOR-folds a digest to `size` bytes: byte k goes into k mod size (store path hashes). */
export function compressHash(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let k = 0; k < bytes.length; k++) out[k % size] = out[k % size]! ^ bytes[k]!;
  return out;
}
