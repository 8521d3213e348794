/**
 * A package set modelled on nixpkgs, against CppNix: a fixpoint with overlays,
 * callPackage over package files, `override`/`overrideAttrs`, a stdenv built in
 * stages from a bootstrap derivation whose tools come from `<nix/fetchurl.nix>`,
 * mkDerivation with setup hooks as source paths, multiple outputs, filtered
 * sources, writeText/runCommand helpers. Every package's .drv path, the .drv bytes
 * and drvPath/outPath values must equal CppNix's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nixSkipReason } from "../helpers/nix.js";
import { drvFileMismatches, oursWithDrvs, theirs } from "./derivations-harness.js";
import { ours as oursEval, theirs as theirsEval } from "./eval-harness.js";

const LIB = `rec {
  fix = f: let x = f x; in x;
  extends = overlay: f: self: let super = f self; in super // overlay self super;
  makeOverridable = f: args:
    let r = f args; in
    if builtins.isAttrs r then r // { override = newArgs: makeOverridable f (args // (if builtins.isFunction newArgs then newArgs args else newArgs)); } else r;
  callPackageWith = scope: fn: args:
    let f = if builtins.isFunction fn then fn else import fn;
        wanted = builtins.intersectAttrs (builtins.functionArgs f) scope;
    in makeOverridable f (wanted // args);
  optional = c: x: if c then [ x ] else [ ];
  concatMapStringsSep = sep: f: l: builtins.concatStringsSep sep (map f l);
}`;

const STDENV = `{ lib, fetchurl }:
let
  busybox = fetchurl { url = "http://tarballs.example.org/busybox"; sha256 = "0qh3lwlvkbd7kmi0c8xvb1bvi84lzzv7bwz6nanb4f8v2aigfkfh"; executable = true; };
  bootstrapTools = derivation {
    name = "bootstrap-tools"; system = "x86_64-linux"; builder = busybox;
    args = [ "ash" "-e" ./unpack-bootstrap-tools.sh ];
    tarball = fetchurl { url = "http://tarballs.example.org/bootstrap-tools.tar.xz"; hash = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="; };
  };
  makeStdenv = { name, shell, initialPath, preHook ? "", setupHooks ? [ ] }: rec {
    inherit shell initialPath;
    setup = derivation {
      inherit name shell preHook;
      system = "x86_64-linux";
      builder = shell;
      args = [ "-e" ./builder.sh ];
      setup = ./setup.sh;
      initialPath = initialPath;
      defaultNativeBuildInputs = setupHooks;
    };
    mkDerivation = { name ? "\${attrs.pname}-\${attrs.version}", outputs ? [ "out" ], buildInputs ? [ ], nativeBuildInputs ? [ ], propagatedBuildInputs ? [ ], passthru ? { }, meta ? { }, ... } @ attrs:
      let drv = derivation (removeAttrs attrs [ "passthru" "meta" "pname" "version" ] // {
        inherit name outputs;
        system = "x86_64-linux";
        builder = shell;
        args = [ "-e" ./default-builder.sh ];
        stdenv = setup;
        buildInputs = buildInputs;
        nativeBuildInputs = nativeBuildInputs ++ setupHooks;
        propagatedBuildInputs = propagatedBuildInputs;
      }); in drv // passthru // { inherit meta; overrideAttrs = f: mkDerivation (attrs // f attrs); };
  };
  stage0 = makeStdenv { name = "stdenv-stage0"; shell = "\${bootstrapTools}/bin/bash"; initialPath = [ bootstrapTools ]; };
  gnumake = stage0.mkDerivation { pname = "gnumake"; version = "4.3"; src = fetchurl { url = "http://x/make.tar.gz"; sha256 = "0${"1".repeat(51)}"; }; };
  stage1 = makeStdenv { name = "stdenv-stage1"; shell = "\${bootstrapTools}/bin/bash"; initialPath = [ bootstrapTools gnumake ];
    setupHooks = [ ./hooks/move-docs.sh ./hooks/strip.sh ]; preHook = "export NIX_ENFORCE_PURITY=1"; };
in stage1 // { inherit bootstrapTools stage0 gnumake; }
`;

/** pkgs/<name>/default.nix for a chain of packages with assorted features. */
function packageFile(i: number): string {
  const deps = i === 0 ? [] : [`p${i - 1}`, ...(i > 3 ? [`p${Math.floor(i / 3)}`] : [])];
  const args = ["stdenv", "fetchurl", "writeText", "lib", ...deps].join(", ");
  return `{ ${args}, enableDocs ? ${i % 2 === 0 ? "true" : "false"} }:
stdenv.mkDerivation rec {
  pname = "pkg-${i}";
  version = "1.${i}";
  src = ${i % 3 === 0 ? `builtins.path { path = ./src; name = "pkg-${i}-src"; filter = p: t: baseNameOf p != "ignored"; }` : `fetchurl { url = "http://x/pkg-${i}-\${version}.tar.gz"; sha256 = "0${String.fromCharCode(97 + (i % 20)).replace(/[eotu]/, "a").repeat(51)}"; }`};
  outputs = [ "out" ] ++ lib.optional enableDocs "doc" ++ ${i % 4 === 0 ? `[ "dev" ]` : "[ ]"};
  buildInputs = [ ${deps.join(" ")} ];
  propagatedBuildInputs = ${deps.length > 0 ? `[ ${deps[0]}.${i - 1 === 0 || (i - 1) % 4 !== 0 ? "out" : "dev"} ]` : "[ ]"};
  configureFlags = [ "--prefix=\${placeholder "out"}" ${i % 5 === 0 ? `"--with-config=\${writeText "pkg-${i}.conf" "option ${i}\\n"}"` : ""} ];
  patches = [ ./fix-${i % 2}.patch ];
  postInstall = ''
    echo "installed \${pname} ü" > $out/share/info
  '';
  passthru = { tests = { }; number = ${i}; };
  meta = { description = "Package number ${i}"; };
}
`;
}

