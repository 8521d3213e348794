import { closeSync, constants, mkdirSync, openSync, symlinkSync, writeSync } from "node:fs";
import type { CastoreBackend } from "./backend.js";
import { InFlight } from "./in-flight.js";
import { fileContents, getObject } from "./render.js";
import { decodeDirectory, type CasNode } from "./nodes.js";

// The modes `nix-store --restore` gives: 0755 directories and executables, 0644 files.
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;
const EXECUTABLE_MODE = 0o755;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

async function writeFile(backend: CastoreBackend, target: Buffer | string, node: CasNode & { kind: "file" }): Promise<void> {
  const fd = openSync(target, CREATE_FLAGS, node.executable ? EXECUTABLE_MODE : FILE_MODE);
  try {
    for await (const piece of fileContents(backend, node)) {
      for (let done = 0; done < piece.length; ) done += writeSync(fd, piece, done, piece.length - done);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the tree `root` at `target` (which must not exist), as `nix-store --restore`
 * of its NAR would: for a replica that never had the store path on its disk. Names
 * come from validated directory nodes (no `/`, `.`, `..`) and every node is created
 * exclusively, so nothing is written outside `target`. On a remote backend several
 * files are fetched and written at once (each after its directory was made).
 */
export async function materialise(backend: CastoreBackend, root: CasNode, target: string): Promise<void> {
  const parallelism = backend.parallelism ?? 1;
  const writes = parallelism > 1 ? new InFlight(parallelism) : undefined;
  const pending: Array<{ path: Buffer; node: CasNode }> = [{ path: Buffer.from(target), node: root }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { path, node } = item;
    if (node.kind === "file") {
      if (writes) await writes.run(() => writeFile(backend, path, node), Math.min(node.size, 1 << 20));
      else await writeFile(backend, path, node);
    } else if (node.kind === "symlink") symlinkSync(node.target, path);
    else {
      mkdirSync(path, DIR_MODE);
      const entries = decodeDirectory(await getObject(backend, "dir", node.digest));
      for (const entry of entries) pending.push({ path: Buffer.concat([path, Buffer.from("/"), entry.name]), node: entry.node });
    }
  }
  await writes?.drain();
}
