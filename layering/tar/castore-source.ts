import { lstat, readdir } from "node:fs/promises";
import {
  CastoreMissingError,
  SINGLE_BLOB_MAX,
  decodeDirectory,
  fileContents,
  type Castore,
  type CastoreBackend,
  type CasNode,
} from "../../store/index.js";
import {
  LayerContentError,
  MODE_DIRECTORY,
  MODE_EXECUTABLE,
  MODE_FILE,
  diskTreeSource,
  type StoreTreeInspector,
  type StoreTreeSource,
  type TarEntry,
} from "./entries.js";

export interface CastoreSourceOptions {
  /**
   * A directory holding `nix/store/…` and which paths to read from it rather than
   * from the castore (paths this replica has on disk): the entries are the same.
   */
  local?: { storeRoot: string; has(storePath: string): boolean };
  /** Objects fetched ahead of the writer (default: the backend's parallelism, at least 8). */
  readAhead?: number;
}

interface Item {
  readonly path: Buffer;
  readonly node: CasNode;
}

async function load(backend: CastoreBackend, kind: "dir" | "blob", key: string): Promise<Buffer> {
  const bytes = backend.getSync ? backend.getSync(kind, key) : await backend.get(kind, key);
  if (!bytes) throw new CastoreMissingError(`castore ${kind} ${key} is missing`);
  return bytes;
}

/**
 * Every node under `root` in archive order (depth-first, children by name bytes — the
 * order directory nodes keep them in), with sibling directories fetched concurrently.
 */
async function flatten(backend: CastoreBackend, root: CasNode, logical: Buffer): Promise<Item[]> {
  if (root.kind !== "directory") return [{ path: logical, node: root }];
  const entries = decodeDirectory(await load(backend, "dir", root.digest));
  const below = await Promise.all(
    entries.map((entry) => flatten(backend, entry.node, Buffer.concat([logical, Buffer.from("/"), entry.name]))),
  );
  return [{ path: logical, node: root }, ...below.flat()];
}

/**
 * Store paths read from the castore: a replica builds layers of paths it never had
 * on disk. The entries equal `diskTreeSource`'s for the same path (modes from the
 * executable bit, symlink targets as bytes, sizes from the nodes), so the layer's
 * digest is the same whichever source wrote it. Small files are fetched ahead of the
 * writer, which matters when every object is a request to S3.
 */
export function castoreTreeSource(castore: Castore, options: CastoreSourceOptions = {}): StoreTreeSource & StoreTreeInspector {
  const backend = castore.backend;
  const inspector = castoreInspector(castore, options.local);
  const readAhead = Math.max(options.readAhead ?? backend.parallelism ?? 8, 1);
  const disk = options.local ? diskTreeSource(options.local.storeRoot) : undefined;
  return {
    async *pathEntries(storePath: string, logical: Buffer): AsyncGenerator<TarEntry> {
      if (disk && options.local!.has(storePath)) {
        yield* disk.pathEntries(storePath, logical);
        return;
      }
      const info = await castore.pathInfo(storePath);
      if (!info) throw new LayerContentError(`'${storePath}' is neither on disk nor in the castore`);
      const items = await flatten(backend, info.root, logical);
      // Whole small files, requested up to `readAhead` items before the writer needs them.
      const prefetched = new Map<number, Promise<Buffer>>();
      let next = 0;
      const schedule = (upTo: number) => {
        for (; next < items.length && next <= upTo; next++) {
          const node = items[next]!.node;
          // An inline file (its contents kept in its directory node) needs no fetch.
          if (node.kind === "file" && node.contents) prefetched.set(next, Promise.resolve(node.contents));
          else if (node.kind === "file" && node.size <= SINGLE_BLOB_MAX) {
            const fetching = load(backend, "blob", node.digest);
            fetching.catch(() => undefined); // reported when the writer reaches it
            prefetched.set(next, fetching);
          }
        }
      };
      for (let i = 0; i < items.length; i++) {
        schedule(i + readAhead);
        const { path, node } = items[i]!;
        if (node.kind === "directory") yield { type: "directory", path, mode: MODE_DIRECTORY };
        else if (node.kind === "symlink") yield { type: "symlink", path, target: node.target };
        else {
          const mode = node.executable ? MODE_EXECUTABLE : MODE_FILE;
          const fetching = prefetched.get(i);
          prefetched.delete(i);
          if (fetching) {
            const data = await fetching;
            if (data.length !== node.size) throw new CastoreMissingError(`castore file ${node.digest} has ${data.length} bytes, not ${node.size}`);
            yield { type: "file", path, mode, size: node.size, data };
          } else {
            yield { type: "file", path, mode, size: node.size, contents: () => fileContents(backend, node) };
          }
        }
      }
    },
    kind: (path) => inspector.kind(path),
    list: (path) => inspector.list(path),
  };
}

