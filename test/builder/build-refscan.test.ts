import assert from "node:assert/strict";
import { test } from "node:test";
import { ReferenceScanner } from "../../builder/index.js";
import { SeededRandom } from "../helpers/random.js";

const BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";

/** Every 32-byte window, looked up: slow and obviously right. */
function naive(data: Buffer, parts: Set<string>): Set<string> {
  const found = new Set<string>();
  for (let i = 0; i + 32 <= data.length; i++) {
    const w = data.toString("latin1", i, i + 32);
    if (parts.has(w)) found.add(w);
  }
  return found;
}

test("the reference scanner finds what a naive scan finds, across any chunking", () => {
  const rnd = new SeededRandom(5);
  for (let round = 0; round < 200; round++) {
    const parts = Array.from({ length: rnd.int(1, 12) }, () => rnd.string(BASE32, 32));
    // Base32-heavy filler makes long candidate runs; embedded hashes sit anywhere, also at the ends.
    const pieces: string[] = [];
    for (let k = rnd.int(0, 20); k > 0; k--) {
      pieces.push(rnd.string(rnd.int(0, 1) ? BASE32 : `${BASE32}/-.\n\u00ff`, rnd.int(0, 200)));
      if (rnd.int(0, 2) === 0) pieces.push(rnd.pick(parts));
      else if (rnd.int(0, 3) === 0) pieces.push(rnd.pick(parts).slice(0, rnd.int(1, 31))); // a truncated near-miss
    }
    const data = Buffer.from(pieces.join(""), "latin1");
    const scanner = new ReferenceScanner(parts);
    for (let at = 0; at < data.length; ) {
      const size = rnd.int(1, 64);
      scanner.update(data.subarray(at, at + size));
      at += size;
    }
    assert.deepEqual([...scanner.matches].sort(), [...naive(data, new Set(parts))].sort(), `round ${round}`);
  }
});

test("a hash part split over two chunks is found; other store paths are not", () => {
  const part = "0123456789abcdfghijklmnpqrsvwxyz";
  const scanner = new ReferenceScanner([part, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"]);
  scanner.update(Buffer.from(`/nix/store/${part.slice(0, 10)}`));
  scanner.update(Buffer.from(`${part.slice(10)}-name and /nix/store/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy-other`));
  assert.deepEqual([...scanner.matches], [part]);
  assert.throws(() => new ReferenceScanner(["short"]), /not a store path hash part/);
});
