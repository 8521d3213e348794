import { open } from "node:fs/promises";
import { BLOCK_SIZE, TYPE_DIRECTORY, TYPE_FILE, TYPE_SYMLINK, encodeHeader, padding } from "./header.js";
import { LAYER_MTIME, LayerContentError, MODE_SYMLINK, type TarEntry } from "./entries.js";

/** Output is handed on in pieces of about this size, so per-chunk costs stay small. */
const CHUNK_SIZE = 1 << 20;

/**
 * The bytes of a tar archive of `entries`, in their order, as ~1 MiB chunks.
 * Directories get a trailing `/`; every header has mtime 1, uid/gid 0 and empty
 * owner names; the archive ends with two zero blocks (no record padding).
 */
export async function* tarChunks(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const push = (piece: Buffer) => {
    if (piece.length === 0) return;
    pending.push(piece);
    pendingBytes += piece.length;
  };
  const take = (): Buffer => {
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return chunk;
  };
  for await (const entry of entries) {
    for (const block of headerOf(entry)) push(block);
    if (entry.type === "file") {
      if ("data" in entry) push(entry.data);
      else if ("contents" in entry) {
        let received = 0;
        for await (const piece of entry.contents()) {
          received += piece.length;
          if (received > entry.size) throw new LayerContentError(`'${entry.path.toString()}' has more bytes than its header says`);
          push(piece);
          if (pendingBytes >= CHUNK_SIZE) yield take();
        }
        if (received !== entry.size) throw new LayerContentError(`'${entry.path.toString()}' has fewer bytes than its header says`);
      } else {
        for await (const piece of readExactly(entry.source, entry.size)) {
          push(piece);
          if (pendingBytes >= CHUNK_SIZE) yield take();
        }
      }
      push(padding(entry.size));
    }
    if (pendingBytes >= CHUNK_SIZE) yield take();
  }
  push(Buffer.alloc(2 * BLOCK_SIZE));
  yield take();
}

function headerOf(entry: TarEntry): Buffer[] {
  const mtime = LAYER_MTIME;
  switch (entry.type) {
    case "directory":
      return encodeHeader({ path: Buffer.concat([entry.path, Buffer.from("/")]), type: TYPE_DIRECTORY, mode: entry.mode, size: 0, mtime });
    case "symlink":
      return encodeHeader({ path: entry.path, type: TYPE_SYMLINK, mode: MODE_SYMLINK, size: 0, mtime, linkTarget: entry.target });
    case "file":
      if ("data" in entry && entry.data.length !== entry.size) throw new LayerContentError("file entry size does not match its data");
      return encodeHeader({ path: entry.path, type: TYPE_FILE, mode: entry.mode, size: entry.size, mtime });
  }
}

/** Reads exactly `size` bytes (the size the header promised), failing if the file changed. */
async function* readExactly(path: Buffer, size: number): AsyncGenerator<Buffer> {
  const handle = await open(path, "r");
  try {
    let left = size;
    for (;;) {
      // The last read asks for one byte more than promised, to notice a file that grew.
      const last = left < CHUNK_SIZE;
      const buffer = Buffer.allocUnsafe(last ? left + 1 : CHUNK_SIZE);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > left) throw new LayerContentError(`'${path.toString()}' grew while being archived`);
      if (filled < buffer.length && filled < left) throw new LayerContentError(`'${path.toString()}' shrank while being archived`);
      left -= filled;
      if (filled > 0) yield buffer.subarray(0, filled);
      if (last) return;
    }
  } finally {
    await handle.close();
  }
}
