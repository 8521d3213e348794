/**
 * `lading build` against `nix-build --no-out-link`: a busybox-based derivation built
 * locally (sandboxed builder) and the same output substituted from a `nix copy`
 * cache give nix-build's output path, NAR hash and references; failures exit 1 with
 * one `error:` line; the progress display's plain and terminal forms.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalStore } from "../../builder/index.js";
import { StorePath, parseStorePath } from "../../store/index.js";
import { parseBuildArgs, parseDrvLine } from "../../cli/commands/build.js";
import { BuildProgress } from "../../cli/commands/build-progress.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";

const LADING = resolve(fileURLToPath(import.meta.url), "../../../../bin/lading");
const BUSYBOX = "/bin/busybox";

function busyboxSkipReason(): string | false {
  if (existsSync(BUSYBOX)) return false;
  if (process.env.CI) throw new Error("busybox-static (/bin/busybox) is required in CI");
  return "busybox-static not installed; run scripts/install-deps.sh";
}

const skip = nixSkipReason() || busyboxSkipReason();

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NIX_PATH: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString("latin1")));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("latin1")));
    child.on("error", fail);
    child.on("close", (code) => done({ stdout, stderr, code: code ?? 1 }));
  });
}

/** A package set whose only tool is busybox, imported with builtins.path (nothing from the host at build time). */
function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-build-"));
  mkdirSync(join(dir, "tools"));
  copyFileSync(BUSYBOX, join(dir, "tools", "sh"));
  symlinkSync("sh", join(dir, "tools", "busybox"));
  writeFileSync(
    join(dir, "default.nix"),
    `{ greeting ? "Hello" }:
let
  tools = builtins.path { path = ./tools; name = "tools"; };
  sh = "\${tools}/sh";
  bb = "\${tools}/busybox";
  mk = name: script: derivation { inherit name; system = "x86_64-linux"; builder = sh; args = [ "-c" script ]; };
in rec {
  lib = mk "lib-1.0" ''
    \${bb} mkdir -p $out/share
    echo "\${greeting}, world!" > $out/share/greeting
    echo 'ünïcödé' > $out/share/utf8
  '';
  hello = mk "hello" ''
    \${bb} mkdir -p $out/bin
    printf '#!%s\\n\${bb} cat %s/share/greeting\\n' \${sh} \${lib} > $out/bin/hello
    \${bb} chmod +x $out/bin/hello
    \${bb} ln -s hello $out/bin/hi
  '';
  multi = derivation {
    name = "multi"; system = "x86_64-linux"; builder = sh; outputs = [ "out" "dev" ];
    args = [ "-c" "echo \${hello} > $out; echo dev > $dev" ];
  };
  broken = mk "broken" "echo failing; exit 3";
}
`,
  );
  return dir;
}

function cppNixInfo(path: string): { hash: string; refs: string[] } {
  const hash = runNix("nix-store", ["-q", "--hash", path]).toString().trim();
  const refs = runNix("nix-store", ["-q", "--references", path]).toString().split("\n").filter((l) => l !== "").sort();
  return { hash, refs };
}

async function assertSameAsCppNix(dataDir: string, outPaths: string[]): Promise<void> {
  const store = await LocalStore.open({ root: join(dataDir, "store") });
  try {
    for (const out of outPaths) {
      const info = store.queryPathInfo(parseStorePath(out));
      assert.ok(info, `${out} is valid in Lading's store`);
      const theirs = cppNixInfo(out);
      assert.equal(info.narHash.format("base32"), theirs.hash, out);
      assert.deepEqual(info.references.map((r) => r.render()).sort(), theirs.refs, out);
    }
  } finally {
    await store.close();
  }
}

const NO_CACHE = { LADING_SUBSTITUTERS: "" };

