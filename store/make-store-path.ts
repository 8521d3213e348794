import { Hash, compressHash, hashBytes } from "./hash.js";
import { encodeBase32 } from "./nixbase32.js";
import { BadStorePathError, DEFAULT_STORE_DIR, StorePath, sortStorePaths } from "./store-path.js";

/** How a path's contents were hashed: the file's bytes (`flat`) or its NAR (`recursive`). */
export type FileIngestionMethod = "flat" | "recursive";

export interface ReferenceOptions {
  /** Other store paths the contents refer to. */
  references?: Iterable<StorePath>;
  /** Whether the contents refer to their own store path. */
  selfReference?: boolean;
}

/**
 * The store path for the fingerprint `<type>:<algo>:<inner hash, base16>:<storeDir>:<name>`:
 * its hash part is nixbase32 of sha256(fingerprint) folded to 20 bytes.
 */
export function makeStorePath(type: string, innerHash: Hash, name: string, storeDir = DEFAULT_STORE_DIR): StorePath {
  const fingerprint = `${type}:${innerHash.format("base16")}:${storeDir}:${name}`;
  // The evaluator's strings hold one byte per char: hash those bytes, as CppNix does, so an
  // invalid non-ASCII name is reported with CppNix's hash (a valid name is ASCII either way).
  const bytes = /^[\0-\xff]*$/.test(fingerprint) ? Buffer.from(fingerprint, "latin1") : fingerprint;
  const digest = compressHash(hashBytes("sha256", bytes).bytes, 20);
  return new StorePath(encodeBase32(digest), name);
}

/** `<kind>:<ref1>:<ref2>…[:self]`, references sorted as CppNix's path sets are. */
function typeWithReferences(kind: string, storeDir: string, options: ReferenceOptions): string {
  let type = kind;
  for (const ref of sortStorePaths(options.references ?? [])) type += `:${ref.render(storeDir)}`;
  if (options.selfReference) type += ":self";
  return type;
}

/** A text path (`builtins.toFile`, .drv files): sha256 of the contents, references in the type. */
export function makeTextPath(
  name: string,
  contentHash: Hash,
  references: Iterable<StorePath> = [],
  storeDir = DEFAULT_STORE_DIR,
): StorePath {
  if (contentHash.algo !== "sha256") {
    throw new Error(`text store path '${name}' needs a sha256 content hash, got ${contentHash.algo}`);
  }
  return makeStorePath(typeWithReferences("text", storeDir, { references }), contentHash, name, storeDir);
}

/** The text path `builtins.toFile name contents` gives. */
export function computeTextPath(
  name: string,
  contents: string | Uint8Array,
  references: Iterable<StorePath> = [],
  storeDir = DEFAULT_STORE_DIR,
): StorePath {
  return makeTextPath(name, hashBytes("sha256", contents), references, storeDir);
}

/**
 * A fixed-output path (`nix-store --add-fixed`, fixed-output derivations, `builtins.path`).
 * A recursive sha256 hash gives a `source` path, which may have references; every other
 * combination gives `output:out` over `fixed:out:<r:?><algo>:<hex>:` and may not.
 */
export function makeFixedOutputPath(
  name: string,
  method: FileIngestionMethod,
  hash: Hash,
  options: ReferenceOptions = {},
  storeDir = DEFAULT_STORE_DIR,
): StorePath {
  if (method === "recursive" && hash.algo === "sha256") {
    return makeStorePath(typeWithReferences("source", storeDir, options), hash, name, storeDir);
  }
  if (options.selfReference || sortStorePaths(options.references ?? []).length > 0) {
    throw new BadStorePathError(
      `fixed-output path '${name}' (${method} ${hash.algo}) cannot have references; only recursive sha256 paths can`,
    );
  }
  const prefix = method === "recursive" ? "r:" : "";
  const inner = hashBytes("sha256", `fixed:out:${prefix}${hash.format("base16")}:`);
  return makeStorePath("output:out", inner, name, storeDir);
}

/** A source path (`nix-store --add`, `${./x}`): the NAR's sha256, references, and `self`. */
export function makeSourcePath(
  name: string,
  narHash: Hash,
  options: ReferenceOptions = {},
  storeDir = DEFAULT_STORE_DIR,
): StorePath {
  if (narHash.algo !== "sha256") {
    throw new Error(`source store path '${name}' needs a sha256 NAR hash, got ${narHash.algo}`);
  }
  return makeFixedOutputPath(name, "recursive", narHash, options, storeDir);
}

/** An output's store path name: the derivation name for `out`, `<drvName>-<output>` otherwise. */
export function outputPathName(drvName: string, outputName: string): string {
  return outputName === "out" ? drvName : `${drvName}-${outputName}`;
}

/** The path of output `outputName` of a derivation whose hashDerivationModulo is `drvHash`. */
export function makeOutputPath(
  outputName: string,
  drvHash: Hash,
  drvName: string,
  storeDir = DEFAULT_STORE_DIR,
): StorePath {
  return makeStorePath(`output:${outputName}`, drvHash, outputPathName(drvName, outputName), storeDir);
}
