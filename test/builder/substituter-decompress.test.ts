import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { xzSync } from "node-liblzma";
import { coalesce, decompress } from "../../builder/index.js";

async function* pieces(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let pos = 0; pos < data.length; pos += size) yield data.subarray(pos, pos + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

test("coalesce joins small chunks into pieces of at least the minimum, bytes unchanged", async () => {
  const data = randomBytes(100_003);
  const out = await collect(coalesce(pieces(data, 997), 10_000));
  assert.deepEqual(Buffer.concat(out), data);
  for (const piece of out.slice(0, -1)) assert.ok(piece.length >= 10_000, `piece of ${piece.length} bytes`);
  assert.ok(out.at(-1)!.length > 0);
  assert.deepEqual(await collect(coalesce(pieces(Buffer.alloc(0), 1), 10)), []);
});

test("xz fed in small HTTP-sized chunks decompresses to the original bytes", async () => {
  const text = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `line ${i * 7919 % 100_003}`).join("\n"));
  const data = Buffer.concat([text, randomBytes(300_000), text.subarray(0, 12_345)]);
  const compressed = xzSync(data);
  for (const size of [1000, 16_384, 1 << 20]) {
    const out = await collect(decompress("xz", pieces(compressed, size)));
    assert.deepEqual(Buffer.concat(out), data, `input chunks of ${size} bytes`);
  }
});
