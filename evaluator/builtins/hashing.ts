/** `hashString` and `hashFile`: base16 digests (md5, sha1, sha256, sha512). */
import { createHash } from "node:crypto";
import { EvalError, definePrimOp, forceString, forceStringNoCtx, nixToBytes, stringBytes } from "../eval/index.js";
import { readFileBytes, realisePath } from "./files.js";

const ALGORITHMS = new Set(["md5", "sha1", "sha256", "sha512"]);

function hashAlgorithm(name: string, pos: number): string {
  if (!ALGORITHMS.has(name)) throw new EvalError(`unknown hash algorithm '${name}'`, pos);
  return name;
}

definePrimOp("__hashString", 2, ([type, s], pos) => {
  const algo = hashAlgorithm(forceStringNoCtx(type!, pos), pos);
  // The string's context is discarded.
  const bytes = nixToBytes(stringBytes(forceString(s!, pos)));
  return createHash(algo).update(bytes).digest("hex");
});

definePrimOp("__hashFile", 2, ([type, p], pos) => {
  const algo = hashAlgorithm(forceStringNoCtx(type!, pos), pos);
  const bytes = readFileBytes(realisePath(p!, pos), pos);
  return createHash(algo).update(bytes).digest("hex");
});
