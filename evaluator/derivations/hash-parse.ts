/**
 * Hash parsing with CppNix 2.8's rules and error texts (Hash::parseAny,
 * newHashAllowEmpty): `algo:digest`, SRI `algo-base64`, or a bare digest whose
 * algorithm comes from elsewhere (`outputHashAlgo`, `sha256 = …`). The digest's
 * form is told by its length: base16, nixbase32, then base64.
 */
import { HASH_SIZES, Hash, base32Length, decodeBase32, isHashAlgo, type HashAlgo } from "../../store/index.js";
import { EvalError, UsageError } from "../eval/index.js";

/** CppNix's parseHashType: a usage error (current CppNix's words) for an unknown name. */
export function parseHashType(name: string): HashAlgo {
  if (!isHashAlgo(name)) throw new UsageError(`unknown hash algorithm '${name}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`);
  return name;
}

/** CppNix's parseHashTypeOpt: undefined for an unknown or empty name. */
export function parseHashTypeOpt(name: string): HashAlgo | undefined {
  return isHashAlgo(name) ? name : undefined;
}

const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;

/** CppNix's base64Decode: stops at `=`, rejects other foreign characters. */
function base64Decode(s: string): Buffer {
  const eq = s.indexOf("=");
  const body = eq < 0 ? s : s.slice(0, eq);
  const clean = body.replace(/\n/g, "");
  if (!BASE64_CHARS.test(clean)) {
    const bad = [...clean].find((c) => !/[A-Za-z0-9+/]/.test(c))!;
    throw new EvalError(`invalid character in Base64 string: '${bad}'`);
  }
  return Buffer.from(clean, "base64");
}

function parseDigest(rest: string, algo: HashAlgo, isSri: boolean): Hash {
  const size = HASH_SIZES[algo];
  if (!isSri && rest.length === size * 2) {
    if (!/^[0-9a-fA-F]*$/.test(rest)) throw new EvalError(`invalid base-16 hash '${rest}'`);
    return new Hash(algo, Buffer.from(rest, "hex"));
  }
  if (!isSri && rest.length === base32Length(size)) {
    try {
      return new Hash(algo, decodeBase32(rest, size));
    } catch {
      throw new EvalError(`invalid base-32 hash '${rest}'`);
    }
  }
  if (isSri || rest.length === Math.ceil(size / 3) * 4) {
    const bytes = base64Decode(rest);
    if (bytes.length !== size) throw new EvalError(`invalid ${isSri ? "SRI" : "base-64"} hash '${rest}'`);
    return new Hash(algo, bytes);
  }
  throw new EvalError(`hash '${rest}' has wrong length for hash type '${algo}'`);
}

/** Hash::parseAny: the prefix (if any) and `algo` (if any) must agree. */
export function parseAnyHash(original: string, algo: HashAlgo | undefined): Hash {
  let rest = original;
  let parsedAlgo: HashAlgo | undefined;
  let isSri = false;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    parsedAlgo = parseHashType(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  } else {
    const dash = rest.indexOf("-");
    if (dash >= 0) {
      parsedAlgo = parseHashType(rest.slice(0, dash));
      rest = rest.slice(dash + 1);
      isSri = true;
    }
  }
  if (parsedAlgo === undefined && algo === undefined) {
    throw new EvalError(`hash '${rest}' does not include a type, nor is the type otherwise known from context`);
  }
  if (parsedAlgo !== undefined && algo !== undefined && parsedAlgo !== algo) {
    throw new EvalError(`hash '${original}' should have type '${algo}'`);
  }
  return parseDigest(rest, (parsedAlgo ?? algo)!, isSri);
}

/** newHashAllowEmpty: an empty hash is all zeroes of the given type, with a warning. */
export function parseHashAllowEmpty(s: string, algo: HashAlgo | undefined): Hash {
  if (s !== "") return parseAnyHash(s, algo);
  if (algo === undefined) throw new EvalError("empty hash requires explicit hash type");
  const h = new Hash(algo, new Uint8Array(HASH_SIZES[algo]));
  warn(`found empty hash, assuming '${h.toSri()}'`);
  return h;
}

/** A `warning: …` line on stderr, as CppNix prints it. */
export function warn(message: string): void {
  process.stderr.write(Buffer.from(`warning: ${message}\n`, "latin1"));
}
