import { test } from "node:test";
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { builderConfigFromEnv, DEFAULT_SUBSTITUTERS, DEFAULT_TRUSTED_KEYS } from "../../builder/index.js";
import { PublicKey } from "../../store/index.js";

test("builder settings come from the environment, with CppNix-like defaults", () => {
  const defaults = builderConfigFromEnv({});
  assert.equal(defaults.dataDir, resolve(".lading"));
  assert.equal(defaults.storeRoot, join(resolve(".lading"), "store"));
  assert.deepEqual(defaults.substituters, DEFAULT_SUBSTITUTERS);
  assert.deepEqual(defaults.trustedKeys, DEFAULT_TRUSTED_KEYS);
  assert.equal(PublicKey.parse(DEFAULT_TRUSTED_KEYS[0]!).name, "cache.nixos.org-1");

  const set = builderConfigFromEnv({
    LADING_DATA_DIR: "/srv/lading",
    LADING_SUBSTITUTERS: " file:///a  http://b:8080 ",
    LADING_TRUSTED_KEYS: "k-1:AAAA k-2:BBBB",
  });
  assert.equal(set.storeRoot, "/srv/lading/store");
  assert.deepEqual(set.substituters, ["file:///a", "http://b:8080"]);
  assert.deepEqual(set.trustedKeys, ["k-1:AAAA", "k-2:BBBB"]);
  assert.deepEqual(builderConfigFromEnv({ LADING_SUBSTITUTERS: "" }).substituters, []);
  assert.equal(builderConfigFromEnv({ STORAGE_PATH: "/x" }).dataDir, "/x", "Nixery's name is an alias");
});
