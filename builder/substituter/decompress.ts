import { Readable, pipeline, type Transform } from "node:stream";
import * as zlib from "node:zlib";
import { createBrotliDecompress, createGunzip } from "node:zlib";
import Bzip2 from "@foxglove/wasm-bz2";
import { Decompress as ZstdDecompress } from "fzstd";
import { createUnxz } from "node-liblzma";

/** The compressed data is corrupt or not what the narinfo says. Not worth retrying. */
export class DecompressionError extends Error {
  override name = "DecompressionError";
}

/** Compression methods a binary cache may use, as the narinfo `Compression` field names them. */
export const SUPPORTED_COMPRESSIONS = ["none", "xz", "zstd", "bzip2", "br", "gzip"] as const;

export function isSupportedCompression(method: string): boolean {
  return (SUPPORTED_COMPRESSIONS as readonly string[]).includes(method === "" ? "none" : method);
}

export interface DecompressOptions {
  /** The decompressed size (the NarSize): bzip2 decodes in one piece and needs it. */
  expectedSize?: number;
}

/**
 * Decompresses a stream. Errors of the source (e.g. a broken download) come out
 * unchanged; errors of the data become DecompressionErrors.
 */
export function decompress(
  method: string,
  source: AsyncIterable<Uint8Array>,
  options: DecompressOptions = {},
): AsyncIterable<Uint8Array> {
  switch (method) {
    case "":
    case "none":
      return source;
    case "xz":
      // Large output chunks: the default (8 KiB) costs a thread-pool round trip per 8 KiB, 5x slower.
      return throughTransform(source, createUnxz({ chunkSize: 1 << 20 }) as unknown as Transform, "xz");
    case "gzip":
      return throughTransform(source, createGunzip(), "gzip");
    case "br":
      return throughTransform(source, createBrotliDecompress(), "br");
    case "zstd":
      return zstd(source);
    case "bzip2":
      return bzip2Whole(source, options.expectedSize);
    default:
      throw new DecompressionError(`unsupported compression method '${method}'`);
  }
}

/**
 * Joins small chunks (HTTP delivers 16-64 KiB) into pieces of at least `minBytes`:
 * each piece written to a native decoder is a thread-pool round trip plus callbacks on
 * the main thread, which with 16 KiB pieces made xz decoding about 1.8x slower.
 */
export async function* coalesce(source: AsyncIterable<Uint8Array>, minBytes: number): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= minBytes) {
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
}

function throughTransform(source: AsyncIterable<Uint8Array>, transform: Transform, method: string): AsyncIterable<Uint8Array> {
  const input = Readable.from(coalesce(source, 1 << 20), { objectMode: false });
  let sourceFailed = false;
  input.once("error", () => (sourceFailed = true));
  pipeline(input, transform, () => {});
  return (async function* () {
    try {
      for await (const chunk of transform as AsyncIterable<Buffer>) yield chunk;
    } catch (err) {
      if (sourceFailed) throw err;
      throw new DecompressionError(`${method} decompression failed: ${(err as Error).message}`);
    } finally {
      input.destroy();
      transform.destroy();
    }
  })();
}

type TransformFactory = () => Transform;

let nativeZstd: Promise<TransformFactory | undefined> | undefined;

/**
 * The fastest zstd decoder at hand: Node's own (22.15+), then zstd-napi (an optional
 * dependency compiled at install, 5x faster than JS), then fzstd (pure JS, always there).
 */
function findNativeZstd(): Promise<TransformFactory | undefined> {
  nativeZstd ??= (async () => {
    const builtin = (zlib as unknown as { createZstdDecompress?: TransformFactory }).createZstdDecompress;
    if (builtin) return builtin;
    try {
      const napi = (await import("zstd-napi")) as unknown as { DecompressStream: new () => Transform };
      return () => new napi.DecompressStream();
    } catch {
      return undefined;
    }
  })();
  return nativeZstd;
}

async function* zstd(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const native = await findNativeZstd();
  yield* native ? throughTransform(source, native(), "zstd") : decompressZstdPureJs(source);
}

/** zstd by fzstd (pure JS): the fallback where no native decoder is installed. */
export async function* decompressZstdPureJs(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let ready: Uint8Array[] = [];
  const decoder = new ZstdDecompress((data) => {
    if (data.length > 0) ready.push(data);
  });
  const push = (chunk: Uint8Array, final: boolean): Uint8Array[] => {
    try {
      decoder.push(chunk, final);
    } catch (err) {
      throw new DecompressionError(`zstd decompression failed: ${(err as Error).message}`);
    }
    const out = ready;
    ready = [];
    return out;
  };
  for await (const chunk of source) yield* push(chunk, false);
  yield* push(new Uint8Array(0), true);
}

let bzip2Module: Promise<Bzip2> | undefined;

/**
 * bzip2 (legacy caches only): no well-kept streaming decoder exists on npm, so the
 * compressed file is gathered and decoded at once by the reference libbz2 (WebAssembly)
 * into a buffer of the known NAR size.
 */
async function* bzip2Whole(source: AsyncIterable<Uint8Array>, expectedSize: number | undefined): AsyncGenerator<Uint8Array> {
  if (expectedSize === undefined) throw new DecompressionError("bzip2 decompression needs the NAR size");
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  bzip2Module ??= Bzip2.init();
  const bz = await bzip2Module;
  let out: Uint8Array;
  try {
    // One spare byte: a stream longer than the NAR size shows as a size mismatch, not a silent cut.
    out = bz.decompress(Buffer.concat(parts), expectedSize + 1, { small: false });
  } catch (err) {
    throw new DecompressionError(`bzip2 decompression failed: ${(err as Error).message}`);
  }
  const CHUNK = 1 << 20;
  for (let pos = 0; pos < out.length; pos += CHUNK) yield out.subarray(pos, pos + CHUNK);
}
