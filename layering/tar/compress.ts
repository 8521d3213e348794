import { createHash } from "node:crypto";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import type { Writable } from "node:stream";
import { gzip } from "node:zlib";
import { promisify } from "node:util";

const gzipAsync = promisify(gzip);

/** How a layer blob is compressed; part of a layer's cache key. */
export interface CompressionSettings {
  /** `zstd` is reserved: accepted by the type, refused until an encoder is wired in. */
  algorithm: "gzip" | "none" | "zstd";
  level: number;
}

export const DEFAULT_COMPRESSION: CompressionSettings = { algorithm: "gzip", level: 6 };

/** A stable text form of the settings, e.g. `gzip-6`. */
export function compressionId(settings: CompressionSettings): string {
  return `${settings.algorithm}-${settings.level}`;
}

/** What a written layer blob is known by. */
export interface LayerDigests {
  /** sha256 of the uncompressed tar: the OCI `diff_id`. */
  diffId: string;
  /** sha256 of the blob as stored and served. */
  digest: string;
  /** Blob size in bytes. */
  size: number;
  uncompressedSize: number;
}

/**
 * The tar is cut into members of this many bytes, each compressed as its own gzip
 * member (RFC 1952 allows a file of several; Go, zlib, GNU gzip and pigz read them).
 * Fixed offsets keep the output the same however the input was chunked, and
 * independent members let libuv's thread pool compress several at once.
 */
export const GZIP_MEMBER_SIZE = 4 << 20;
/**
 * Members compressed at the same time: one per core up to 3, so one of libuv's 4
 * default pool threads stays free for the file reads that feed the tar.
 */
const PARALLEL_MEMBERS = Math.max(2, Math.min(3, availableParallelism()));
/** gzip header byte 9 names the OS; zlib writes the build platform's. We always write Unix. */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNIX = 3;

/**
 * Streams `tar` through compression into `out` in one pass, hashing the tar (diff_id)
 * and the compressed blob (digest) on the way. Compression runs off the event loop
 * in libuv's thread pool; `out` is not ended.
 */
export async function compressLayer(
  tar: AsyncIterable<Buffer>,
  out: Writable,
  settings: CompressionSettings = DEFAULT_COMPRESSION,
): Promise<LayerDigests> {
  if (settings.algorithm === "zstd") throw new Error("zstd layer compression is not implemented yet");
  const tarHash = createHash("sha256");
  const blobHash = createHash("sha256");
  let uncompressedSize = 0;
  let size = 0;
  // An output error must fail this call, not surface later as an unhandled 'error' event.
  let outError: Error | undefined;
  const onError = (error: Error) => (outError ??= error);
  out.on("error", onError);
  const emit = async (bytes: Buffer) => {
    if (outError) throw outError;
    blobHash.update(bytes);
    size += bytes.length;
    if (!out.write(bytes)) await once(out, "drain");
  };

  try {
    if (settings.algorithm === "none") {
      for await (const chunk of tar) {
        tarHash.update(chunk);
        uncompressedSize += chunk.length;
        await emit(chunk);
      }
    } else {
      const level = settings.level;
      const inFlight: Promise<Buffer>[] = [];
      const startMember = (member: Buffer) => inFlight.push(gzipAsync(member, { level }).then(fixGzipHeader));
      const drainTo = async (limit: number) => {
        while (inFlight.length > limit) await emit(await inFlight.shift()!);
      };
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of tar) {
        tarHash.update(chunk);
        uncompressedSize += chunk.length;
        let rest = chunk;
        while (pendingBytes + rest.length >= GZIP_MEMBER_SIZE) {
          const take = GZIP_MEMBER_SIZE - pendingBytes;
          pending.push(rest.subarray(0, take));
          rest = rest.subarray(take);
          startMember(Buffer.concat(pending, GZIP_MEMBER_SIZE));
          pending = [];
          pendingBytes = 0;
          await drainTo(PARALLEL_MEMBERS - 1);
        }
        if (rest.length > 0) {
          pending.push(rest);
          pendingBytes += rest.length;
        }
      }
      if (pendingBytes > 0 || uncompressedSize === 0) startMember(Buffer.concat(pending, pendingBytes));
      await drainTo(0);
    }
    if (outError) throw outError;
  } finally {
    out.off("error", onError);
  }
  return {
    diffId: `sha256:${tarHash.digest("hex")}`,
    digest: `sha256:${blobHash.digest("hex")}`,
    size,
    uncompressedSize,
  };
}

function fixGzipHeader(member: Buffer): Buffer {
  member[GZIP_OS_OFFSET] = GZIP_OS_UNIX;
  return member;
}
