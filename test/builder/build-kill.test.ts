/**
 * SIGKILL of the building process mid-build: the next open finds a consistent store
 * (nothing half-registered, no leftovers, no builder still running) and the rebuild succeeds.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { LocalStore } from "../../builder/index.js";
import { addDerivation, buildToolsSkipReason, busyboxDir, openBuildStore } from "./build-fixture.js";

const CHILD = fileURLToPath(new URL("./build-child.js", import.meta.url));

/** Processes whose command line contains `marker` (a builder that outlived its parent). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("killing the build process mid-build leaves the store consistent; the rebuild succeeds", { skip: buildToolsSkipReason() }, async () => {
  const { store, root } = await openBuildStore();
  const marker = `kill-marker-${process.pid}-${Date.now()}`;
  const bb = (await store.addPath(busyboxDir(), { name: "busybox" })).path;
  const script = `PATH=${bb.render()}/bin; mkdir -p $out $dev; echo part > $out/one; echo ${marker} halfway; sleep 2; echo rest > $out/two; echo $out > $dev/ref`;
  const drvPath = await addDerivation(store, { name: "killed", builder: `${bb.render()}/bin/sh`, args: ["-c", script], inputSrcs: [bb], outputs: ["out", "dev"] });
  const validBefore = store.allValidPaths().map((p) => p.baseName);
  await store.close();

  const child = spawn(process.execPath, [CHILD, store.root, drvPath.render(), join(root, "logs")], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => {
      output += b.toString();
      if (output.includes(`${marker} halfway`)) resolve();
    });
    child.once("exit", () => reject(new Error(`the build process exited before the kill:\n${output}`)));
  });
  child.kill("SIGKILL");
  await new Promise((r) => child.once("close", r));
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(processesWith(marker), [], "the sandboxed builder died with its parent");

  const reopened = await LocalStore.open({ root: store.root });
  try {
    assert.deepEqual(reopened.allValidPaths().map((p) => p.baseName), validBefore, "nothing new is valid");
    assert.deepEqual(readdirSync(reopened.realStoreDir).sort(), [...validBefore].sort(), "no unregistered objects");
    const tmp = join(reopened.root, "nix", "var", "lading", "tmp");
    assert.ok(readdirSync(tmp).every((d) => readdirSync(join(tmp, d)).length === 0), "the dead build's scratch is gone");
  } finally {
    await reopened.close();
  }

  const again = spawn(process.execPath, [CHILD, store.root, drvPath.render(), join(root, "logs")], { stdio: ["ignore", "pipe", "inherit"] });
  let log = "";
  again.stdout.on("data", (b: Buffer) => (log += b.toString()));
  const code = await new Promise((r) => again.once("close", r));
  assert.equal(code, 0, log);
  assert.match(log, /done\n$/);
  const final = await LocalStore.open({ root: store.root });
  try {
    const out = final.allValidPaths().find((p) => p.name === "killed");
    const dev = final.allValidPaths().find((p) => p.name === "killed-dev");
    assert.ok(out && dev);
    assert.equal(readFileSync(join(final.realPath(out), "two"), "utf8"), "rest\n");
    assert.deepEqual(final.queryReferences(dev).map((r) => r.baseName), [out.baseName]);
  } finally {
    await final.close();
  }
});
