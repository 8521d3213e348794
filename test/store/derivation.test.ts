import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DerivationHasher,
  derivationStorePath,
  fillOutputPaths,
  parseDerivation,
  renderDerivation,
  type Derivation,
} from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";

// Derivations CppNix instantiates; each exercises a different rule of the .drv format.
const CORPUS = String.raw`
let
  sys = "x86_64-linux";
  mk = attrs: derivation ({ system = sys; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; } // attrs);
  base = mk { name = "base"; };
  multi = mk { name = "multi"; outputs = [ "out" "dev" "lib" ]; };
  odd = mk {
    name = "odd-chars";
    env1 = "quote\" backslash\\ newline\n tab\t cr\r dollar$ unicode ☃ λ";
    "weird key" = "x";
    empty = "";
    list = [ "a" "b c" 1 true null ];
  };
  fod = algo: mode: hash: mk { name = "fod-" + algo + "-" + mode; outputHashAlgo = algo; outputHashMode = mode; outputHash = hash; };
  fods = [
    (fod "sha256" "flat" "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73")
    (fod "sha256" "recursive" "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s")
    (fod "sha1" "flat" "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    (fod "sha1" "recursive" "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    (fod "md5" "flat" "d41d8cd98f00b204e9800998ecf8427e")
    (fod "sha512" "flat" "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
  ];
  # Two fixed outputs of the same content hash alike: their output sets merge.
  twin1 = mk { name = "twin"; outputHashAlgo = "sha256"; outputHash = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; marker = "1"; };
  twin2 = mk { name = "twin"; outputHashAlgo = "sha256"; outputHash = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; marker = "2"; };
  src = builtins.toFile "src.txt" "some source";
  user = mk {
    name = "user";
    deps = [ base multi.dev multi.lib odd twin1 twin2 ] ++ fods;
    inherit src;
    script = "cat \${base}/x \${multi.out}";
  };
  chain = builtins.foldl' (prev: i: mk { name = "chain-" + toString i; inherit prev; }) base (builtins.genList (i: i) 30);
  structured = mk { name = "structured"; __structuredAttrs = true; nested = { a = [ 1 2 { b = "c"; } ]; f = 1.5; }; deps = [ base ]; };
in { inherit base multi odd user chain structured; fod0 = builtins.elemAt fods 0; }
`;

function readDrv(path: string): string {
  return readFileSync(path, "latin1");
}

function blankOutputs(drv: Derivation): Derivation {
  const copy: Derivation = {
    ...drv,
    outputs: new Map([...drv.outputs].map(([k, o]) => [k, { ...o, path: "" }])),
    env: new Map(drv.env),
  };
  for (const name of drv.outputs.keys()) if (copy.env.has(name)) copy.env.set(name, "");
  return copy;
}

test("derivations render, hash and name themselves as CppNix does", { skip: nixSkipReason() }, () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-drv-"));
  const file = join(dir, "corpus.nix");
  writeFileSync(file, CORPUS);
  const roots = runNix("nix-instantiate", [file]).toString().trim().split("\n");
  const closure = runNix("nix-store", ["--query", "--requisites", ...roots])
    .toString()
    .trim()
    .split("\n")
    .filter((p) => p.endsWith(".drv"));
  assert.ok(closure.length >= 40, `expected a large closure, got ${closure.length}`);
  const hasher = new DerivationHasher((p) => parseDerivation(readDrv(p)));
  for (const drvPath of closure) {
    const text = readDrv(drvPath);
    const drv = parseDerivation(text);
    assert.equal(renderDerivation(drv), text, `render(parse) of ${drvPath}`);
    const name = drvPath.slice("/nix/store/".length + 33, -".drv".length);
    const blank = blankOutputs(drv);
    fillOutputPaths(blank, name, hasher);
    assert.equal(renderDerivation(blank), text, `output paths of ${drvPath}`);
    assert.equal(derivationStorePath(drv, name).render(), drvPath);
  }
});

test("the .drv reader rejects malformed input", () => {
  const good = 'Derive([("out","/nix/store/x","","")],[],[],"sys","/bin/sh",[],[("out","/nix/store/x")])';
  assert.doesNotThrow(() => parseDerivation(good));
  const bad = [
    good.slice(0, -1),
    good + " ",
    good.replace("Derive(", "Derive ("),
    good.replace('[("out","/nix/store/x")]', '[("out","/nix/store/x"),("a","b")]'),
    good.replace('"sys"', '"sys'),
    'Derive([("out","","",""),("out","","","")],[],[],"s","b",[],[])',
  ];
  for (const text of bad) assert.throws(() => parseDerivation(text), /invalid derivation/, text);
});
