/**
 * The offline package set examples/pkgs: Lading evaluates it to CppNix's
 * derivations (also for aarch64-linux, where only architecture-independent
 * packages are offered), CppNix builds every package reproducibly with the
 * runtime closures the registry's layering tests rely on, and Lading's sandboxed
 * builder gives CppNix's outputs byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../builder/index.js";
import { Castore, FsCastoreBackend, parseStorePath } from "../../store/index.js";
import { LADING, PKGS, examplesSkipReason, lines, run, runOk } from "./tools.js";
import { finalMessage } from "../evaluator/errors-current.js";

/** Every package of the set (attributes whose value is a derivation). */
const PACKAGES = ["busybox", "hello", "libgreet", "greet", "greet-shout", "greet-tools", "welcome", "cacert", "iana-etc", "hostcc"];
/** Packages whose outputs hold no machine code: offered for every system. */
const PORTABLE = ["libgreet", "cacert", "iana-etc"];

const skip = examplesSkipReason();
const dataDir = mkdtempSync(join(tmpdir(), "lading-examples-"));
const ladingEnv = { LADING_DATA_DIR: dataDir, LADING_SUBSTITUTERS: "" };
const otherSystem = process.arch === "arm64" ? "x86_64-linux" : "aarch64-linux";

const attrArgs = (attrs: readonly string[]): string[] => attrs.flatMap((a) => ["-A", a]);

test.after(() => rmSync(dataDir, { recursive: true, force: true }));

test("lading instantiate gives nix-instantiate's .drv path for every package", { skip }, async () => {
  const [ours, theirs] = await Promise.all([
    runOk(LADING, ["instantiate", PKGS, ...attrArgs(PACKAGES)], ladingEnv),
    runOk("nix-instantiate", [PKGS, ...attrArgs(PACKAGES)]),
  ]);
  assert.equal(lines(ours).length, PACKAGES.length);
  assert.deepEqual(lines(ours), lines(theirs));
});

test(`for ${otherSystem}, portable packages keep their derivations and the others say why not`, { skip }, async () => {
  const native = lines(await runOk("nix-instantiate", [PKGS, ...attrArgs(PORTABLE)]));
  const args = [PKGS, "--argstr", "system", otherSystem];
  const [ours, theirs] = await Promise.all([
    runOk(LADING, ["instantiate", ...args, ...attrArgs(PORTABLE)], ladingEnv),
    runOk("nix-instantiate", [...args, ...attrArgs(PORTABLE)]),
  ]);
  assert.deepEqual(lines(ours), native);
  assert.deepEqual(lines(theirs), native);

  // What a registry reads before building: availability and the reason, per package.
  const summary = `let pkgs = import ${PKGS} { system = "${otherSystem}"; }; in
    builtins.listToAttrs (map (name: { inherit name; value = {
      inherit (pkgs.\${name}.meta) available platforms;
      reason = pkgs.\${name}.meta.unavailableReason or null;
      instantiates = (builtins.tryEval pkgs.\${name}.drvPath).success;
    }; }) [ ${PACKAGES.map((p) => `"${p}"`).join(" ")} ])`;
  const evalArgs = ["--eval", "--strict", "--json", "-E", summary];
  const [ourSummary, theirSummary] = await Promise.all([runOk(LADING, ["instantiate", ...evalArgs], ladingEnv), runOk("nix-instantiate", evalArgs)]);
  assert.equal(ourSummary, theirSummary);
  const parsed = JSON.parse(theirSummary) as Record<string, { available: boolean; instantiates: boolean; reason: string | null }>;
  for (const name of PACKAGES) {
    const portable = PORTABLE.includes(name);
    assert.equal(parsed[name]!.available, portable, name);
    assert.equal(parsed[name]!.instantiates, portable, name);
    assert.equal(parsed[name]!.reason === null, portable, name);
  }

  // Asking for an unavailable package fails with the same message in both.
  const [ourError, theirError] = await Promise.all([
    run(LADING, ["instantiate", ...args, "-A", "hello"], ladingEnv),
    run("nix-instantiate", [...args, "-A", "hello"]),
  ]);
  assert.notEqual(ourError.exitCode, 0);
  assert.notEqual(theirError.exitCode, 0);
  assert.match(theirError.stderr, new RegExp(`'hello-1.0' is not available for ${otherSystem}: meta.platforms is`));
  // CppNix 2.8 prints only the message; we print current CppNix's report, whose last
  // line is the same message after the frames (test/evaluator/errors-current.ts).
  assert.equal(finalMessage(ourError.stderr), finalMessage(theirError.stderr));
  assert.match(ourError.stderr, /^error:\n {7}\S+ while calling the 'throw' builtin\n/);
});

test("metaPackages names the shell's packages and the architectures", { skip }, async () => {
  const args = ["--eval", "--strict", "--json", PKGS, "-A", "metaPackages"];
  const [ours, theirs, busybox] = await Promise.all([
    runOk(LADING, ["instantiate", ...args], ladingEnv),
    runOk("nix-instantiate", args),
    runOk("nix-instantiate", ["--eval", "--json", PKGS, "-A", "busybox.outPath"]),
  ]);
  assert.equal(ours, theirs);
  assert.deepEqual(JSON.parse(theirs), { architectures: ["amd64", "arm64"], shell: [JSON.parse(busybox)] });
});

