import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

// Nix keys and signatures are `<name>:<base64>`: a 64-byte secret key (32-byte seed
// followed by the 32-byte public key, libsodium's layout), a 32-byte public key, and a
// 64-byte detached ed25519 signature.

const SEED_BYTES = 32;
const PUBLIC_KEY_BYTES = 32;
const SECRET_KEY_BYTES = 64;
const SIGNATURE_BYTES = 64;

// DER prefixes that make raw ed25519 key bytes into PKCS#8 / SPKI documents Node accepts.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

function splitNamed(text: string, what: string): { name: string; bytes: Buffer } {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const name = colon > 0 ? trimmed.slice(0, colon) : "";
  const data = colon > 0 ? trimmed.slice(colon + 1) : "";
  if (name === "" || data === "") throw new Error(`${what} is corrupt: expected '<name>:<base64>'`);
  if (!BASE64_RE.test(data)) throw new Error(`${what} '${name}' is corrupt: invalid base64`);
  return { name, bytes: Buffer.from(data, "base64") };
}

export class PublicKey {
  readonly key: KeyObject;
  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
  ) {
    if (bytes.length !== PUBLIC_KEY_BYTES) {
      throw new Error(`public key '${name}' is not valid: ${bytes.length} bytes, want ${PUBLIC_KEY_BYTES}`);
    }
    this.key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: "der", type: "spki" });
  }

  /** `name:base64(32 bytes)`, as in `trusted-public-keys`. */
  static parse(text: string): PublicKey {
    const { name, bytes } = splitNamed(text, "public key");
    return new PublicKey(name, bytes);
  }

  toString(): string {
    return `${this.name}:${Buffer.from(this.bytes).toString("base64")}`;
  }
}

export class SecretKey {
  readonly key: KeyObject;
  readonly publicKey: PublicKey;

  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
  ) {
    if (bytes.length !== SECRET_KEY_BYTES) {
      throw new Error(`secret key '${name}' is not valid: ${bytes.length} bytes, want ${SECRET_KEY_BYTES}`);
    }
    const seed = bytes.subarray(0, SEED_BYTES);
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
    const derived = Buffer.from(createPublicKey(this.key).export({ format: "jwk" }).x!, "base64url");
    // libsodium signs with the stored public half; a mismatch would give signatures no one can verify.
    if (!derived.equals(bytes.subarray(SEED_BYTES))) {
      throw new Error(`secret key '${name}' is not valid: its public half does not match its seed`);
    }
    this.publicKey = new PublicKey(name, derived);
  }

  /** `name:base64(64 bytes)`, the file `nix-store --generate-binary-cache-key` writes. */
  static parse(text: string): SecretKey {
    const { name, bytes } = splitNamed(text, "secret key");
    return new SecretKey(name, bytes);
  }

  /** A fresh key pair, in the same format as `nix-store --generate-binary-cache-key`. */
  static generate(name: string): SecretKey {
    if (name === "" || name.includes(":")) throw new Error(`invalid key name '${name}'`);
    const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
    const bytes = Buffer.concat([Buffer.from(jwk.d!, "base64url"), Buffer.from(jwk.x!, "base64url")]);
    return new SecretKey(name, bytes);
  }

  /** A detached signature of `data`, written `name:base64(signature)`. */
  sign(data: string | Uint8Array): string {
    const signature = sign(null, typeof data === "string" ? Buffer.from(data) : data, this.key);
    return `${this.name}:${signature.toString("base64")}`;
  }

  toString(): string {
    return `${this.name}:${Buffer.from(this.bytes).toString("base64")}`;
  }
}

/** Trusted keys by name; CppNix looks a signature's key up by name only. */
export type PublicKeys = ReadonlyMap<string, PublicKey>;

export function publicKeyMap(keys: Iterable<PublicKey | string>): Map<string, PublicKey> {
  const map = new Map<string, PublicKey>();
  for (const k of keys) {
    const key = typeof k === "string" ? PublicKey.parse(k) : k;
    map.set(key.name, key);
  }
  return map;
}

/**
 * True when `signature` (`name:base64`) is by a key trusted under that name and verifies
 * over `data`. An unknown name or malformed signature never counts (CppNix throws on a
 * signature of the wrong length; for us it is simply not a valid signature).
 */
export function verifySignature(data: string | Uint8Array, signature: string, trusted: PublicKeys): boolean {
  const colon = signature.indexOf(":");
  if (colon <= 0) return false;
  const key = trusted.get(signature.slice(0, colon));
  if (!key) return false;
  const encoded = signature.slice(colon + 1);
  if (!BASE64_RE.test(encoded)) return false;
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== SIGNATURE_BYTES) return false;
  return verify(null, typeof data === "string" ? Buffer.from(data) : data, key.key, bytes);
}

/** How many of `signatures` verify over `data` with a trusted key. */
export function countValidSignatures(data: string | Uint8Array, signatures: Iterable<string>, trusted: PublicKeys): number {
  let good = 0;
  for (const sig of signatures) if (verifySignature(data, sig, trusted)) good++;
  return good;
}
