/**
 * Output checks (allowed/disallowed references and requisites, structured
 * outputChecks with sizes): the same builds pass or fail, with the same message, as
 * under nix-build.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { nixSkipReason } from "../helpers/nix.js";
import { buildToolsSkipReason, copyFromNix, instantiate, nonce, openBuildStore } from "./build-fixture.js";

const normalise = (message: string): string => message.replace(/\s+/g, " ").trim();

test("output checks pass and fail as under nix-build", { skip: nixSkipReason() || buildToolsSkipReason() }, async () => {
  const expression = `rec {
    mk = name: script: attrs: derivation ({ name = "\${name}-\${nonce}"; system = builtins.currentSystem; builder = sh; args = [ "-c" script ]; } // attrs);
    dep = mk "dep" "echo \${bb} > $out" {};
    user = mk "user" "echo \${dep} > $out" {};
    selfish = mk "selfish" "echo $out \${dep} > $out";
    allowedOk = selfish { allowedReferences = [ "out" dep ]; };
    allowedBad = selfish { allowedReferences = [ dep ]; };
    disallowedBad = mk "disallowed" "echo \${dep} > $out" { disallowedReferences = [ dep ]; };
    requisitesOk = mk "req-ok" "echo \${user} > $out" { allowedRequisites = [ user dep bb ]; };
    requisitesBad = mk "req-bad" "echo \${user} $out > $out" { disallowedRequisites = [ bb ]; };
    illegal = mk "illegal" "echo > $out" { allowedReferences = [ "nonsense" ]; };
    multiBad = mk "multi" "echo $dev > $out; echo \${dep} > $dev" { outputs = [ "out" "dev" ]; disallowedReferences = [ "dev" ]; };
    structuredOk = mk "s-ok" "read -r x < $NIX_ATTRS_JSON_FILE; o=\${"$"}{x#*\\\\\\"out\\\\\\":\\\\\\"}; o=\${"$"}{o%%\\\\\\"*}; echo \${dep} > $o" {
      __structuredAttrs = true; outputChecks.out = { maxSize = 1000; maxClosureSize = 100000000; allowedReferences = [ dep ]; }; };
    structuredBig = mk "s-big" "read -r x < $NIX_ATTRS_JSON_FILE; o=\${"$"}{x#*\\\\\\"out\\\\\\":\\\\\\"}; o=\${"$"}{o%%\\\\\\"*}; echo \${dep} > $o" {
      __structuredAttrs = true; outputChecks.out.maxSize = 10; };
    structuredClosure = mk "s-closure" "read -r x < $NIX_ATTRS_JSON_FILE; o=\${"$"}{x#*\\\\\\"out\\\\\\":\\\\\\"}; o=\${"$"}{o%%\\\\\\"*}; echo \${dep} > $o" {
      __structuredAttrs = true; outputChecks.out.maxClosureSize = 1000; };
  }`;
  const attrs = ["allowedOk", "allowedBad", "disallowedBad", "requisitesOk", "requisitesBad", "illegal", "multiBad", "structuredOk", "structuredBig", "structuredClosure"];
  const { drvs } = instantiate(expression, nonce(), attrs);
  const { store, realiser } = await openBuildStore();
  try {
    await copyFromNix(store, [...drvs.values()]);
    const passing = new Set<string>();
    for (const [attr, drvPath] of drvs) {
      const theirs = spawnSync("nix-store", ["--option", "substituters", "", "--realise", drvPath.render()], { encoding: "utf8" });
      const ours = await realiser.realise(drvPath).then(
        () => undefined,
        (err: Error) => err.message,
      );
      if (theirs.status === 0) {
        assert.equal(ours, undefined, `${attr} builds under nix-build`);
        passing.add(attr);
        continue;
      }
      const message = /error: ([^]*?)(\n\s*error: build of|$)/.exec(theirs.stderr)?.[1];
      assert.ok(message, theirs.stderr);
      assert.ok(ours !== undefined, `${attr} fails under nix-build: ${message}`);
      assert.equal(normalise(ours), normalise(message), attr);
    }
    assert.deepEqual([...passing].sort(), ["allowedOk", "requisitesOk", "structuredOk"]);
  } finally {
    await store.close();
  }
});
