import type { FileHandle } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import type { Digest } from "../../storage/index.js";

/** A blob store that can hand the server a blob's local file (the filesystem backend). */
export interface LocalFileBlobs {
  openFile(digest: Digest): Promise<FileHandle | undefined>;
}

export function hasLocalFiles(blobs: object): blobs is LocalFileBlobs {
  return typeof (blobs as Partial<LocalFileBlobs>).openFile === "function";
}

const CHUNK = 1 << 20;
/** Chunks in flight per response: one being read while up to two wait in the socket. */
const CHUNKS_PER_RESPONSE = 3;
/** Idle buffers kept between responses (16 MiB). */
const POOL_LIMIT = 16;
const pool: Buffer[] = [];

function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function giveBack(buffer: Buffer): void {
  if (pool.length < POOL_LIMIT) pool.push(buffer);
}

/**
 * Writes bytes `start..end` (inclusive) of `file` to `res`, reading into a few
 * reused 1 MiB buffers. Node has no sendfile; a read stream allocates a fresh buffer
 * per chunk, and faulting in that memory cost about a third of the server's CPU per
 * byte. A buffer goes back to the pool only once the socket has taken its bytes
 * (the write callback), never while libuv may still be sending it. Resolves when the
 * last byte is handed to the socket; rejects if the client goes away or a read fails.
 */
export function sendFileRange(file: FileHandle, start: number, end: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    let position = start;
    let free = CHUNKS_PER_RESPONSE;
    let reading = false;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      res.off("close", onClose);
      reject(err);
    };
    const onClose = () => {
      if (!res.writableFinished) fail(new Error("client closed the connection"));
    };
    res.on("close", onClose);
    const pump = () => {
      // Back-pressure is the buffer count, not 'drain': the next chunk is read while the
      // socket still sends the last one (waiting for 'drain' would serialise the two).
      if (settled || reading || free === 0) return;
      if (position > end) {
        settled = true;
        res.off("close", onClose);
        res.end(() => resolve());
        return;
      }
      const buffer = takeBuffer();
      free--;
      reading = true;
      const length = Math.min(CHUNK, end - position + 1);
      file.read(buffer, 0, length, position).then(
        ({ bytesRead }) => {
          reading = false;
          if (settled) return giveBack(buffer);
          if (bytesRead === 0) return fail(new Error("blob file is shorter than its size"));
          position += bytesRead;
          res.write(bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead), () => {
            giveBack(buffer);
            free++;
            pump();
          });
          pump();
        },
        (err: Error) => {
          reading = false;
          giveBack(buffer);
          fail(err);
        },
      );
    };
    pump();
  });
}
