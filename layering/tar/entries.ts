import { lstat, readdir, readlink } from "node:fs/promises";

/** Store contents carry mtime 1 (the Nix store's canonical timestamp); so does every entry we write. */
export const LAYER_MTIME = 1;
export const MODE_DIRECTORY = 0o555;
export const MODE_EXECUTABLE = 0o555;
export const MODE_FILE = 0o444;
export const MODE_SYMLINK = 0o777;

/** One archive member. Paths are relative (no leading `/`), without a trailing slash. */
export type TarEntry =
  | { type: "directory"; path: Buffer; mode: number }
  | { type: "symlink"; path: Buffer; target: Buffer }
  | { type: "file"; path: Buffer; mode: number; size: number; data: Buffer }
  /** A file whose bytes are read from `source` (a physical path) while writing. */
  | { type: "file"; path: Buffer; mode: number; size: number; source: Buffer }
  /** A file whose bytes arrive in pieces from `contents()` (e.g. castore chunks) while writing. */
  | { type: "file"; path: Buffer; mode: number; size: number; contents: () => AsyncIterable<Buffer> };

/**
 * Where a layer's store paths are read from: a directory holding `nix/store/…` (a
 * store on disk) or anything else that yields the same entries for a store path,
 * such as the castore (castore-source.ts). Both must give identical entries, so a
 * layer's digest does not depend on where its paths were read from.
 */
export interface StoreTreeSource {
  /** The entries of `storePath` (absolute), named under `logical` (`nix/store/<base>`), depth-first, children by name bytes. */
  pathEntries(storePath: string, logical: Buffer): AsyncIterable<TarEntry>;
}

/**
 * Looks inside store paths without reading contents (for the customisation layer):
 * what `lstat` and `readdir` of an absolute path in `/nix/store` would say.
 */
export interface StoreTreeInspector {
  kind(path: Buffer): Promise<"dir" | "file" | "link" | undefined>;
  list(path: Buffer): Promise<Buffer[]>;
}

/** Store paths read from a directory holding `nix/store/…`. */
export function diskTreeSource(storeRoot: string): StoreTreeSource {
  return { pathEntries: (_storePath, logical) => walk(Buffer.concat([Buffer.from(storeRoot), Buffer.from("/"), logical]), logical) };
}

export class LayerContentError extends Error {
  override name = "LayerContentError";
}

const STORE_PARENTS = ["nix", "nix/store"];

/**
 * The entries of a layer holding `storePaths` (absolute, e.g. `/nix/store/<base>`)
 * read from `storeRoot` (a directory holding `nix/store/...`, or another source): the `nix/` and
 * `nix/store/` directories, then each store path depth-first with every
 * directory's children sorted by name bytes (the order of `tar --sort=name`).
 * Only the owner x bit matters for files, as in the Nix store and NARs.
 */
export async function* storePathEntries(storeRoot: string | StoreTreeSource, storePaths: readonly string[]): AsyncGenerator<TarEntry> {
  const source = typeof storeRoot === "string" ? diskTreeSource(storeRoot) : storeRoot;
  for (const dir of STORE_PARENTS) yield { type: "directory", path: Buffer.from(dir), mode: MODE_DIRECTORY };
  const logical = [...new Set(storePaths)].map(checkStorePath).sort(Buffer.compare);
  for (const path of logical) {
    yield* source.pathEntries(`/${path.toString("latin1")}`, path);
  }
}

/** `/nix/store/<base>` → `nix/store/<base>` as bytes; anything else is refused. */
function checkStorePath(path: string): Buffer {
  const match = /^\/nix\/store\/([^/]+)$/.exec(path);
  if (!match || match[1] === "." || match[1] === "..") throw new LayerContentError(`'${path}' is not a store path in /nix/store`);
  return Buffer.from(path.slice(1));
}

async function* walk(physical: Buffer, path: Buffer): AsyncGenerator<TarEntry> {
  const stats = await lstat(physical).catch((error: NodeJS.ErrnoException) => {
    throw new LayerContentError(`cannot read '${physical.toString()}': ${error.code ?? error.message}`);
  });
  if (stats.isSymbolicLink()) {
    yield { type: "symlink", path, target: await readlink(physical, { encoding: "buffer" }) };
  } else if (stats.isFile()) {
    const mode = stats.mode & 0o100 ? MODE_EXECUTABLE : MODE_FILE;
    yield { type: "file", path, mode, size: stats.size, source: physical };
  } else if (stats.isDirectory()) {
    yield { type: "directory", path, mode: MODE_DIRECTORY };
    const names = await readdir(physical, { encoding: "buffer" });
    names.sort(Buffer.compare);
    for (const name of names) {
      yield* walk(joinBytes(physical, name), joinBytes(path, name));
    }
  } else {
    throw new LayerContentError(`'${physical.toString()}' is neither a file, a directory nor a symlink`);
  }
}

function joinBytes(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from("/"), name]);
}
