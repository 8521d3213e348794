import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DigestMismatchError, type BlobInfo, type BlobStore, type ByteRange } from "./blob-store.js";
import { blobKey, formatDigest, type Digest } from "./digest.js";

const READ_CHUNK = 1 << 20;

/** Blobs as files under `<root>/blobs/sha256/<hex>`, written to a temp file and renamed once verified. */
export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = join(root, "tmp");
  }

  private pathOf(digest: Digest): string {
    return join(this.root, blobKey(digest));
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.pathOf(digest));
      return { digest, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /**
   * The blob's file, opened for reading, or undefined when absent: the server sends
   * it from reused buffers (see server/distribution/send-file.ts) instead of a stream
   * that allocates every chunk. The caller closes the handle.
   */
  async openFile(digest: Digest): Promise<FileHandle | undefined> {
    try {
      return await open(this.pathOf(digest), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async read(digest: Digest, range?: ByteRange): Promise<Readable | undefined> {
    // Open first (one syscall instead of stat + open); large chunks cut per-chunk overhead when serving layers.
    const handle = await this.openFile(digest);
    if (!handle) return undefined;
    return handle.createReadStream({ highWaterMark: READ_CHUNK, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async write(content: Readable | Uint8Array, expected?: Digest): Promise<BlobInfo> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString("hex")}`);
    const hash = createHash("sha256");
    let size = 0;
    const source = content instanceof Uint8Array ? Readable.from([content]) : content;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: "wx", flush: true }),
      );
      const digest: Digest = { algorithm: "sha256", hex: hash.digest("hex") };
      if (expected && expected.hex !== digest.hex) {
        throw new DigestMismatchError(`content has digest ${formatDigest(digest)}, expected ${formatDigest(expected)}`);
      }
      const target = this.pathOf(digest);
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      return { digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }
}
