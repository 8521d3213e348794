import { compressHash, encodeBase32, hashBytes, StorePath } from "../../store/index.js";

/** Hash part → replacement of the same length. */
export type Rewrites = ReadonlyMap<string, string>;

/**
 * Where an output is built when its real location is taken on the host (unsandboxed
 * builds cannot redirect it): the same name under another hash part, derived from the
 * derivation and output so a rebuild picks the same one.
 */
export function fallbackPath(drvName: string, outputName: string, path: StorePath): StorePath {
  const digest = hashBytes("sha256", `lading-rewrite:${drvName}:${outputName}`).bytes;
  return new StorePath(encodeBase32(compressHash(digest, 20)), path.name);
}

/** Replaces every hash part in `text` (a binary string). */
export function rewriteString(text: string, rewrites: Rewrites): string {
  let result = text;
  for (const [from, to] of rewrites) result = result.replaceAll(from, to);
  return result;
}

/** Replaces every hash part in a byte stream; equal lengths keep a NAR's framing valid. */
export async function* rewriteStream(source: AsyncIterable<Uint8Array>, rewrites: Rewrites): AsyncGenerator<Buffer> {
  const pairs = [...rewrites].map(([from, to]) => [Buffer.from(from, "latin1"), Buffer.from(to, "latin1")] as const);
  const keep = Math.max(0, ...pairs.map(([from]) => from.length - 1));
  let carry = Buffer.alloc(0);
  for await (const chunk of source) {
    const buf = Buffer.concat([carry, chunk]);
    for (const [from, to] of pairs) {
      for (let at = buf.indexOf(from); at >= 0; at = buf.indexOf(from, at + from.length)) to.copy(buf, at);
    }
    // A match that starts in the last `keep` bytes may continue in the next chunk.
    const cut = Math.max(0, buf.length - keep);
    if (cut > 0) yield buf.subarray(0, cut);
    carry = Buffer.from(buf.subarray(cut));
  }
  if (carry.length > 0) yield carry;
}