test("lading build: local builds give nix-build's output paths, NAR hashes and references", { skip }, async () => {
  const dir = fixture();
  try {
    const env = { ...NO_CACHE, LADING_DATA_DIR: join(dir, "data") };
    for (const attrs of [["-A", "hello"], ["-A", "multi.dev", "-A", "lib", "--argstr", "greeting", "Grüß"]]) {
      const theirs = await run("nix-build", ["--no-out-link", "--option", "substituters", "", "default.nix", ...attrs], {}, dir);
      assert.equal(theirs.code, 0, theirs.stderr);
      const ours = await run(LADING, ["build", "default.nix", ...attrs], env, dir);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout);
      await assertSameAsCppNix(env.LADING_DATA_DIR, ours.stdout.trim().split("\n"));
    }
    // A failing builder: exit 1 and one error line naming the derivation.
    const failed = await run(LADING, ["build", "default.nix", "-A", "broken"], env, dir);
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, "");
    const errors = failed.stderr.split("\n").filter((l) => l.startsWith("error:"));
    assert.equal(errors.length, 1, failed.stderr);
    assert.match(errors[0]!, /broken/);
    assert.match(failed.stderr, /^failing$/m, "the builder's output is shown");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lading build: outputs substituted from a nix copy cache match nix-build", { skip }, async () => {
  const dir = fixture();
  try {
    const theirs = await run("nix-build", ["--no-out-link", "--option", "substituters", "", "default.nix", "-A", "hello"], {}, dir);
    assert.equal(theirs.code, 0, theirs.stderr);
    const out = theirs.stdout.trim();
    runNix("nix-store", ["--generate-binary-cache-key", "lading-test-1", join(dir, "sk"), join(dir, "pk")]);
    runNix("nix", ["copy", "--to", `file://${dir}/cache?secret-key=${dir}/sk&compression=xz`, out]);
    const env = {
      LADING_DATA_DIR: join(dir, "data"),
      LADING_SUBSTITUTERS: `file://${dir}/cache`,
      LADING_TRUSTED_KEYS: readFileSync(join(dir, "pk"), "utf8").trim(),
    };
    const ours = await run(LADING, ["build", "default.nix", "-A", "hello"], env, dir);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stderr, /copying path '.*-hello' from 'file:/);
    await assertSameAsCppNix(env.LADING_DATA_DIR, [out]);
    // Its runtime closure (lib, tools) came along.
    const closure = runNix("nix-store", ["-qR", out]).toString().split("\n").filter((l) => l !== "");
    await assertSameAsCppNix(env.LADING_DATA_DIR, closure);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lading build: with a castore configured, a second data dir takes the closure from it, not from a build or a cache", { skip }, async () => {
  const dir = fixture();
  try {
    const theirs = await run("nix-build", ["--no-out-link", "--option", "substituters", "", "default.nix", "-A", "hello"], {}, dir);
    assert.equal(theirs.code, 0, theirs.stderr);
    const castoreDir = join(dir, "castore");
    // First data dir: built locally, then published into the castore.
    const first = await run(LADING, ["build", "default.nix", "-A", "hello"], { ...NO_CACHE, LADING_DATA_DIR: join(dir, "a"), LADING_CASTORE_DIR: castoreDir }, dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /building '.*-hello\.drv'/);
    assert.ok(existsSync(castoreDir), "the castore was written");
    // Second data dir, same castore, no binary cache: nothing is built, the outputs are valid on its disk.
    const env = { ...NO_CACHE, LADING_DATA_DIR: join(dir, "b"), LADING_CASTORE_DIR: castoreDir };
    const second = await run(LADING, ["build", "default.nix", "-A", "hello"], env, dir);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, theirs.stdout);
    assert.doesNotMatch(second.stderr, /building '/, "nothing is built a second time");
    const closure = runNix("nix-store", ["-qR", theirs.stdout.trim()]).toString().split("\n").filter((l) => l !== "");
    await assertSameAsCppNix(env.LADING_DATA_DIR, closure);
    // LADING_CASTORE=off: the castore is not consulted, so the third data dir builds.
    const off = await run(LADING, ["build", "default.nix", "-A", "hello"], { ...env, LADING_DATA_DIR: join(dir, "c"), LADING_CASTORE: "off" }, dir);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /building '.*-hello\.drv'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lading build: evaluation and realisation failures end in one error message and exit 1", { skip: nixSkipReason() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-build-err-"));
  try {
    const env = { ...NO_CACHE, LADING_DATA_DIR: join(dir, "data") };
    const evalError = await run(LADING, ["build", "-E", "throw \"no such package\""], env, dir);
    assert.equal(evalError.code, 1);
    assert.equal(evalError.stdout, "");
    // Current nix-build's layout: frames first, the message last (upstream eval-fail-abort.err.exp shape).
    assert.match(evalError.stderr, /^ {7}error: no such package\n?$/m);
    assert.match(evalError.stderr.trimEnd(), /error: no such package$/);

    const noBuilder = await run(LADING, ["build", "-E", 'derivation { name = "x"; system = "x86_64-linux"; builder = "/nonexistent/sh"; }'], env, dir);
    assert.equal(noBuilder.code, 1);
    assert.equal(noBuilder.stdout, "");
    assert.equal(noBuilder.stderr.split("\n").filter((l) => l.startsWith("error:")).length, 1, noBuilder.stderr);

    const usage = await run(LADING, ["build", "--eval", "-E", "1"], env, dir);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /^error: unrecognised flag '--eval'$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lading build: arguments and instantiate lines", () => {
  const o = parseBuildArgs(["--no-out-link", "f.nix", "-A", "--no-out-link", "--arg", "x", "1", "-I", "nixpkgs=/p"]);
  assert.deepEqual(o.inputs, ["f.nix"]);
  assert.deepEqual(o.attrPaths, ["--no-out-link"]);
  assert.deepEqual(o.args, [{ name: "x", value: "1", isString: false }]);
  assert.deepEqual(o.includes, ["nixpkgs=/p"]);
  assert.throws(() => parseBuildArgs(["-o", "result"]), /not supported/);
  assert.deepEqual(parseDrvLine("/nix/store/abc-x.drv"), { drvPath: "/nix/store/abc-x.drv", output: "out" });
  assert.deepEqual(parseDrvLine("/nix/store/abc-x.drv!dev"), { drvPath: "/nix/store/abc-x.drv", output: "dev" });
});

