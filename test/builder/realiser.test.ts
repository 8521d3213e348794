import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CannotRealiseError, LocalStore, StoreRealiser, Substituter, type BuildRequest } from "../../builder/index.js";
import { dumpNar, parseHash, parseStorePath, type StorePath } from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { buildNixClosure, makeNixCache, nixQuery, tempDir } from "./fixture.js";

function drvOf(path: StorePath): StorePath {
  return parseStorePath(nixQuery("--deriver", path)[0]!);
}

test("realising substitutes outputs when a cache has them, else builds inputs first", { skip: nixSkipReason() }, async () => {
  const closure = buildNixClosure(`r${Date.now().toString(36)}`);
  const topDrv = drvOf(closure.top);
  const midDrv = drvOf(closure.mid);
  // One cache with every output and .drv; another with the .drvs and only leaf's output.
  const full = makeNixCache([closure.top], "xz", undefined, true, [topDrv]);
  const partial = makeNixCache([closure.leaf], "xz", undefined, true, [topDrv]);

  const fromCache = await LocalStore.open({ root: join(tempDir("store"), "root") });
  try {
    const sub = new Substituter(fromCache, { urls: [full.url], trustedKeys: [full.key.publicKey] });
    const outputs = await new StoreRealiser(fromCache, sub).realise(topDrv);
    assert.deepEqual([...outputs], [["out", closure.top]]);
    for (const p of closure.all) assert.ok(fromCache.isValid(p), p.baseName);
  } finally {
    await fromCache.close();
  }

  const store = await LocalStore.open({ root: join(tempDir("store"), "root") });
  try {
    const sub = new Substituter(store, { urls: [partial.url], trustedKeys: [partial.key.publicKey] });
    await assert.rejects(new StoreRealiser(store, sub).realise(topDrv), CannotRealiseError);
    // A stand-in builder: takes the outputs CppNix built, in the order it is asked.
    const built: string[] = [];
    const builder = {
      async build(request: BuildRequest): Promise<void> {
        for (const input of request.drv.inputDrvs.keys()) {
          for (const out of (await realiser.readDerivation(parseStorePath(input))).outputs.values()) {
            assert.ok(store.isValid(parseStorePath(out.path)), `input ${out.path} is valid before ${request.drvPath.baseName} builds`);
          }
        }
        built.push(request.drvPath.baseName);
        for (const path of request.outputs.values()) {
          await store.addNar(
            {
              path,
              narHash: parseHash(nixQuery("--hash", path)[0]!),
              narSize: Number(nixQuery("--size", path)[0]),
              references: nixQuery("--references", path).map((r) => parseStorePath(r)),
            },
            dumpNar(path.render()),
          );
        }
      },
    };
    const realiser = new StoreRealiser(store, sub, builder);
    const [a, b] = await Promise.all([realiser.realise(topDrv), realiser.realise(topDrv)]);
    assert.deepEqual([...a], [["out", closure.top]]);
    assert.deepEqual(a, b);
    assert.deepEqual(built, [midDrv.baseName, topDrv.baseName], "leaf came from the cache; mid was built before top");
    assert.equal(runNix("nix-store", ["-q", "--hash", closure.top.render()]).toString().trim(), store.queryPathInfo(closure.top)!.narHash.format("base32"));
  } finally {
    await store.close();
  }
});
