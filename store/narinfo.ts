import { parseContentAddress, renderContentAddress, type ContentAddress } from "./content-address.js";
import { Hash, parseHash } from "./hash.js";
import { SecretKey, countValidSignatures, type PublicKeys } from "./signature.js";
import { DEFAULT_STORE_DIR, StorePath, parseStorePath, sortStorePaths } from "./store-path.js";

/** A `<hash part>.narinfo` of a binary cache. */
export interface NarInfo {
  storePath: StorePath;
  /** Where the (compressed) NAR is, relative to the cache root, e.g. `nar/<filehash>.nar.xz`. */
  url: string;
  /** `xz`, `bzip2`, `zstd`, `none`…; CppNix assumes `bzip2` when the field is missing. */
  compression: string;
  fileHash?: Hash;
  fileSize?: number;
  narHash: Hash;
  narSize: number;
  /** Sorted by base name, as CppNix keeps them. */
  references: StorePath[];
  deriver?: StorePath;
  system?: string;
  /** `keyname:base64` signatures over the fingerprint, sorted, without duplicates. */
  sigs: string[];
  ca?: ContentAddress;
}

export class NarInfoError extends Error {
  override name = "NarInfoError";
}

export interface ParseNarInfoOptions {
  storeDir?: string;
  /** Names the file in errors, e.g. its URL. */
  whence?: string;
}

function parseSize(value: string, field: string, fail: (msg: string) => never): number {
  if (!/^[0-9]+$/.test(value)) fail(`${field} '${value}' is not a number`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) fail(`${field} '${value}' is too large`);
  return n;
}

/**
 * Parses a narinfo the way CppNix reads one: `Name: value` lines each ended by a newline,
 * unknown names ignored; StorePath, URL, NarHash and a non-zero NarSize are required.
 */
export function parseNarInfo(text: string, options: ParseNarInfoOptions = {}): NarInfo {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const whence = options.whence ?? "narinfo";
  let lineNo = 0;
  const fail = (msg: string): never => {
    throw new NarInfoError(`NAR info file '${whence}' is corrupt: ${lineNo > 0 ? `line ${lineNo}: ` : ""}${msg}`);
  };
  const parseHashField = (value: string, field: string): Hash => {
    try {
      return parseHash(value);
    } catch (e) {
      return fail(`${field}: ${(e as Error).message}`);
    }
  };
  const parsePath = <T>(what: string, parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      return fail(`${what}: ${(e as Error).message}`);
    }
  };

  let storePath: StorePath | undefined;
  let url = "";
  let compression = "";
  let fileHash: Hash | undefined;
  let fileSize: number | undefined;
  let narHash: Hash | undefined;
  let narSize = 0;
  let references: StorePath[] = [];
  let deriver: StorePath | undefined;
  let system: string | undefined;
  const sigs = new Set<string>();
  let ca: ContentAddress | undefined;

  const lines = text.split("\n");
  if (lines.pop() !== "") {
    lineNo = lines.length + 1;
    fail("the last line does not end with a newline");
  }
  for (const line of lines) {
    lineNo++;
    const colon = line.indexOf(": ");
    if (colon < 0) fail(`expected 'Name: value', got '${line}'`);
    const name = line.slice(0, colon);
    const value = line.slice(colon + 2);
    switch (name) {
      case "StorePath":
        storePath = parsePath("StorePath", () => parseStorePath(value, storeDir));
        break;
      case "URL":
        url = value;
        break;
      case "Compression":
        compression = value;
        break;
      case "FileHash":
        fileHash = parseHashField(value, name);
        break;
      case "FileSize":
        fileSize = parseSize(value, name, fail);
        break;
      case "NarHash":
        narHash = parseHashField(value, name);
        break;
      case "NarSize":
        narSize = parseSize(value, name, fail);
        break;
      case "References":
        // CppNix allows a repeated References line only while the earlier ones were empty.
        if (references.length > 0) fail("References given twice");
        references = sortStorePaths(
          value
            .split(" ")
            .filter((r) => r !== "")
            .map((r) => parsePath("References", () => StorePath.fromBaseName(r))),
        );
        break;
      case "Deriver":
        deriver = value === "unknown-deriver" ? undefined : parsePath("Deriver", () => StorePath.fromBaseName(value));
        break;
      case "System":
        system = value;
        break;
      case "Sig":
        sigs.add(value);
        break;
      case "CA":
        if (ca) fail("CA given twice");
        if (value !== "") ca = parsePath("CA", () => parseContentAddress(value));
        break;
      default:
        break; // Unknown fields are ignored, so newer caches stay readable.
    }
  }
  lineNo = 0;
  if (!storePath) fail("missing StorePath");
  if (!narHash) fail("missing NarHash");
  if (url === "") fail("missing URL");
  if (narSize === 0) fail("missing or zero NarSize");

  const info: NarInfo = {
    storePath: storePath!,
    url,
    compression: compression === "" ? "bzip2" : compression,
    narHash: narHash!,
    narSize,
    references,
    sigs: [...sigs].sort(),
  };
  if (fileHash) info.fileHash = fileHash;
  if (fileSize !== undefined) info.fileSize = fileSize;
  if (deriver) info.deriver = deriver;
  if (system !== undefined && system !== "") info.system = system;
  if (ca) info.ca = ca;
  return info;
}

