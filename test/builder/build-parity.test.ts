/**
 * Derivations built by SandboxedBuilder and by CppNix's nix-build (Debian, sandbox
 * off) give the same output paths, NAR hashes, references and content addresses.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dumpNar, HashSink, hashBytes, parseDerivation, parseHash, renderContentAddress, type HashAlgo } from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { buildToolsSkipReason, copyFromNix, instantiate, nixPathInfo, nonce, openBuildStore } from "./build-fixture.js";
import { tempDir } from "./fixture.js";
import { readFileSync } from "node:fs";

async function narHash(path: string, algo: HashAlgo): Promise<string> {
  const sink = new HashSink(algo);
  for await (const chunk of dumpNar(path)) sink.update(chunk);
  return sink.finish().toBase16();
}

/** The tree the recursive fixed-output derivations make, built here to know its hash. */
function makeRecursiveTree(dir: string, n: string): void {
  mkdirSync(join(dir, "bin"), { recursive: true });
  writeFileSync(join(dir, "bin", "run"), `#!/bin/sh\necho ${n}\n`);
  chmodSync(join(dir, "bin", "run"), 0o755);
  writeFileSync(join(dir, "data"), `data ${n}\n`);
  symlinkSync("bin/run", join(dir, "link"));
}

test("builds match nix-build: outputs, NAR hashes, references, content addresses", { skip: nixSkipReason() || buildToolsSkipReason() }, async () => {
  const n = nonce();
  const work = tempDir("parity");
  chmodSync(work, 0o755); // CppNix's builtin:fetchurl runs as a build user
  const tree = join(work, "tree");
  makeRecursiveTree(tree, n);
  const flatText = `flat ${n}\n`;
  const flat = (algo: HashAlgo): string => `
    (derivation { name = "fod-flat-${algo}-\${nonce}"; system = builtins.currentSystem; builder = sh;
      args = [ "-c" "printf 'flat %s\\\\n' \${nonce} > $out" ];
      outputHashMode = "flat"; outputHashAlgo = "${algo}"; outputHash = "${hashBytes(algo, flatText).toBase16()}"; })`;
  const recursive = async (algo: HashAlgo): Promise<string> => `
    (derivation { name = "fod-rec-${algo}-\${nonce}"; system = builtins.currentSystem; builder = sh;
      args = [ "-c" "mkdir -p $out/bin; printf '#!/bin/sh\\\\necho %s\\\\n' \${nonce} > $out/bin/run; chmod +x $out/bin/run; printf 'data %s\\\\n' \${nonce} > $out/data; ln -s bin/run $out/link" ];
      outputHashMode = "recursive"; outputHashAlgo = "${algo}"; outputHash = "${await narHash(tree, algo)}"; })`;

  // builtin:fetchurl sources: a plain file, an executable one, and a NAR to unpack.
  const fetchFile = join(work, "fetch-me");
  writeFileSync(fetchFile, `fetched ${n}\n`);
  const narFile = join(work, "tree.nar");
  writeFileSync(narFile, runNix("nix-store", ["--dump", tree]));

  const expression = `rec {
    dep = derivation { name = "dep-\${nonce}"; system = builtins.currentSystem; builder = sh; args = [ "-c" "echo dep \${nonce} > $out" ]; };
    unused = derivation { name = "unused-\${nonce}"; system = builtins.currentSystem; builder = sh; args = [ "-c" "echo $out > $out" ]; };
    multi = derivation {
      name = "multi-\${nonce}"; system = builtins.currentSystem; builder = sh;
      outputs = [ "out" "dev" "lib" ];
      args = [ "-e" "-c" ''
        PATH=\${bb}/bin
        mkdir -p $out/bin $dev/include $lib
        echo "$dev" > $out/bin/uses-dev
        echo "self: $out" > $out/self
        ln -s $lib/libfoo $dev/include/link-to-lib
        echo "lib of \${dep}" > $lib/libfoo
        echo \${unused} | tr a-z A-Z > $lib/upper
        cp \${bb}/bin/busybox $out/bin/
        ln -s \${bb}/bin/sh $out/bin/sh
        mkdir $out/$(basename \${dep})-named-dir
      '' ];
    };
    passAsFile = derivation {
      name = "pass-as-file-\${nonce}"; system = builtins.currentSystem; builder = sh;
      passAsFile = [ "big" "other" ];
      big = "big text of \${dep}\\nwith lines\\n"; other = "x";
      args = [ "-e" "-c" "PATH=\${bb}/bin; cat $bigPath $otherPath > $out; basename $bigPath >> $out; echo \\"[$big]\\" >> $out" ];
    };
    structured = derivation {
      __structuredAttrs = true;
      name = "structured-\${nonce}"; system = builtins.currentSystem; builder = sh;
      args = [ "-e" "-c" ''
        PATH=\${bb}/bin
        out=$(sed -n 's/.*"outputs":{"out":"\\([^"]*\\)".*/\\1/p' $NIX_ATTRS_JSON_FILE)
        mkdir $out
        cp $NIX_ATTRS_JSON_FILE $out/attrs.json
        cp $NIX_ATTRS_SH_FILE $out/attrs.sh
        echo "[$foo]" > $out/env-foo
      '' ];
      foo = "bar"; n = 42; neg = -3; yes = true; no = false; nothing = null; fraction = 1.5;
      two = 2.0; big = 123456789.0; huge = 1.0e21; tiny = 1.0e-7; quarter = -0.25; sixteen = 1.0e16; floats = [ 2.0 0.5 ]; thousand = 1000.5;
      list = [ "a" "b c" 1 true ]; attrs = { x = "y"; "weird key" = "it's"; }; nested = { a = [ 1 ]; };
      unicode = "h\\u00e9llo ✓"; inherit dep; "not-a-shell-name" = "z";
    };
    env = derivation {
      name = "env-\${nonce}"; system = builtins.currentSystem; builder = sh; extra = "value with spaces";
      args = [ "-e" "-c" "\${bb}/bin/env | \${bb}/bin/sort | \${bb}/bin/grep -v -E '^(NIX_BUILD_TOP|TMPDIR|TEMPDIR|TMP|TEMP|PWD|SHLVL|_|OLDPWD)=' > $out" ];
    };
    fodFlat = [ ${(["sha256", "sha1", "sha512", "md5"] as HashAlgo[]).map(flat).join(" ")} ];
    fodRecursive = [ ${await recursive("sha256")} ${await recursive("sha512")} ${await recursive("sha1")} ];
    fetched = derivation { name = "fetched-\${nonce}"; builder = "builtin:fetchurl"; system = "builtin";
      url = "file://${fetchFile}"; outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "${hashBytes("sha256", readFileSync(fetchFile)).toBase16()}"; };
    fetchedExecutable = derivation { name = "fetched-exe-\${nonce}"; builder = "builtin:fetchurl"; system = "builtin"; executable = true;
      url = "file://${fetchFile}"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "${await narHashOfExecutable(fetchFile, work)}"; };
    fetchedUnpacked = derivation { name = "fetched-nar-\${nonce}"; builder = "builtin:fetchurl"; system = "builtin"; unpack = true;
      url = "file://${narFile}"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "${await narHash(tree, "sha256")}"; };
  }`;
  const attrs = ["dep", "multi", "passAsFile", "structured", "env", "fetched", "fetchedExecutable", "fetchedUnpacked",
    "fodFlat.0", "fodFlat.1", "fodFlat.2", "fodFlat.3", "fodRecursive.0", "fodRecursive.1", "fodRecursive.2"];
  const { drvs } = instantiate(expression, n, attrs);

  const { store, realiser, events } = await openBuildStore();
  try {
    await copyFromNix(store, [...drvs.values()]);
    const ours = new Map(
      await Promise.all([...drvs].map(async ([attr, drv]) => [attr, await realiser.realise(drv)] as const)),
    );
    runNix("nix-store", ["--option", "substituters", "", "--realise", ...[...drvs.values()].map((d) => d.render())]);

    for (const [attr, drvPath] of drvs) {
      const drv = parseDerivation(readFileSync(drvPath.render(), "latin1"));
      const outputs = ours.get(attr)!;
      assert.deepEqual([...outputs.keys()].sort(), [...drv.outputs.keys()].sort(), attr);
      const theirs = nixPathInfo([...outputs.values()]);
      for (const [name, path] of outputs) {
        assert.equal(path.render(), drv.outputs.get(name)!.path, `${attr}.${name} path`);
        const mine = store.queryPathInfo(path);
        assert.ok(mine, `${attr}.${name} is valid`);
        const nix = theirs.get(path.render())!;
        assert.equal(mine.narHash.toSri(), parseHash(nix.narHash, "sha256").toSri(), `${attr}.${name} NAR hash`);
        assert.equal(mine.narSize, nix.narSize, `${attr}.${name} NAR size`);
        assert.deepEqual(mine.references.map((r) => r.render()).sort(), [...nix.references].sort(), `${attr}.${name} references`);
        assert.equal(mine.ca ? renderContentAddress(mine.ca) : undefined, nix.ca, `${attr}.${name} content address`);
        assert.equal(mine.deriver?.render(), drvPath.render());
      }
    }
    // The self-reference, references between outputs, and a reference through a symlink target.
    const multi = ours.get("multi")!;
    const refs = (name: string): string[] => store.queryReferences(multi.get(name)!).map((r) => r.render());
    assert.ok(refs("out").includes(multi.get("out")!.render()));
    assert.ok(refs("out").includes(multi.get("dev")!.render()));
    assert.ok(refs("dev").includes(multi.get("lib")!.render()));

    const started = events.filter((e) => e.type === "build-started");
    assert.equal(started.length, events.filter((e) => e.type === "build-finished").length);
    assert.ok(started.length >= attrs.length);
    assert.ok(started.some((e) => e.type === "build-started" && e.sandboxed), "builds ran in the sandbox");
  } finally {
    await store.close();
  }
});

/** The NAR hash of `file` made executable, as `executable = true` fetches give. */
async function narHashOfExecutable(file: string, work: string): Promise<string> {
  const copy = join(work, "executable-copy");
  writeFileSync(copy, readFileSync(file));
  chmodSync(copy, 0o755);
  return narHash(copy, "sha256");
}