test("lading build: progress as plain lines and as a terminal status line", async () => {
  const path = StorePath.fromBaseName("0123456789abcdfghijklmnpqrsvwxyz-curl-8.0");
  const events = (p: BuildProgress): void => {
    p.onSubstitution({ type: "planned", paths: 2, downloadBytes: 4 << 20, narBytes: 8 << 20 });
    p.onSubstitution({ type: "path-start", path, url: "https://cache.example", downloadSize: 3 << 20, narSize: 6 << 20 });
    p.onSubstitution({ type: "path-progress", path, downloaded: 1 << 20, narBytes: 2 << 20 });
    p.onBuild({ type: "build-started", drvPath: "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-app.drv", name: "app", sandboxed: true, logPath: "/l" });
    p.onBuild({ type: "build-log-line", drvPath: "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-app.drv", line: "compiling" });
  };
  let plain = "";
  const plainProgress = new BuildProgress({ write: (t: string) => (plain += t) }, "/nix/store", false);
  events(plainProgress);
  plainProgress.finish();
  assert.equal(
    plain,
    "copying path '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-curl-8.0' from 'https://cache.example'...\n" +
      "building '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-app.drv'...\ncompiling\n",
  );

  let tty = "";
  const ttyProgress = new BuildProgress({ write: (t: string) => (tty += t), columns: 200 }, "/nix/store", true);
  events(ttyProgress);
  assert.equal(ttyProgress.statusLine(), "[0/2 fetched, 1.0/4.0 MiB] [0 built, 1 building] downloading curl-8.0 (1.0/3.0 MiB), building app");
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(tty.endsWith(`\r\x1b[K${ttyProgress.statusLine()}`), JSON.stringify(tty));
  ttyProgress.onSubstitution({ type: "path-done", path });
  ttyProgress.finish();
  assert.ok(tty.endsWith("\r\x1b[K"), "the status line is cleared at the end");
  assert.ok(!plain.includes("\x1b"), "no escapes off a terminal");
});