/** Renders a narinfo as CppNix writes one: fixed field order, hashes as `sha256:<nixbase32>`. */
export function renderNarInfo(info: NarInfo, storeDir = DEFAULT_STORE_DIR): string {
  let out = `StorePath: ${info.storePath.render(storeDir)}\n`;
  out += `URL: ${info.url}\n`;
  out += `Compression: ${info.compression}\n`;
  if (info.fileHash) out += `FileHash: ${info.fileHash.format("base32")}\n`;
  if (info.fileSize !== undefined) out += `FileSize: ${info.fileSize}\n`;
  out += `NarHash: ${info.narHash.format("base32")}\n`;
  out += `NarSize: ${info.narSize}\n`;
  out += `References: ${sortStorePaths(info.references)
    .map((r) => r.baseName)
    .join(" ")}\n`;
  if (info.deriver) out += `Deriver: ${info.deriver.baseName}\n`;
  if (info.system) out += `System: ${info.system}\n`;
  for (const sig of [...new Set(info.sigs)].sort()) out += `Sig: ${sig}\n`;
  if (info.ca) out += `CA: ${renderContentAddress(info.ca)}\n`;
  return out;
}

/**
 * What a path's signatures sign: `1;<path>;<narHash as algo:nixbase32>;<narSize>;<refs>`,
 * references as full paths, sorted, comma-separated. The hash is always rendered in
 * nixbase32 whatever form the narinfo used.
 */
export function pathInfoFingerprint(
  storePath: StorePath,
  narHash: Hash,
  narSize: number,
  references: Iterable<StorePath>,
  storeDir = DEFAULT_STORE_DIR,
): string {
  if (narSize === 0) {
    throw new Error(`cannot calculate fingerprint of path '${storePath.render(storeDir)}' because its size is not known`);
  }
  const refs = sortStorePaths(references).map((r) => r.render(storeDir));
  return `1;${storePath.render(storeDir)};${narHash.format("base32")};${narSize};${refs.join(",")}`;
}

export function narInfoFingerprint(info: NarInfo, storeDir = DEFAULT_STORE_DIR): string {
  return pathInfoFingerprint(info.storePath, info.narHash, info.narSize, info.references, storeDir);
}

/** Adds `key`'s signature over the fingerprint (keeps the signature list sorted and unique). */
export function signNarInfo(info: NarInfo, key: SecretKey, storeDir = DEFAULT_STORE_DIR): NarInfo {
  const sig = key.sign(narInfoFingerprint(info, storeDir));
  return { ...info, sigs: [...new Set([...info.sigs, sig])].sort() };
}

/** How many of the narinfo's signatures verify with a trusted key. */
export function countNarInfoSignatures(info: NarInfo, trusted: PublicKeys, storeDir = DEFAULT_STORE_DIR): number {
  return countValidSignatures(narInfoFingerprint(info, storeDir), info.sigs, trusted);
}
