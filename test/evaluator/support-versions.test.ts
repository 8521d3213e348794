import { test } from "node:test";
import assert from "node:assert/strict";
import { compareVersions, parseDrvName, splitVersion } from "../../evaluator/builtins/support/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { makeRandom, nixEvalJson, nixString } from "./support-nix.js";

const skip = nixSkipReason();

function randomVersion(rand: () => number): string {
  const pieces = ["1", "2", "10", "0", "01", "007", "2147483647", "2147483648", "99999999999", "pre", "pre1", "rc", "a", "b", "alpha", "", "_", "+", "\u00c3\u00a9", "P", "x86"];
  const seps = [".", "-", ".", "-", "", "..", "--", "-."];
  let s = rand() < 0.2 ? seps[Math.floor(rand() * seps.length)]! : "";
  const n = Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) {
    s += pieces[Math.floor(rand() * pieces.length)]!;
    if (i + 1 < n || rand() < 0.1) s += seps[Math.floor(rand() * seps.length)]!;
  }
  return s;
}

test("versions: compareVersions, splitVersion and parseDrvName agree with CppNix", { skip }, () => {
  const seed = 77;
  const rand = makeRandom(seed);
  const pairs: [string, string][] = [];
  for (let i = 0; i < 3000; i++) {
    const a = randomVersion(rand);
    // Often compare near-identical versions, where the rules matter most.
    const b = rand() < 0.5 ? randomVersion(rand) : a.replace(/\d+/, (d) => String(Number(d) + (rand() < 0.5 ? 1 : 0))) + (rand() < 0.3 ? "pre" : "");
    pairs.push([a, b]);
  }
  const names = pairs.map(([a, b], i) => (i % 2 ? `foo-${a}` : `${a}-bar-${b}`));
  const expr =
    "[\n" +
    pairs
      .map(([a, b], i) => `[ (builtins.compareVersions ${nixString(a)} ${nixString(b)}) (builtins.splitVersion ${nixString(a)}) (builtins.parseDrvName ${nixString(names[i]!)}) ]`)
      .join("\n") +
    "\n]";
  const expected = nixEvalJson(expr) as [number, string[], { name: string; version: string }][];
  pairs.forEach(([a, b], i) => {
    const [cmp, split, drv] = expected[i]!;
    assert.equal(compareVersions(a, b), cmp, `compareVersions ${JSON.stringify(a)} ${JSON.stringify(b)} (seed ${seed})`);
    assert.deepEqual(splitVersion(a), split, `splitVersion ${JSON.stringify(a)}`);
    assert.deepEqual(parseDrvName(names[i]!), drv, `parseDrvName ${JSON.stringify(names[i])}`);
  });
});

test("versions: ordering facts from nixpkgs practice", () => {
  assert.equal(compareVersions("1.0", "2.3"), -1);
  assert.equal(compareVersions("2.1", "2.3"), -1);
  assert.equal(compareVersions("2.3", "2.3"), 0);
  assert.equal(compareVersions("2.5", "2.3"), 1);
  assert.equal(compareVersions("3.1", "2.3"), 1);
  assert.equal(compareVersions("2.3.1", "2.3"), 1);
  assert.equal(compareVersions("2.3.1", "2.3a"), 1);
  assert.equal(compareVersions("2.3pre1", "2.3"), -1);
  assert.equal(compareVersions("2.3pre3", "2.3pre12"), -1);
  assert.equal(compareVersions("2.3a", "2.3c"), -1);
  assert.equal(compareVersions("2.3pre1", "2.3c"), -1);
  assert.equal(compareVersions("2.3pre1", "2.3q"), -1);
  assert.deepEqual(parseDrvName("nix-0.12pre12876"), { name: "nix", version: "0.12pre12876" });
  assert.deepEqual(parseDrvName("apache-httpd-2.0.48"), { name: "apache-httpd", version: "2.0.48" });
  assert.deepEqual(splitVersion("1.2.3-pre4"), ["1", "2", "3", "pre", "4"]);
});