const TOP = (count: number): string => `{ overlays ? [ ] }:
let
  lib = import ./lib.nix;
  fetchurl = import <nix/fetchurl.nix>;
  base = self: {
    inherit lib fetchurl;
    callPackage = lib.callPackageWith self;
    stdenv = import ./stdenv.nix { inherit lib fetchurl; };
    writeText = name: text: derivation { inherit name text; passAsFile = [ "text" ]; system = "x86_64-linux"; builder = self.stdenv.shell; args = [ "-c" "cp $textPath $out" ]; };
    runCommand = name: env: cmd: self.stdenv.mkDerivation ({ inherit name; buildCommand = cmd; } // env);
${Array.from({ length: count }, (_, i) => `    p${i} = self.callPackage ./pkgs/p${i} { };`).join("\n")}
    everything = self.runCommand "everything" { paths = [ ${Array.from({ length: count }, (_, i) => `self.p${i}`).join(" ")} ]; } "mkdir $out";
  };
  defaultOverlays = [
    (self: super: { p1 = super.p1.override { enableDocs = true; }; })
    (self: super: { p2 = super.p2.overrideAttrs (old: { postPatch = "sed -i s/a/b/ Makefile"; }); })
  ];
in lib.fix (builtins.foldl' (f: o: lib.extends o f) base (defaultOverlays ++ overlays))
`;

function writeFixture(dir: string, count: number): void {
  const w = (path: string, text: string): void => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  w("lib.nix", LIB);
  w("stdenv.nix", STDENV);
  w("default.nix", TOP(count));
  for (const f of ["unpack-bootstrap-tools.sh", "builder.sh", "setup.sh", "default-builder.sh", "hooks/move-docs.sh", "hooks/strip.sh"]) {
    w(f, `# ${f}\nset -e\necho "${f}"\n`);
  }
  for (let i = 0; i < count; i++) {
    w(`pkgs/p${i}/default.nix`, packageFile(i));
    w(`pkgs/p${i}/fix-${i % 2}.patch`, `--- a\n+++ b\n@@ ${i} @@\n`);
    w(`pkgs/p${i}/src/main.c`, `int main() { return ${i}; }\n`);
    w(`pkgs/p${i}/src/ignored`, "not copied\n");
  }
}

const skip = nixSkipReason();
const COUNT = 40;

test("nixpkgs-like package set: .drv paths and bytes equal CppNix's", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-pkgs-"));
  try {
    writeFixture(dir, COUNT);
    const args = [join(dir, "default.nix"), "-A", "everything", "-A", "stdenv.bootstrapTools", "-A", "p1", "-A", "p4.dev", "-A", "p0"];
    const expected = await theirs(args, dir);
    assert.equal(expected.exitCode, 0, expected.error);
    const got = oursWithDrvs(args, dir);
    assert.equal(got.error, "");
    assert.equal(got.stdout, expected.stdout);
    assert.ok(got.drvs.size > COUNT * 2, `made ${got.drvs.size} derivations`);
    assert.deepEqual(drvFileMismatches(got.drvs), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nixpkgs-like package set: drvPath/outPath of every package and output in --readonly-mode", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-pkgs-ro-"));
  try {
    writeFixture(dir, COUNT);
    const expr = `let pkgs = import ./default.nix { overlays = [ (self: super: { p3 = super.p3.override { enableDocs = false; }; }) ]; };
      names = builtins.genList (i: "p\${toString i}") ${COUNT};
    in map (n: let p = pkgs.\${n}; in [ p.drvPath p.outPath p.number (map (o: p.\${o}.outPath) p.outputs) p.meta.description ]) names
       ++ [ pkgs.stdenv.setup.drvPath pkgs.stdenv.gnumake.outPath pkgs.everything.drvPath (pkgs.p2.overrideAttrs (o: { x = 1; })).drvPath ]`;
    const args = ["--readonly-mode", "--eval", "--strict", "-E", expr];
    const expected = await theirsEval(args, dir);
    assert.equal(expected.exitCode, 0, expected.error);
    const got = oursEval(args, dir);
    assert.equal(got.error, "");
    assert.equal(got.stdout, expected.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
