/**
 * sha256 and store paths for the derivation hot path (thousands of derivations, a
 * handful of hashes each): digests come back as strings (hex, or one char per byte),
 * never as Buffers or Hash objects, and ASCII texts are hashed without a copy.
 * Results are those of `hashBytes` and `makeStorePath`.
 */
import * as crypto from "node:crypto";
import { makeStorePath } from "../make-store-path.js";
import { Hash } from "../hash.js";
import { isValidStorePathName } from "../store-path.js";

type OneShot = (algo: string, data: string | Uint8Array, encoding: "hex" | "latin1") => string;

/** Node's one-shot `crypto.hash` (20.12+); a string digest is cheaper than a Buffer one. */
const oneShot: OneShot =
  (crypto as unknown as { hash?: OneShot }).hash ??
  ((algo, data, encoding) => crypto.createHash(algo).update(data).digest().toString(encoding));

const NON_ASCII = /[\x80-\uffff]/;

/** A byte string (char codes 0-255) as the hash input: strings are hashed as UTF-8, which is the same bytes for ASCII. */
function input(text: string, ascii: boolean | undefined): string | Buffer {
  return (ascii ?? !NON_ASCII.test(text)) ? text : Buffer.from(text, "latin1");
}

/** sha256 of a byte string, base16. `ascii` when the caller knows (saves a scan). */
export function sha256Hex(text: string, ascii?: boolean): string {
  return oneShot("sha256", input(text, ascii), "hex");
}

const folded = new Uint8Array(20);

/**
 * The store path `makeStorePath(type, sha256:innerHex, name)` renders: the
 * fingerprint's sha256 folded to 20 bytes, in nixbase32. A name that is not valid
 * goes the checked way (and throws the usual BadStorePathError).
 */
export function storePathFromHex(type: string, innerHex: string, name: string, storeDir: string): string {
  if (!isValidStorePathName(name)) {
    return makeStorePath(type, new Hash("sha256", Buffer.from(innerHex, "hex")), name, storeDir).render(storeDir);
  }
  const fingerprint = `${type}:sha256:${innerHex}:${storeDir}:${name}`;
  // As makeStorePath: the fingerprint string itself (UTF-8; store names and paths are ASCII).
  // A hex digest: Node checks any other output encoding the slow way on every call.
  const digest = oneShot("sha256", fingerprint, "hex");
  folded.fill(0);
  for (let i = 0; i < 32; i++) folded[i % 20]! ^= (HEX_VALUE[digest.charCodeAt(2 * i)]! << 4) | HEX_VALUE[digest.charCodeAt(2 * i + 1)]!;
  return storeDir + "/" + base32Of20() + "-" + name;
}

/** The value of a lower-case hex digit by char code. */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i++) HEX_VALUE["0123456789abcdef".charCodeAt(i)] = i;

const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
const codes: number[] = new Array<number>(32).fill(0);

/** nixbase32 of `folded` (as encodeBase32 writes it), built as one string. */
function base32Of20(): string {
  for (let n = 31; n >= 0; n--) {
    const bit = n * 5;
    const i = bit >> 3;
    const j = bit & 7;
    const v = (folded[i]! >> j) | (i + 1 < 20 ? folded[i + 1]! << (8 - j) : 0);
    codes[31 - n] = ALPHABET.charCodeAt(v & 0x1f);
  }
  return String.fromCharCode(...codes);
}
