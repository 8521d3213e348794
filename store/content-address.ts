import { Hash, parseHashAlgo, parseHashDigest } from "./hash.js";
import { makeFixedOutputPath, makeTextPath, type FileIngestionMethod } from "./make-store-path.js";
import { DEFAULT_STORE_DIR, StorePath } from "./store-path.js";

/** How a content-addressed path's hash was made: the narinfo/database `CA` field. */
export type ContentAddress =
  | { readonly type: "text"; readonly hash: Hash }
  | { readonly type: "fixed"; readonly method: FileIngestionMethod; readonly hash: Hash };

/** `text:sha256:<base32>` or `fixed:[r:]<algo>:<base32>`, as CppNix writes it. */
export function renderContentAddress(ca: ContentAddress): string {
  if (ca.type === "text") return `text:${ca.hash.format("base32")}`;
  return `fixed:${ca.method === "recursive" ? "r:" : ""}${ca.hash.format("base32")}`;
}

/** Parses a `CA` value; the digest may be base16, nixbase32 or base64 but not SRI. */
export function parseContentAddress(text: string): ContentAddress {
  const colon = text.indexOf(":");
  if (colon < 0) {
    throw new Error(`not a content address because it is not in the form '<prefix>:<rest>': ${text}`);
  }
  const prefix = text.slice(0, colon);
  let rest = text.slice(colon + 1);
  let method: FileIngestionMethod = "flat";
  if (prefix === "fixed" && rest.startsWith("r:")) {
    method = "recursive";
    rest = rest.slice(2);
  } else if (prefix !== "text" && prefix !== "fixed") {
    throw new Error(`content address prefix '${prefix}' is unrecognized; recognized prefixes are 'text' or 'fixed'`);
  }
  const algoEnd = rest.indexOf(":");
  if (algoEnd < 0) throw new Error(`content address hash must be in form '<algo>:<hash>', but found: ${text}`);
  const hash = parseHashDigest(parseHashAlgo(rest.slice(0, algoEnd)), rest.slice(algoEnd + 1));
  if (prefix === "text") {
    if (hash.algo !== "sha256") {
      throw new Error(`text content address hash should use sha256, but instead uses ${hash.algo}`);
    }
    return { type: "text", hash };
  }
  return { type: "fixed", method, hash };
}

/** The store path a content address gives for `name` and `references`. */
export function makeContentAddressedPath(
  name: string,
  ca: ContentAddress,
  references: Iterable<StorePath> = [],
  selfReference = false,
  storeDir = DEFAULT_STORE_DIR,
): StorePath {
  if (ca.type === "text") return makeTextPath(name, ca.hash, references, storeDir);
  return makeFixedOutputPath(name, ca.method, ca.hash, { references, selfReference }, storeDir);
}

/**
 * True when `path` is what its CA field and references say it must be (CppNix then needs
 * no signature). For a fixed address a reference to the path itself is its self-reference.
 */
export function isContentAddressedAs(
  path: StorePath,
  ca: ContentAddress,
  references: readonly StorePath[],
  storeDir = DEFAULT_STORE_DIR,
): boolean {
  let refs = references;
  let selfReference = false;
  if (ca.type === "fixed" && references.some((r) => r.equals(path))) {
    selfReference = true;
    refs = references.filter((r) => !r.equals(path));
  }
  try {
    return makeContentAddressedPath(path.name, ca, refs, selfReference, storeDir).equals(path);
  } catch {
    return false;
  }
}
