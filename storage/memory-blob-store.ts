import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { DigestMismatchError, type BlobInfo, type BlobStore, type ByteRange } from "./blob-store.js";
import { formatDigest, type Digest } from "./digest.js";

/** Blobs in a Map (tests, `LADING_STORAGE=memory`); verified like the others. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    const bytes = this.blobs.get(digest.hex);
    return bytes ? { digest, size: bytes.length } : undefined;
  }

  async read(digest: Digest, range?: ByteRange): Promise<Readable | undefined> {
    const bytes = this.blobs.get(digest.hex);
    if (!bytes) return undefined;
    return Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]);
  }

  async write(content: Readable | Uint8Array, expected?: Digest): Promise<BlobInfo> {
    const chunks: Buffer[] = [];
    if (content instanceof Uint8Array) chunks.push(Buffer.from(content));
    else for await (const chunk of content) chunks.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(chunks);
    const digest: Digest = { algorithm: "sha256", hex: createHash("sha256").update(bytes).digest("hex") };
    if (expected && expected.hex !== digest.hex) {
      throw new DigestMismatchError(`content has digest ${formatDigest(digest)}, expected ${formatDigest(expected)}`);
    }
    this.blobs.set(digest.hex, bytes);
    return { digest, size: bytes.length };
  }

  async delete(digest: Digest): Promise<void> {
    this.blobs.delete(digest.hex);
  }
}
