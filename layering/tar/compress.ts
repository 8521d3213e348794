import { createHash } from "node:crypto";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import type { Writable } from "node:stream";
import { gzip } from "node:zlib";
import { promisify } from "node:util";
import { compressZstdFrame } from "./zstd-pool.js";

const gzipAsync = promisify(gzip);

/** How a layer blob is compressed; part of a layer's cache key. */
export interface CompressionSettings {
  algorithm: "gzip" | "none" | "zstd";
  level: number;
}

export const DEFAULT_COMPRESSION: CompressionSettings = { algorithm: "gzip", level: 6 };
/** zstd's own default level: about gzip -6's ratio at several times its speed. */
export const DEFAULT_ZSTD_LEVEL = 3;

/**
 * Parses `LADING_LAYER_COMPRESSION`: `gzip`, `gzip-N` (1–9), `zstd`, `zstd-N` (1–19).
 * Undefined gives the default, gzip -6.
 */
export function parseCompression(text: string | undefined): CompressionSettings {
  if (text === undefined || text === "") return DEFAULT_COMPRESSION;
  const m = /^(gzip|zstd)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`layer compression must be gzip, gzip-LEVEL, zstd or zstd-LEVEL, got '${text}'`);
  const algorithm = m[1] as "gzip" | "zstd";
  const level = m[2] === undefined ? (algorithm === "gzip" ? DEFAULT_COMPRESSION.level : DEFAULT_ZSTD_LEVEL) : Number(m[2]);
  const max = algorithm === "gzip" ? 9 : 19;
  if (level < 1 || level > max) throw new Error(`${algorithm} level must be 1–${max}, got ${level}`);
  return { algorithm, level };
}

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
 * member (RFC 1952 allows a file of several; Go, zlib, GNU gzip and pigz read them)
 * or zstd frame (RFC 8878: a zstd stream is a sequence of frames).
 * Fixed offsets keep the output the same however the input was chunked, and
 * independent members let libuv's thread pool compress several at once.
 */
export const GZIP_MEMBER_SIZE = 4 << 20;
/**
 * Members kept compressing while the next one is read: one per core up to 3, so one
 * of libuv's 4 default pool threads stays free for the file reads that feed the tar.
 * (Draining to one fewer left a core idle during every read: 0.98 of `tar | gzip -6`
 * on 2 cores; this is 1.16.)
 */
const PARALLEL_MEMBERS = Math.max(2, Math.min(3, availableParallelism()));
/** gzip header byte 9 names the OS; zlib writes the build platform's. We always write Unix. */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNIX = 3;

/**
 * Streams `tar` through compression into `out` in one pass, hashing the tar (diff_id)
 * and the compressed blob (digest) on the way. Compression runs off the event loop
 * (gzip in libuv's thread pool, zstd in worker threads); `out` is not ended.
 */
export async function compressLayer(
  tar: AsyncIterable<Buffer>,
  out: Writable,
  settings: CompressionSettings = DEFAULT_COMPRESSION,
): Promise<LayerDigests> {
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
      const compressMember =
        settings.algorithm === "zstd" ? (member: Buffer) => compressZstdFrame(member, level) : (member: Buffer) => gzipAsync(member, { level }).then(fixGzipHeader);
      const inFlight: Promise<Buffer>[] = [];
      const startMember = (member: Buffer) => {
        const compressed = compressMember(member);
        // Rejections are awaited in order by drainTo; this keeps an early one from being "unhandled" meanwhile.
        compressed.catch(() => undefined);
        inFlight.push(compressed);
      };
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
          await drainTo(PARALLEL_MEMBERS);
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
