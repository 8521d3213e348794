/** `hashString` and `hashFile`: base16 digests (md5, sha1, sha256, sha512); `convertHash`. */
import { createHash } from "node:crypto";
import { EvalError, UsageError, definePrimOp, forceAttrs, forceString, forceStringNoCtx, nixToBytes, stringBytes } from "../eval/index.js";
import { isHashAlgo, parseHash, type Hash, type HashAlgo, type HashFormat } from "../../store/index.js";
import { logWarning } from "./debug.js";
import { readFileBytes, realisePath } from "./files.js";

const ALGORITHMS = new Set(["md5", "sha1", "sha256", "sha512"]);

function hashAlgorithm(name: string, pos: number): string {
  // Current CppNix lists the algorithms it knows (blake3 too, which it hashes but this evaluator does not).
  if (!ALGORITHMS.has(name)) throw new UsageError(`unknown hash algorithm '${name}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`, pos);
  return name;
}

definePrimOp("__hashString", 2, ([type, s]) => {
  const algo = hashAlgorithm(forceStringNoCtx(type!, 0, "while evaluating the first argument passed to builtins.hashString"), 0);
  // The string's context is discarded.
  const bytes = nixToBytes(stringBytes(forceString(s!, 0, "while evaluating the second argument passed to builtins.hashString")));
  return createHash(algo).update(bytes).digest("hex");
});

definePrimOp("__hashFile", 2, ([type, p], pos) => {
  const algo = hashAlgorithm(forceStringNoCtx(type!, pos), pos);
  const bytes = readFileBytes(realisePath(p!, pos), pos);
  return createHash(algo).update(bytes).digest("hex");
});

/** Current CppNix's hash format names (`nix32` and its old name `base32`). */
const HASH_FORMATS: Readonly<Record<string, HashFormat>> = { base16: "base16", nix32: "base32", base32: "base32", base64: "base64", sri: "sri" };

/**
 * `convertHash { hash; hashAlgo ? …; toHashFormat; }` (current CppNix; upstream
 * eval-okay-convertHash): any accepted form in, the named form out, with the
 * algorithm prefix only for SRI.
 */
definePrimOp("__convertHash", 1, ([args], pos) => {
  const attrs = forceAttrs(args!, pos);
  const hashAttr = attrs.get("hash");
  if (hashAttr === undefined) throw new EvalError("attribute 'hash' missing", pos);
  const hash = forceStringNoCtx(hashAttr, pos);
  const algoAttr = attrs.get("hashAlgo");
  let algo: HashAlgo | undefined;
  if (algoAttr !== undefined) {
    const name = forceStringNoCtx(algoAttr, pos);
    if (!isHashAlgo(name)) throw new UsageError(`unknown hash algorithm '${name}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`, pos);
    algo = name;
  }
  const formatAttr = attrs.get("toHashFormat");
  if (formatAttr === undefined) throw new EvalError("attribute 'toHashFormat' missing", pos);
  const formatName = forceStringNoCtx(formatAttr, pos);
  const format = HASH_FORMATS[formatName];
  if (format === undefined) throw new UsageError(`unknown hash format '${formatName}', expect 'base16', 'base32', 'base64', or 'sri'`, pos);
  if (formatName === "base32") logWarning('"base32" is a deprecated alias for hash format "nix32".');
  let parsed: Hash;
  try {
    parsed = parseHash(hash, algo);
  } catch (err) {
    if (err instanceof Error && !(err instanceof EvalError)) throw new EvalError(err.message, pos);
    throw err;
  }
  return parsed.format(format, format === "sri");
});
