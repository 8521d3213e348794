import { isBase32 } from "./nixbase32.js";

export const DEFAULT_STORE_DIR = "/nix/store";

/** Length of the hash part of a store path: nixbase32 of a 20-byte digest. */
export const HASH_PART_LENGTH = 32;

/** Longest name CppNix accepts; with the hash part and dash a base name fits in 244 bytes. */
export const MAX_NAME_LENGTH = 211;

export const DRV_EXTENSION = ".drv";

export class BadStorePathError extends Error {
  override name = "BadStorePathError";
}

function isNameChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    code === 0x2b || // +
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x5f || // _
    code === 0x3f || // ?
    code === 0x3d // =
  );
}

/**
 * Why `name` cannot be a store path name, or undefined when it can. CppNix 2.8 checks
 * only emptiness, length and the character set: `.`, `..` and `.foo` are accepted.
 */
export function storePathNameProblem(name: string): string | undefined {
  if (name.length === 0) return "has an empty name";
  if (name.length > MAX_NAME_LENGTH) return `has a name longer than ${MAX_NAME_LENGTH} characters`;
  for (let i = 0; i < name.length; i++) {
    if (!isNameChar(name.charCodeAt(i))) return `contains illegal character '${name[i]}'`;
  }
  return undefined;
}

export function isValidStorePathName(name: string): boolean {
  return storePathNameProblem(name) === undefined;
}

/** Throws, naming `context` (the path being formed), when `name` is not a valid name. */
export function checkStorePathName(name: string, context: string): void {
  const problem = storePathNameProblem(name);
  if (problem) throw new BadStorePathError(`store path '${context}' ${problem}`);
}

/** A store path without its store directory: `<32 nixbase32 chars>-<name>`. */
export class StorePath {
  readonly hashPart: string;
  readonly name: string;

  constructor(hashPart: string, name: string) {
    const baseName = `${hashPart}-${name}`;
    if (hashPart.length !== HASH_PART_LENGTH || !isBase32(hashPart)) {
      throw new BadStorePathError(
        `store path '${baseName}' has an invalid hash part '${hashPart}' (want ${HASH_PART_LENGTH} nixbase32 characters)`,
      );
    }
    checkStorePathName(name, baseName);
    this.hashPart = hashPart;
    this.name = name;
  }

  /** Parses `<hash>-<name>`, e.g. a narinfo reference. */
  static fromBaseName(baseName: string): StorePath {
    if (baseName.length < HASH_PART_LENGTH + 1) {
      throw new BadStorePathError(`'${baseName}' is too short to be a valid store path`);
    }
    const hashPart = baseName.slice(0, HASH_PART_LENGTH);
    for (let i = 0; i < hashPart.length; i++) {
      if (!isBase32(hashPart[i]!)) {
        throw new BadStorePathError(`store path '${baseName}' contains illegal base-32 character '${hashPart[i]}'`);
      }
    }
    // CppNix 2.8 never looks at this character; later versions reject a missing dash, and so do we.
    if (baseName[HASH_PART_LENGTH] !== "-") {
      throw new BadStorePathError(`store path '${baseName}' is missing the '-' after the hash part`);
    }
    return new StorePath(hashPart, baseName.slice(HASH_PART_LENGTH + 1));
  }

  get baseName(): string {
    return `${this.hashPart}-${this.name}`;
  }

  /** The absolute path in `storeDir`. */
  render(storeDir = DEFAULT_STORE_DIR): string {
    return `${storeDir}/${this.baseName}`;
  }

  isDerivation(): boolean {
    return this.name.endsWith(DRV_EXTENSION);
  }

  equals(other: StorePath): boolean {
    return this.hashPart === other.hashPart && this.name === other.name;
  }

  /** CppNix orders store paths by base name (byte order); every path set is sorted so. */
  static compare(a: StorePath, b: StorePath): number {
    const x = a.baseName;
    const y = b.baseName;
    return x < y ? -1 : x > y ? 1 : 0;
  }

  toString(): string {
    return this.baseName;
  }
}

/** Sorted and deduplicated, the order CppNix's `StorePathSet` iterates in. */
export function sortStorePaths(paths: Iterable<StorePath>): StorePath[] {
  const byBase = new Map<string, StorePath>();
  for (const p of paths) byBase.set(p.baseName, p);
  return [...byBase.values()].sort(StorePath.compare);
}

/** Lexical canonicalisation as CppNix's canonPath without symlinks: `.`, `..`, repeated and trailing slashes. */
export function canonicalizePath(path: string): string {
  if (!path.startsWith("/")) throw new BadStorePathError(`not an absolute path: '${path}'`);
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** True when `path` lies strictly inside `storeDir` (textually, as CppNix's isInStore). */
export function isInStore(path: string, storeDir = DEFAULT_STORE_DIR): boolean {
  return path.startsWith("/") && path.startsWith(storeDir) && path.length >= storeDir.length + 2 && path[storeDir.length] === "/";
}

/** Parses an absolute store path such as `/nix/store/<hash>-<name>` (canonicalised first). */
export function parseStorePath(text: string, storeDir = DEFAULT_STORE_DIR): StorePath {
  const canonical = canonicalizePath(text);
  const slash = canonical.lastIndexOf("/");
  const dir = slash === 0 ? "/" : canonical.slice(0, slash);
  if (dir !== storeDir) {
    throw new BadStorePathError(`path '${canonical}' is not in the Nix store '${storeDir}'`);
  }
  return StorePath.fromBaseName(canonical.slice(slash + 1));
}

/** Like parseStorePath, but undefined instead of an error. */
export function maybeParseStorePath(text: string, storeDir = DEFAULT_STORE_DIR): StorePath | undefined {
  try {
    return parseStorePath(text, storeDir);
  } catch {
    return undefined;
  }
}

export function isStorePath(text: string, storeDir = DEFAULT_STORE_DIR): boolean {
  return maybeParseStorePath(text, storeDir) !== undefined;
}

/**
 * Splits a path inside the store, `/nix/store/<hash>-<name>/bin/foo`, into the store
 * path and the rest (`/bin/foo`, or `""` for the store path itself).
 */
export function splitStorePath(path: string, storeDir = DEFAULT_STORE_DIR): { storePath: StorePath; rest: string } {
  if (!isInStore(path, storeDir)) {
    throw new BadStorePathError(`path '${path}' is not in the Nix store '${storeDir}'`);
  }
  const slash = path.indexOf("/", storeDir.length + 1);
  if (slash < 0) return { storePath: parseStorePath(path, storeDir), rest: "" };
  return { storePath: parseStorePath(path.slice(0, slash), storeDir), rest: path.slice(slash) };
}
