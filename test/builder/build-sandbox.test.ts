/**
 * What the sandbox lets a builder do and see, and how builds fail: exit codes,
 * timeouts, missing outputs, hash mismatches, reference cycles.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { hashBytes, parseHash, parseStorePath, type StorePath } from "../../store/index.js";
import { spawnSync } from "node:child_process";
import { type LocalStore } from "../../builder/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { addDerivation, buildToolsSkipReason, busyboxDir, copyFromNix, instantiate, nixPathInfo, openBuildStore } from "./build-fixture.js";

const skip = buildToolsSkipReason();

async function withBusybox<T>(store: LocalStore, fn: (sh: string, bb: StorePath) => Promise<T>): Promise<T> {
  const bb = (await store.addPath(busyboxDir(), { name: "busybox" })).path;
  return fn(`${bb.render()}/bin/sh`, bb);
}

test("the sandbox hides the host, other store paths and the network", { skip }, async () => {
  const server = createServer((_, res) => res.end("reachable\n"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const { store, realiser, events } = await openBuildStore({ sandbox: true });
  try {
    await withBusybox(store, async (sh, bb) => {
      const secret = (await store.addText("secret", "top secret\n")).path;
      const script = `
        PATH=${bb.render()}/bin
        mkdir $out
        cat /etc/shadow > $out/shadow 2>&1 || echo denied >> $out/shadow
        cat ${secret.render()} > $out/secret 2>&1 || echo denied >> $out/secret
        wget -O - http://127.0.0.1:${port}/ > $out/net 2>&1 || echo denied >> $out/net
        echo x > ${bb.render()}/bin/planted 2>/dev/null && echo written > $out/input || echo denied > $out/input
        id -u > $out/uid
        ls /nix/store | grep -v "$(basename $out)" > $out/store
        echo "$HOME $PATH $NIX_BUILD_TOP $TMPDIR $(pwd)" > $out/env
        test -e /bin/sh && echo present > $out/binsh || echo absent > $out/binsh
      `;
      const drvPath = await addDerivation(store, { name: "isolated", builder: sh, args: ["-c", script], inputSrcs: [bb] });
      const out = (await realiser.realise(drvPath)).get("out")!;
      const read = (f: string): string => readFileSync(join(store.realPath(out), f), "utf8");
      assert.match(read("shadow"), /denied/);
      assert.doesNotMatch(read("shadow"), /root:/);
      assert.match(read("secret"), /denied/);
      assert.doesNotMatch(read("secret"), /top secret/);
      assert.match(read("net"), /Connection refused\ndenied/); // its own loopback: the host's server is not there
      assert.doesNotMatch(read("net"), /reachable/);
      assert.equal(read("input"), "denied\n");
      assert.equal(read("uid"), "1000\n");
      assert.deepEqual(read("store").trim().split("\n"), [bb.baseName]);
      assert.equal(read("env"), `/homeless-shelter ${bb.render()}/bin /build /build /build\n`);
      assert.equal(read("binsh"), "absent\n");
      assert.ok(events.some((e) => e.type === "build-started" && e.sandboxed));
    });
  } finally {
    server.close();
    await store.close();
  }
});

test("a fixed-output derivation has the network and its hash is checked", { skip }, async () => {
  const body = `served ${Date.now()}\n`;
  const server = createServer((_, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const { store, realiser } = await openBuildStore({ sandbox: true });
  try {
    await withBusybox(store, async (sh, bb) => {
      const fetch = `${bb.render()}/bin/wget -q -O $out http://127.0.0.1:${port}/`;
      const good = await addDerivation(store, {
        name: "fetched", builder: sh, args: ["-c", fetch], inputSrcs: [bb],
        fixed: { hashAlgo: "sha256", hash: hashBytes("sha256", body).toBase16() },
      });
      const out = (await realiser.realise(good)).get("out")!;
      assert.equal(readFileSync(store.realPath(out), "utf8"), body);
      assert.equal(store.queryPathInfo(out)!.ca?.type, "fixed");

      const bad = await addDerivation(store, {
        name: "fetched-wrong", builder: sh, args: ["-c", fetch], inputSrcs: [bb],
        fixed: { hashAlgo: "sha256", hash: hashBytes("sha256", "something else").toBase16() },
      });
      await assert.rejects(realiser.realise(bad), (err: Error) => {
        assert.match(err.message, /hash mismatch in fixed-output derivation '.*fetched-wrong\.drv':\n {2}specified: sha256-.*\n {5}got: {4}sha256-/);
        return true;
      });
    });
  } finally {
    server.close();
    await store.close();
  }
});

test("a failing builder names its log; nothing is registered and no scratch is left", { skip }, async () => {
  const { store, realiser, events, builder } = await openBuildStore();
  try {
    await withBusybox(store, async (sh, bb) => {
      const drvPath = await addDerivation(store, {
        name: "failing", builder: sh, inputSrcs: [bb],
        args: ["-c", "echo partial > $out; echo 'line one'; echo 'it went wrong' >&2; exit 3"],
      });
      const before = store.allValidPaths().length;
      await assert.rejects(realiser.realise(drvPath), (err: Error) => {
        assert.match(err.message, /^builder for '.*-failing\.drv' failed with exit code 3;\nlast 2 log lines:\n> line one\n> it went wrong\n/);
        assert.ok(err.message.includes(builder.logPath(drvPath)), "the message names the log file");
        return true;
      });
      assert.match(readFileSync(builder.logPath(drvPath), "utf8"), /it went wrong/);
      assert.equal(store.allValidPaths().length, before);
      const failed = events.find((e) => e.type === "build-failed");
      assert.ok(failed && failed.type === "build-failed" && failed.logPath === builder.logPath(drvPath));
      assert.ok(events.some((e) => e.type === "build-log-line" && e.line === "it went wrong"));
      const tmp = join(store.root, "nix", "var", "lading", "tmp");
      for (const dir of readdirSync(tmp)) assert.deepEqual(readdirSync(join(tmp, dir)), [], "scratch removed");

      const noOutput = await addDerivation(store, { name: "no-output", builder: sh, args: ["-c", "true"], inputSrcs: [bb] });
      await assert.rejects(realiser.realise(noOutput), /failed to produce output path for output 'out'/);

      const cycle = await addDerivation(store, {
        name: "cycle", builder: sh, inputSrcs: [bb], outputs: ["out", "dev"],
        args: ["-c", "echo $dev > $out; echo $out > $dev"],
      });
      await assert.rejects(realiser.realise(cycle), /cycle detected in build of '.*cycle\.drv' in the references of output '(out|dev)'/);
      assert.equal(store.allValidPaths().length, before + 2, "only the two new .drv files");
    });
  } finally {
    await store.close();
  }
});

test("LADING_BUILD_TIMEOUT kills a build that runs too long", { skip }, async () => {
  const { store, realiser } = await openBuildStore({ timeoutSeconds: 1 });
  try {
    await withBusybox(store, async (sh, bb) => {
      const drvPath = await addDerivation(store, { name: "slow", builder: sh, inputSrcs: [bb], args: ["-c", `echo starting; ${bb.render()}/bin/sleep 60; echo > $out`] });
      const started = Date.now();
      await assert.rejects(realiser.realise(drvPath), /builder for '.*slow\.drv' timed out after 1 seconds;\nlast 1 log lines:\n> starting\nFor full logs, see '/);
      assert.ok(Date.now() - started < 15_000);
    });
  } finally {
    await store.close();
  }
});

test("builds run in parallel up to maxJobs", { skip }, async () => {
  const { store, realiser, events } = await openBuildStore({ maxJobs: 2 });
  try {
    await withBusybox(store, async (sh, bb) => {
      const drvs = await Promise.all(
        [1, 2, 3].map((i) => addDerivation(store, { name: `job-${i}`, builder: sh, inputSrcs: [bb], args: ["-c", `${bb.render()}/bin/sleep 1; echo ${i} > $out`] })),
      );
      await Promise.all(drvs.map((d) => realiser.realise(d)));
      let running = 0;
      let peak = 0;
      for (const e of events) {
        if (e.type === "build-started") peak = Math.max(peak, ++running);
        if (e.type === "build-finished" || e.type === "build-failed") running--;
      }
      assert.equal(peak, 2);
    });
  } finally {
    await store.close();
  }
});

test("__impureHostDeps and LADING_SANDBOX_PATHS make host paths visible read-only", { skip }, async () => {
  const { store, realiser } = await openBuildStore({ sandboxPaths: [{ inside: "/host-etc-hostname", host: "/etc/hostname", optional: true }] });
  try {
    await withBusybox(store, async (sh, bb) => {
      const script = "/bin/sh -c 'echo from host shell' > $out; test -e /host-etc-hostname && echo extra >> $out; touch /usr/planted 2>/dev/null || echo ro >> $out";
      const drvPath = await addDerivation(store, { name: "host-deps", builder: sh, inputSrcs: [bb], args: ["-c", script], env: { __impureHostDeps: "/usr /bin /lib /lib64 /nonexistent" } });
      const out = (await realiser.realise(drvPath)).get("out")!;
      const expected = `from host shell\n${existsSync("/etc/hostname") ? "extra\n" : ""}ro\n`;
      assert.equal(readFileSync(store.realPath(out), "utf8"), expected);
    });
  } finally {
    await store.close();
  }
});

test("unsandboxed mode (LADING_SANDBOX=false) warns, and needs the inputs at their logical location", { skip: skip || nixSkipReason() }, async () => {
  const warnings: string[] = [];
  const { store, realiser, events } = await openBuildStore({ sandbox: false, warn: (m) => warnings.push(m) });
  try {
    const dir = busyboxDir();
    writeFileSync(join(dir, "nonce"), `${process.pid} ${Date.now()}\n`); // a path the host's store does not have yet
    const bb = (await store.addPath(dir, { name: "busybox" })).path;
    const sh = `${bb.render()}/bin/sh`;
    const script = `echo "$HOME $PATH" > $out; test "$NIX_BUILD_TOP" = "$(pwd)" && echo cwd >> $out`;
    const drvPath = await addDerivation(store, { name: `unsandboxed-${process.pid}-${Date.now()}`, builder: sh, args: ["-c", script], inputSrcs: [bb] });
    await assert.rejects(realiser.realise(drvPath), /cannot build '.*' unsandboxed: input '.*-busybox' is not at its logical location/);
    assert.equal(runNix("nix-store", ["--add", dir]).toString().trim(), bb.render(), "CppNix names the busybox path alike");
    const out = (await realiser.realise(drvPath)).get("out")!;
    assert.equal(readFileSync(store.realPath(out), "utf8"), `/homeless-shelter /path-not-set\ncwd\n`);
    assert.ok(!existsSync(out.render()), "the output was moved into the store, not left in the host's store directory");
    assert.match(warnings.join("\n"), /UNSANDBOXED/);
    assert.ok(events.some((e) => e.type === "build-started" && !e.sandboxed));
  } finally {
    await store.close();
  }
});

test("a derivation for another system or with missing features is refused as CppNix refuses it", { skip: skip || nixSkipReason() }, async () => {
  const { store, realiser } = await openBuildStore();
  try {
    for (const [system, features] of [["aarch64-linux", ["kvm", "big-parallel"]], ["x86_64-linux", ["cuda"]], ["x86_64-darwin", []]] as const) {
      const name = `elsewhere-${process.pid}-${Date.now()}`;
      const expr = `derivation { name = "${name}"; system = "${system}"; builder = "/bin/sh"; requiredSystemFeatures = [ ${features.map((f) => `"${f}"`).join(" ")} ]; }`;
      const drvPath = runNix("nix-instantiate", ["-E", expr]).toString().trim();
      const theirs = spawnSync("nix-store", ["--option", "substituters", "", "--realise", drvPath], { encoding: "utf8" });
      const message = /error: (.*)/.exec(theirs.stderr)?.[1];
      assert.ok(message, theirs.stderr);
      await copyFromNix(store, [parseStorePath(drvPath)]);
      await assert.rejects(realiser.realise(parseStorePath(drvPath)), (err: Error) => {
        assert.equal(err.message, message);
        return true;
      });
    }
  } finally {
    await store.close();
  }
});

test("unsandboxed, outputs whose place the host's store already holds are built elsewhere and rewritten (same NAR as CppNix)", { skip: skip || nixSkipReason() }, async () => {
  const n = `${process.pid}-${Date.now()}`;
  const { drvs } = instantiate(
    `{ multi = derivation { name = "rewritten-\${nonce}"; system = builtins.currentSystem; builder = sh; outputs = [ "out" "dev" ];
        args = [ "-c" "\${bb}/bin/mkdir -p $out $dev/sub-$(\${bb}/bin/basename $out); echo $out > $out/self; \${bb}/bin/ln -s $out/self $dev/link" ]; }; }`,
    n,
    ["multi"],
  );
  const drvPath = drvs.get("multi")!;
  runNix("nix-store", ["--option", "substituters", "", "--realise", drvPath.render()]);
  const { store, realiser } = await openBuildStore({ sandbox: false, warn: () => {} });
  try {
    await copyFromNix(store, [drvPath]);
    const outputs = await realiser.realise(drvPath);
    const theirs = nixPathInfo([...outputs.values()]);
    for (const [name, path] of outputs) {
      const mine = store.queryPathInfo(path)!;
      const nix = theirs.get(path.render())!;
      assert.equal(mine.narHash.toSri(), parseHash(nix.narHash, "sha256").toSri(), `${name} NAR hash`);
      assert.deepEqual(mine.references.map((r) => r.render()).sort(), [...nix.references].sort(), `${name} references`);
    }
  } finally {
    await store.close();
  }
});