/** Builds every package with CppNix (once) and returns output name → path per package. */
let nixBuilt: Promise<Map<string, Map<string, string>>> | undefined;
function buildWithNix(): Promise<Map<string, Map<string, string>>> {
  nixBuilt ??= (async () => {
    const drvs = lines(await runOk("nix-instantiate", [PKGS, ...attrArgs(PACKAGES)]));
    await runOk("nix-build", ["--no-out-link", PKGS, ...attrArgs(PACKAGES)]);
    const built = new Map<string, Map<string, string>>();
    for (const [i, drv] of drvs.entries()) {
      const outputs = new Map<string, string>();
      for (const path of lines(await runOk("nix-store", ["-q", "--outputs", drv]))) {
        outputs.set(path.match(/-(dev|man)$/)?.[1] ?? "out", path);
      }
      built.set(PACKAGES[i]!, outputs);
    }
    return built;
  })();
  return nixBuilt;
}

test("nix-build builds every package, and again with --check to the same bytes", { skip }, async () => {
  const built = await buildWithNix();
  await runOk("nix-build", ["--no-out-link", "--check", PKGS, ...attrArgs(PACKAGES)]);
  assert.deepEqual([...built.get("libgreet")!.keys()].sort(), ["dev", "man", "out"]);
});

test("the runtime closures go three levels deep and share dependencies", { skip }, async () => {
  const built = await buildWithNix();
  const out = (name: string): string => built.get(name)!.get("out")!;
  const references = async (path: string): Promise<string[]> => lines(await runOk("nix-store", ["-q", "--references", path])).sort();
  assert.deepEqual(await references(out("hello")), []);
  assert.deepEqual(await references(out("busybox")), []);
  assert.deepEqual(await references(out("greet")), [out("libgreet")]);
  assert.deepEqual(await references(out("greet-shout")), [out("libgreet")]);
  assert.deepEqual(await references(out("greet-tools")), [out("busybox"), out("greet"), out("libgreet")].sort());
  assert.deepEqual(await references(out("welcome")), [out("busybox"), out("greet-tools"), out("hello"), out("iana-etc")].sort());
  const dev = built.get("libgreet")!.get("dev")!;
  assert.deepEqual(await references(dev), [out("libgreet"), dev].sort());

  assert.equal(await runOk(`${out("hello")}/bin/hello`, []), "Hello, world!\n");
  assert.equal(await runOk(`${out("greet-shout")}/bin/greet`, ["-l", "fr", "Ada"]), "BONJOUR, ADA!\n");
  assert.match(await runOk(`${out("welcome")}/bin/welcome`, [], { USER: "tester" }), /^Hello, world!\nHello, tester!\nThis machine knows \d+ network services\.\n$/);
  assert.equal(await runOk(`${out("busybox")}/bin/sh`, ["-c", "echo $((6 * 7))"]), "42\n");
});

test("every output of the set goes into the castore and renders to nix-store --dump's NAR (issue 8)", { skip }, async (t) => {
  const built = await buildWithNix();
  const dir = mkdtempSync(join(tmpdir(), "lading-examples-cas-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The two layouts the registry can run with: a blob per file, and small files inline (the default).
  const castores = [new Castore(new FsCastoreBackend(join(dir, "blobs"))), new Castore(new FsCastoreBackend(join(dir, "inline")), { inlineMax: 4096 })];
  const outputs = [...built.values()].flatMap((byName) => [...byName.values()]);
  assert.equal(outputs.length, PACKAGES.length + 2, "every package's outputs, libgreet's dev and man included");
  for (const path of outputs) {
    const nar = execFileSync("nix-store", ["--dump", path], { maxBuffer: 1 << 30 });
    const narHash = (await runOk("nix-store", ["-q", "--hash", path])).trim();
    const references = lines(await runOk("nix-store", ["-q", "--references", path]));
    for (const castore of castores) {
      // Ingested from the NAR stream (as substitution does), checked against CppNix's NAR hash.
      const { info } = await castore.addNar(path, [nar.subarray(0, nar.length >> 1), nar.subarray(nar.length >> 1)], references, narHash);
      assert.equal(info.narSize, nar.length, path);
      const rendered: Buffer[] = [];
      for await (const piece of castore.nar(path)) rendered.push(piece);
      assert.ok(Buffer.concat(rendered).equals(nar), `${path} renders to nix-store --dump's bytes (${castore.options.inlineMax ? "inline" : "blob per file"})`);
    }
  }
});

test("lading build gives nix-build's output paths, NAR hashes and references, offline and sandboxed", { skip }, async () => {
  // Every output, the libraries' dev and man outputs by name, as nix-build prints them.
  const attrs = [...PACKAGES, "libgreet.dev", "libgreet.man"];
  const [ours, theirs] = await Promise.all([
    runOk(LADING, ["build", PKGS, ...attrArgs(attrs)], ladingEnv),
    runOk("nix-build", ["--no-out-link", PKGS, ...attrArgs(attrs)]),
  ]);
  assert.equal(lines(ours).length, attrs.length);
  assert.deepEqual(lines(ours), lines(theirs));

  const store = await LocalStore.open({ root: join(dataDir, "store") });
  try {
    for (const path of lines(theirs)) {
      const info = store.queryPathInfo(parseStorePath(path));
      assert.ok(info, `${path} is not valid in Lading's store`);
      assert.equal(`sha256:${info.narHash.toBase32()}`, (await runOk("nix-store", ["-q", "--hash", path])).trim(), path);
      const references = info.references.map((r) => r.render()).sort();
      assert.deepEqual(references, lines(await runOk("nix-store", ["-q", "--references", path])).sort(), path);
    }
    const hello = lines(ours)[PACKAGES.indexOf("hello")]!;
    assert.equal(await runOk(join(store.realPath(parseStorePath(hello)), "bin/hello"), []), "Hello, world!\n");
  } finally {
    await store.close();
  }
});
