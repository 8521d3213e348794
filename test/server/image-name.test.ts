import { test } from "node:test";
import assert from "node:assert/strict";
import { imageRequestKey, parseImageName } from "../../server/index.js";

test("packages are path components; order and repetition do not matter", () => {
  const a = parseImageName("shell/htop/curl");
  const b = parseImageName("curl/shell/htop/curl");
  assert.deepEqual(a, { packages: ["curl", "htop"], architecture: undefined, shell: true });
  assert.deepEqual(a, b);
  assert.equal(imageRequestKey(a, "nixos-24.11"), imageRequestKey(b, "nixos-24.11"));
  assert.notEqual(imageRequestKey(a, "nixos-24.11"), imageRequestKey(a, "nixos-unstable"));
});

test("meta-packages, dotted attribute paths and names starting with digits", () => {
  assert.deepEqual(parseImageName("arm64/python3packages.numpy/7zz"), {
    packages: ["7zz", "python3packages.numpy"],
    architecture: "arm64",
    shell: false,
  });
  assert.deepEqual(parseImageName("shell"), { packages: [], architecture: undefined, shell: true });
  assert.deepEqual(parseImageName("nodejs_22/git"), { packages: ["git", "nodejs_22"], architecture: undefined, shell: false });
});

test("names that could carry anything but an attribute path are refused", () => {
  for (const bad of ["a.", ".a", "a..b", "a-", "arm64", "x/${builtins.abort}", "a b", "pkgs.a'b", "-rf", "a__"]) {
    assert.throws(() => parseImageName(bad), (err: Error & { code?: string }) => err.code === "NAME_INVALID", bad);
  }
  assert.throws(() => parseImageName(Array.from({ length: 65 }, (_, i) => `p${i}`).join("/")), /at most 64/);
});
