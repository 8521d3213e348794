import {
  CastoreMissingError,
  SINGLE_BLOB_MAX,
  decodeDirectory,
  fileContents,
  type Castore,
  type CastoreBackend,
  type CasNode,
} from "../../store/index.js";
import { LayerContentError, MODE_DIRECTORY, MODE_EXECUTABLE, MODE_FILE, diskTreeSource, type StoreTreeSource, type TarEntry } from "./entries.js";

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
export function castoreTreeSource(castore: Castore, options: CastoreSourceOptions = {}): StoreTreeSource {
  const backend = castore.backend;
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
          if (node.kind === "file" && node.size <= SINGLE_BLOB_MAX) {
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
  };
}
