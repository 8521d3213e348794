import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Hash, compressHash, decodeBase32, encodeBase32, hashBytes, parseHash, type HashAlgo } from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";

const ALGOS: HashAlgo[] = ["md5", "sha1", "sha256", "sha512"];

test("nixbase32 round-trips every length", () => {
  for (let len = 0; len <= 70; len++) {
    const bytes = randomBytes(len);
    const text = encodeBase32(bytes);
    assert.equal(text.length, Math.ceil((len * 8) / 5));
    assert.deepEqual(Buffer.from(decodeBase32(text, len)), bytes);
  }
});

test("nixbase32 rejects foreign characters and overflowing bits", () => {
  assert.throws(() => decodeBase32("e".repeat(52), 32), /invalid character/);
  assert.throws(() => decodeBase32("z".repeat(52), 32), /bits past the end/);
  assert.throws(() => decodeBase32("0".repeat(51), 32), /length/);
});

test("a known sha256 in nixbase32", () => {
  // sha256 of the empty string, as `nix-hash --type sha256 --to-base32` prints it.
  const h = hashBytes("sha256", "");
  assert.equal(h.toBase32(), "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
});

test("hashes agree with nix-hash in every form", { skip: nixSkipReason() }, () => {
  for (const algo of ALGOS) {
    const h = hashBytes(algo, randomBytes(100));
    const b16 = h.toBase16();
    const b32 = runNix("nix-hash", ["--type", algo, "--to-base32", b16]).toString().trim();
    assert.equal(h.toBase32(), b32, algo);
    const sri = runNix("nix", ["hash", "to-sri", "--type", algo, b16]).toString().trim();
    assert.equal(h.toSri(), sri, algo);
    const back = runNix("nix-hash", ["--type", algo, "--to-base16", b32]).toString().trim();
    assert.equal(back, b16, algo);
  }
});

test("parseHash accepts every form and rejects mismatches", () => {
  for (const algo of ALGOS) {
    const h = hashBytes(algo, "lading");
    for (const text of [h.format("base16"), h.format("base32"), h.format("base64"), h.toSri()]) {
      assert.ok(parseHash(text).equals(h), text);
      assert.ok(parseHash(text, algo).equals(h), text);
    }
    for (const bare of [h.toBase16(), h.toBase32(), h.toBase64()]) {
      assert.ok(parseHash(bare, algo).equals(h), bare);
    }
  }
  assert.throws(() => parseHash(hashBytes("sha1", "x").format("base16"), "sha256"), /should have type/);
  assert.throws(() => parseHash("sha256:abc"), /wrong length/);
  assert.throws(() => parseHash("blake9:abc"), /unknown hash algorithm/);
  assert.throws(() => parseHash("abcd"), /does not include a type/);
  assert.throws(() => new Hash("sha256", new Uint8Array(3)), /32 bytes/);
});

test("compressHash XOR-folds into the target size", () => {
  const input = Uint8Array.from({ length: 32 }, (_, i) => i);
  const out = compressHash(input, 20);
  for (let k = 0; k < 20; k++) {
    const expected = k + 20 < 32 ? k ^ (k + 20) : k;
    assert.equal(out[k], expected);
  }
});
