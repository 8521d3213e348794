/** exportReferencesGraph files are what nix-build writes (compared through the outputs' NAR hashes). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHash } from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { buildToolsSkipReason, copyFromNix, instantiate, nixPathInfo, nonce, openBuildStore } from "./build-fixture.js";

test("exportReferencesGraph gives the builder the closure files nix-build gives", { skip: nixSkipReason() || buildToolsSkipReason() }, async () => {
  const expression = `rec {
    mk = name: script: attrs: derivation ({ name = "\${name}-\${nonce}"; system = builtins.currentSystem; builder = sh; args = [ "-e" "-c" script ]; } // attrs);
    dep = mk "dep" "echo \${bb} > $out" {};
    user = mk "user" "echo \${dep} > $out" {};
    graph = mk "graph" "\${bb}/bin/cat closure sub.graph drvs > $out" {
      exportReferencesGraph = [ "closure" user "sub.graph" "\${bb}/bin/sh" "drvs" user.drvPath ];
    };
    outside = mk "outside" "echo > $out" { exportReferencesGraph = [ "x" "/etc/passwd" ]; };
  }`;
  const { drvs } = instantiate(expression, nonce(), ["graph", "outside"]);
  const graph = drvs.get("graph")!;
  runNix("nix-store", ["--option", "substituters", "", "--realise", graph.render()]);
  const { store, realiser } = await openBuildStore();
  try {
    await copyFromNix(store, [...drvs.values()]);
    const out = (await realiser.realise(graph)).get("out")!;
    const theirs = nixPathInfo([out]).get(out.render())!;
    assert.equal(store.queryPathInfo(out)!.narHash.toSri(), parseHash(theirs.narHash, "sha256").toSri());
    await assert.rejects(realiser.realise(drvs.get("outside")!), /'exportReferencesGraph' contains a non-store path '\/etc\/passwd'/);
  } finally {
    await store.close();
  }
});