const STORE_PREFIX = Buffer.from("/nix/store/");
const SLASH = 0x2f;
const MAX_LINKS = 40;

function splitPath(path: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === SLASH) {
      if (i > start) parts.push(path.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

function joinParts(parts: readonly Buffer[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => [Buffer.from("/"), p]));
}

/** Removes `.` and `..` components of an absolute path (by name, as the kernel does after a symlink). */
function normalise(path: Buffer): Buffer {
  const out: Buffer[] = [];
  for (const part of splitPath(path)) {
    if (part.length === 1 && part[0] === 0x2e) continue;
    if (part.length === 2 && part[0] === 0x2e && part[1] === 0x2e) out.pop();
    else out.push(part);
  }
  return joinParts(out);
}

type Found = { node: CasNode } | { disk: Buffer } | undefined;

/**
 * `lstat` and `readdir` over store paths in the castore: an absolute path is walked
 * node by node from its store path's root, following symlinks in the middle of the
 * path (as the kernel would) but not in the last component. Paths this replica has
 * on disk (`local`) are asked of the file system.
 */
function castoreInspector(castore: Castore, local: CastoreSourceOptions["local"]): StoreTreeInspector {
  const backend = castore.backend;
  const directories = new Map<string, Promise<Map<string, CasNode>>>();
  const children = (digest: string) => {
    let listing = directories.get(digest);
    if (!listing) {
      listing = load(backend, "dir", digest).then((bytes) => new Map(decodeDirectory(bytes).map((e) => [e.name.toString("latin1"), e.node])));
      directories.set(digest, listing);
    }
    return listing;
  };
  const resolve = async (path: Buffer, hops = 0): Promise<Found> => {
    if (!path.subarray(0, STORE_PREFIX.length).equals(STORE_PREFIX)) return undefined;
    const parts = splitPath(path.subarray(STORE_PREFIX.length));
    if (parts.length === 0) return undefined;
    const storePath = `/nix/store/${parts[0]!.toString("latin1")}`;
    if (local?.has(storePath)) return { disk: Buffer.concat([Buffer.from(local.storeRoot), path]) };
    const info = await castore.pathInfo(storePath);
    if (!info) return undefined;
    let node: CasNode = info.root;
    for (let i = 1; i < parts.length; i++) {
      if (node.kind === "symlink") {
        // A symlink in the middle: go on from its target, relative to the directory holding it.
        if (hops >= MAX_LINKS) return undefined;
        const holder = joinParts([Buffer.from("nix"), Buffer.from("store"), ...parts.slice(0, i - 1)]);
        const base = node.target[0] === SLASH ? node.target : Buffer.concat([holder, Buffer.from("/"), node.target]);
        return resolve(normalise(Buffer.concat([base, joinParts(parts.slice(i))])), hops + 1);
      }
      if (node.kind !== "directory") return undefined;
      const next = (await children(node.digest)).get(parts[i]!.toString("latin1"));
      if (!next) return undefined;
      node = next;
    }
    return { node };
  };
  return {
    async kind(path) {
      const found = await resolve(path);
      if (!found) return undefined;
      if ("disk" in found) {
        const stats = await lstat(found.disk).catch(() => undefined);
        return !stats ? undefined : stats.isDirectory() ? "dir" : stats.isSymbolicLink() ? "link" : "file";
      }
      return found.node.kind === "directory" ? "dir" : found.node.kind === "symlink" ? "link" : "file";
    },
    async list(path) {
      const found = await resolve(path);
      if (found && "disk" in found) return readdir(found.disk, { encoding: "buffer" });
      if (!found || found.node.kind !== "directory") throw new LayerContentError(`'${path.toString()}' is not a directory`);
      return [...(await children(found.node.digest)).keys()].map((name) => Buffer.from(name, "latin1"));
    },
  };
}

