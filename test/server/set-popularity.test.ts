import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../builder/index.js";
import { popularityJson } from "../../layering/index.js";
import { evaluatePackages, SetPopularity } from "../../server/image-service/index.js";
import { MemoryMetadataCache } from "../../storage/index.js";

/**
 * A set whose dependency structure is known by construction: libc ← zlib ← ssl ← curl,
 * hello ← libc; plus attributes that are not packages or fail, which are left out.
 * Nothing is built: the count needs only the evaluated derivations.
 */
const SET = `{ system ? "x86_64-linux" }:
let
  mk = name: deps: derivation { inherit name system deps; builder = "/bin/sh"; args = [ "-c" "echo" ]; };
  libc = mk "libc" [ ];
  zlib = mk "zlib" [ libc ];
  ssl = mk "ssl" [ libc zlib ];
  curl = mk "curl" [ ssl zlib ];
  hello = mk "hello" [ libc ];
in { inherit libc zlib ssl curl hello; notAPackage = 3; broken = throw "not here"; nested = { inner = libc; }; }
`;

async function setup(limit: number) {
  const root = mkdtempSync(join(tmpdir(), "lading-set-popularity-"));
  const dir = join(root, "pkgs");
  mkdirSync(dir);
  writeFileSync(join(dir, "default.nix"), SET);
  mkdirSync(join(root, "store"));
  const store = await LocalStore.open({ root: join(root, "store") });
  const cache = new MemoryMetadataCache();
  const popularity = (s: LocalStore = store) => new SetPopularity({ store: s, cache, stagingRoot: join(root, "staging"), limit });
  return { dir, store, cache, popularity, pkgs: { revision: "rev-1", dir, nixpkgs: false } };
}

test("package-set popularity counts, per output path, the packages whose build closure has it", async () => {
  const { dir, popularity, pkgs } = await setup(100);
  const first = await popularity().get(pkgs, "amd64");
  assert.ok(first);
  // The output paths as the evaluator computes them.
  const stagingDir = mkdtempSync(join(tmpdir(), "lading-set-popularity-eval-"));
  const evaluation = evaluatePackages({
    dir,
    architecture: "amd64",
    packages: ["libc", "zlib", "ssl", "curl", "hello"],
    shell: false,
    nixpkgs: false,
    stagingDir,
    isValidInStore: () => false,
  });
  const out = new Map(evaluation.packages.map((p) => [p.attrPath, p.outPath]));
  assert.deepEqual(
    new Map([...first].sort()),
    new Map(
      [
        [out.get("libc")!, 5],
        [out.get("zlib")!, 3],
        [out.get("ssl")!, 2],
        [out.get("curl")!, 1],
        [out.get("hello")!, 1],
      ].sort() as [string, number][],
    ),
  );
  // Cached: another instance over the same metadata cache answers without evaluating or touching a store.
  const noStore = new Proxy({}, { get: () => assert.fail("the store was used") }) as LocalStore;
  const fromCache = await popularity(noStore).get(pkgs, "amd64");
  assert.equal(popularityJson(fromCache!), popularityJson(first));
});

test("the same set gives the same counts on a fresh store and cache; a set over the limit gets none", async () => {
  const a = await setup(100);
  const b = await setup(100);
  const left = await a.popularity().get(a.pkgs, "amd64");
  const right = await b.popularity().get(b.pkgs, "amd64");
  assert.equal(popularityJson(left!), popularityJson(right!));
  const small = await setup(3); // the set has 8 top-level attributes
  assert.equal(await small.popularity().get(small.pkgs, "amd64"), undefined);
  // A count the image's own evaluation made decides without evaluating (or touching a store).
  const noStore = new Proxy({}, { get: () => assert.fail("the store was used") }) as LocalStore;
  assert.equal(await small.popularity(noStore).get(small.pkgs, "arm64", 8), undefined);
});
