import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { spawnSync } from "node:child_process";
import {
  StorePath,
  computeTextPath,
  hashBytes,
  isContentAddressedAs,
  isValidStorePathName,
  makeFixedOutputPath,
  makeOutputPath,
  makeSourcePath,
  makeTextPath,
  outputPathName,
  parseContentAddress,
  parseHash,
  parseStorePath,
  renderContentAddress,
  splitStorePath,
  storePathNameProblem,
  type HashAlgo,
} from "../../store/index.js";
import { nixSkipReason, runNix } from "../helpers/nix.js";
import { SeededRandom } from "../helpers/random.js";

const skip = nixSkipReason();
const ALGOS: HashAlgo[] = ["md5", "sha1", "sha256", "sha512"];
const NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-._?=";
const HASH = "0mdqa9w1p6cmli6976v4wi0sw9r4p5pr";

/** A Nix string literal for arbitrary text. */
function nixString(s: string): string {
  return `"${s.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** Evaluates `expr` (a list) in CppNix without touching the store and returns the JSON. */
function nixEvalJson(expr: string, readonly = true): unknown {
  const args = ["--eval", "--strict", "--json", ...(readonly ? ["--readonly-mode"] : []), "-E", expr];
  return JSON.parse(runNix("nix-instantiate", args).toString());
}

function text(buf: Buffer): string {
  return buf.toString().trim();
}

function randomName(rng: SeededRandom): string {
  return rng.string(NAME_CHARS, rng.int(1, rng.next() < 0.1 ? 211 : 40));
}

// ---- parsing and validation ----

test("parseStorePath splits hash part and name, canonicalising the path", () => {
  const p = parseStorePath(`/nix/store//./${HASH}-hello-2.12/`);
  assert.equal(p.hashPart, HASH);
  assert.equal(p.name, "hello-2.12");
  assert.equal(p.render(), `/nix/store/${HASH}-hello-2.12`);
  assert.equal(p.render("/tmp/store"), `/tmp/store/${HASH}-hello-2.12`);
  assert.equal(parseStorePath(`/nix/store/x/../${HASH}-a`).name, "a");
  assert.equal(parseStorePath(`/tmp/s/${HASH}-a`, "/tmp/s").render("/tmp/s"), `/tmp/s/${HASH}-a`);
  assert.ok(StorePath.fromBaseName(`${HASH}-x.drv`).isDerivation());
  assert.ok(!StorePath.fromBaseName(`${HASH}-x`).isDerivation());
});

test("parseStorePath errors name the path and what is wrong", () => {
  assert.throws(() => parseStorePath(`/nix/store/${HASH}-a/bin`), /path '\/nix\/store\/.*-a\/bin' is not in the Nix store/);
  assert.throws(() => parseStorePath(`/nix/other/${HASH}-a`), /is not in the Nix store/);
  assert.throws(() => parseStorePath(`nix/store/${HASH}-a`), /not an absolute path/);
  assert.throws(() => parseStorePath("/nix/store/abc-a"), /'abc-a' is too short/);
  assert.throws(() => parseStorePath(`/nix/store/${HASH.replace("0", "e")}-a`), /illegal base-32 character 'e'/);
  assert.throws(() => parseStorePath(`/nix/store/${HASH}-`), new RegExp(`store path '${HASH}-' has an empty name`));
  assert.throws(() => parseStorePath(`/nix/store/${HASH}-a b`), /contains illegal character ' '/);
  assert.throws(() => parseStorePath(`/nix/store/${HASH}-${"x".repeat(212)}`), /longer than 211/);
  assert.throws(() => parseStorePath(`/nix/store/${HASH}xa`), /missing the '-'/);
  assert.throws(() => new StorePath("short", "a"), /invalid hash part/);
});

test("splitStorePath returns the store path and the rest", () => {
  const { storePath, rest } = splitStorePath(`/nix/store/${HASH}-bash/bin/sh`);
  assert.equal(storePath.name, "bash");
  assert.equal(rest, "/bin/sh");
  assert.equal(splitStorePath(`/nix/store/${HASH}-bash`).rest, "");
  assert.throws(() => splitStorePath("/usr/bin/sh"), /'\/usr\/bin\/sh' is not in the Nix store/);
  assert.throws(() => splitStorePath("/nix/store"), /not in the Nix store/);
});

test("store path parsing agrees with nix-store on accepted and rejected paths", { skip }, () => {
  const rng = new SeededRandom(7);
  const cases = [
    `/nix/store/${HASH}-.`,
    `/nix/store/${HASH}-..`,
    `/nix/store/${HASH}-.foo`,
    `/nix/store/${HASH}-${"y".repeat(211)}`,
    `/nix/store/${HASH}-${"y".repeat(212)}`,
    `/nix/store/${HASH}-`,
    `/nix/store/${HASH.slice(1)}-a`,
    `/nix/store/${HASH.toUpperCase()}-a`,
    `/nix/store/${HASH.replace("0", "t")}-a`,
    `/nix/store//${HASH}-a/.`,
    `/nix/store/${HASH}-a/..`,
    `/nix/store/${HASH}-a@b`,
    `/nix/store/${HASH}-a,b`,
    `/nix/store/${HASH}-a~`,
    `/nix/store/${HASH}-a:b`,
    `/nix/${HASH}-a`,
  ];
  for (let i = 0; i < 10; i++) cases.push(`/nix/store/${HASH}-${randomName(rng)}`);
  for (const path of cases) {
    const r = spawnSync("nix-store", ["--query", "--hash", path], { encoding: "utf8" });
    // "is not valid" means CppNix parsed the path and only failed to find it.
    const cppAccepts = r.status === 0 || r.stderr.includes("is not valid");
    let oursAccepts = true;
    try {
      parseStorePath(path);
    } catch (e) {
      oursAccepts = false;
      // Same wording as CppNix for the checks both make.
      const cppMessage = r.stderr.trim().replace(/^error: /, "");
      if (/^store path|is too short/.test(cppMessage)) assert.equal((e as Error).message, cppMessage, path);
    }
    assert.equal(oursAccepts, cppAccepts, `${path}: ours ${oursAccepts}, CppNix ${cppAccepts} (${r.stderr.trim()})`);
  }
});

test("output path names", () => {
  assert.equal(outputPathName("hello-2.12", "out"), "hello-2.12");
  assert.equal(outputPathName("hello-2.12", "dev"), "hello-2.12-dev");
});

// ---- text paths ----

test("text paths (toFile) match CppNix for seeded random names and contents", { skip }, () => {
  const rng = new SeededRandom(1);
  const cases: { name: string; contents: string }[] = [];
  for (let i = 0; i < 60; i++) {
    const alphabet = "abc xyz\n\t\"\\${}'0123456789é";
    cases.push({ name: randomName(rng), contents: rng.string(alphabet, rng.int(0, 200)) });
  }
  cases.push({ name: ".", contents: "" }, { name: "..", contents: "x" }, { name: ".foo", contents: "y" });
  const expr = `[ ${cases.map((c) => `(builtins.toFile ${nixString(c.name)} ${nixString(c.contents)})`).join(" ")} ]`;
  const expected = nixEvalJson(expr) as string[];
  cases.forEach((c, i) => {
    assert.equal(computeTextPath(c.name, c.contents).render(), expected[i], JSON.stringify(c));
  });
});

test("text paths with references match CppNix", { skip }, () => {
  const rng = new SeededRandom(2);
  const leaves = Array.from({ length: 5 }, (_, i) => ({ name: `leaf${i}-${randomName(rng)}`.slice(0, 60), contents: `leaf ${i}` }));
  const leafPaths = leaves.map((l) => computeTextPath(l.name, l.contents));
  const combos = [[0], [1, 0], [4, 2, 3], [0, 1, 2, 3, 4], [3, 3]];
  const bind = leaves.map((l, i) => `l${i} = builtins.toFile ${nixString(l.name)} ${nixString(l.contents)};`).join(" ");
  const expr = `let ${bind} in [ ${combos
    .map((c, k) => `(builtins.toFile "top${k}" "refs: ${c.map((i) => `\${l${i}}`).join(" ")}")`)
    .join(" ")} ]`;
  const expected = nixEvalJson(expr) as string[];
  combos.forEach((combo, k) => {
    const refs = combo.map((i) => leafPaths[i]!);
    const contents = `refs: ${refs.map((r) => r.render()).join(" ")}`;
    assert.equal(computeTextPath(`top${k}`, contents, refs).render(), expected[k], `combo ${combo}`);
  });
  assert.throws(() => makeTextPath("x", hashBytes("sha1", "x")), /needs a sha256/);
});

test("invalid names are rejected exactly where CppNix rejects them", { skip }, () => {
  const rng = new SeededRandom(3);
  const names = ["", "a b", "a/b", "a@b", "a!b", "a,b", "a:b", "a~b", "a%b", "a'b", "a*b", "é", "a\tb", "x".repeat(212)];
  names.push("x".repeat(211), ".", "..", ".hidden", "-", "?=+", "a.drv");
  for (const bad of " /@!,:;~%'*()[]{}<>|&^#`") names.push(randomName(rng).slice(0, 20) + bad + randomName(rng).slice(0, 5));
  for (const name of names) {
    const r = spawnSync("nix-instantiate", ["--eval", "--readonly-mode", "-E", `builtins.toFile ${nixString(name)} "x"`], {
      encoding: "utf8",
    });
    const cppAccepts = r.status === 0;
    assert.equal(isValidStorePathName(name), cppAccepts, `${JSON.stringify(name)}: ${r.stderr}`);
    if (cppAccepts) {
      assert.equal(computeTextPath(name, "x").render(), JSON.parse(r.stdout));
    } else {
      let message = "";
      try {
        computeTextPath(name, "x");
      } catch (e) {
        message = (e as Error).message;
      }
      // CppNix reports the offending byte, not the character, for non-ASCII names.
      if (/^[\x20-\x7e]*$/.test(name)) assert.equal(message, r.stderr.trim().replace(/^error: /, ""), JSON.stringify(name));
      else assert.ok(storePathNameProblem(name), name);
    }
  }
});

// ---- source and fixed-output paths ----

/** Writes a seeded random tree (files, executables, symlinks, subdirectories) under `dir`. */
function writeTree(rng: SeededRandom, dir: string, depth: number): void {
  mkdirSync(dir, { recursive: true });
  const entries = rng.int(0, 4);
  for (let i = 0; i < entries; i++) {
    const name = `${rng.string("abcXYZ019._-", rng.int(1, 8))}${i}`;
    const kind = rng.int(0, depth > 0 ? 3 : 2);
    const path = join(dir, name);
    if (kind === 0) writeFileSync(path, rng.bytes(rng.int(0, 300)));
    else if (kind === 1) {
      writeFileSync(path, rng.bytes(rng.int(0, 50)));
      chmodSync(path, 0o755);
    } else if (kind === 2) symlinkSync(rng.string("abc/..", rng.int(1, 20)), path);
    else writeTree(rng, path, depth - 1);
  }
}

function narOf(path: string): Buffer {
  // Until store/nar/ has a writer, CppNix serialises the NAR for us.
  return runNix("nix-store", ["--dump", path]);
}

test("source paths match nix-store --add and builtins.path", { skip }, () => {
  const rng = new SeededRandom(4);
  const root = mkdtempSync(join(tmpdir(), "lading-srcpath-"));
  try {
    const dirs: string[] = [];
    for (let i = 0; i < 8; i++) {
      const dir = join(root, `tree${i}-${rng.string(NAME_CHARS.replace(".", ""), 6)}`);
      writeTree(rng, dir, 2);
      dirs.push(dir);
    }
    const file = join(root, "plain.txt");
    writeFileSync(file, "a single file\n");
    dirs.push(file);
    const names = dirs.map(() => randomName(rng));
    const expr = `[ ${dirs.map((d, i) => `(builtins.path { path = /. + ${nixString(d)}; name = ${nixString(names[i]!)}; })`).join(" ")} ]`;
    const viaBuiltinsPath = nixEvalJson(expr) as string[];
    dirs.forEach((dir, i) => {
      const narHash = hashBytes("sha256", narOf(dir));
      const added = text(runNix("nix-store", ["--add", dir]));
      assert.equal(makeSourcePath(basename(dir), narHash).render(), added, dir);
      assert.equal(makeSourcePath(names[i]!, narHash).render(), viaBuiltinsPath[i], names[i]);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("fixed-output paths match nix-store --add-fixed for every algorithm and both modes", { skip }, () => {
  const rng = new SeededRandom(5);
  const root = mkdtempSync(join(tmpdir(), "lading-fixed-"));
  try {
    for (const algo of ALGOS) {
      const file = join(root, `file-${algo}`);
      writeFileSync(file, rng.bytes(rng.int(0, 500)));
      const flat = text(runNix("nix-store", ["--add-fixed", algo, file]));
      assert.equal(makeFixedOutputPath(basename(file), "flat", hashBytes(algo, readFileSync(file))).render(), flat, algo);

      const dir = join(root, `dir-${algo}`);
      writeTree(rng, dir, 2);
      const recursive = text(runNix("nix-store", ["--add-fixed", "--recursive", algo, dir]));
      assert.equal(makeFixedOutputPath(basename(dir), "recursive", hashBytes(algo, narOf(dir))).render(), recursive, algo);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("fixed-output derivation paths match CppNix for every algorithm, mode and hash form", { skip }, () => {
  const rng = new SeededRandom(6);
  const cases: { name: string; algo: HashAlgo; mode: "flat" | "recursive"; hashText: string }[] = [];
  for (const algo of ALGOS) {
    for (const mode of ["flat", "recursive"] as const) {
      for (const form of ["base16", "base32", "sri"] as const) {
        const hash = hashBytes(algo, rng.bytes(20));
        cases.push({ name: randomName(rng).slice(0, 50), algo, mode, hashText: hash.format(form, form === "sri") });
      }
    }
  }
  const drvs = cases.map(
    (c) =>
      `(derivation { name = ${nixString(c.name)}; system = "x86_64-linux"; builder = "/bin/sh"; ` +
      `outputHash = "${c.hashText}"; outputHashAlgo = "${c.algo}"; outputHashMode = "${c.mode}"; }).outPath`,
  );
  const expected = nixEvalJson(`[ ${drvs.join(" ")} ]`) as string[];
  cases.forEach((c, i) => {
    const hash = parseHash(c.hashText, c.algo);
    assert.equal(makeFixedOutputPath(c.name, c.mode, hash).render(), expected[i], JSON.stringify(c));
  });
  assert.throws(
    () => makeFixedOutputPath("x", "flat", hashBytes("sha256", "x"), { references: [StorePath.fromBaseName(`${HASH}-a`)] }),
    /cannot have references/,
  );
});

// ---- content-addressed paths with references (nix store make-content-addressed) ----

test("source paths with references and self-references match make-content-addressed", { skip }, () => {
  const env = { NIX_CONFIG: "experimental-features = nix-command\nsubstituters =" };
  const runEnv = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const stamp = `${process.pid}-${Date.now()}`;
  // A text path referring to another, and a built output that refers to itself.
  const withRef = JSON.parse(
    runEnv("nix-instantiate", ["--eval", "--read-write-mode", "--json", "-E", `let a = builtins.toFile "a" "${stamp}"; in builtins.toFile "b" "r \${a}"`]),
  ) as string;
  const drv = runEnv("nix-instantiate", [
    "-E",
    `derivation { name = "self-${stamp.replace(/[^0-9-]/g, "")}"; system = builtins.currentSystem; builder = "/bin/sh"; args = ["-c" "echo $out > $out"]; }`,
  ]).split("\n").pop()!;
  const built = runEnv("nix-store", ["--realise", drv]).split("\n").pop()!;
  const rewrites = JSON.parse(runEnv("nix", ["store", "make-content-addressed", "--json", withRef, built])) as {
    rewrites: Record<string, string>;
  };
  const newPaths = Object.values(rewrites.rewrites);
  assert.ok(newPaths.length >= 2);
  const infos = JSON.parse(runEnv("nix", ["path-info", "--json", ...newPaths])) as {
    path: string;
    references: string[];
    ca: string;
  }[];
  let sawSelf = false;
  let sawOther = false;
  for (const info of infos) {
    const path = parseStorePath(info.path);
    const refs = info.references.map((r) => parseStorePath(r));
    const ca = parseContentAddress(info.ca);
    assert.equal(renderContentAddress(ca), info.ca);
    assert.ok(isContentAddressedAs(path, ca, refs), info.path);
    sawSelf ||= refs.some((r) => r.equals(path));
    sawOther ||= refs.some((r) => !r.equals(path));
    // Dropping a reference changes the path, so references really are part of it.
    if (refs.length > 0) assert.ok(!isContentAddressedAs(path, ca, refs.slice(1)), info.path);
  }
  assert.ok(sawSelf && sawOther, "covered a self-reference and a reference to another path");
});

// ---- derivation outputs ----

test("derivation output paths follow output:<name> over the blanked .drv", { skip }, () => {
  const stamp = `${process.pid}${Date.now()}`;
  const cases = [
    { name: `plain-${stamp}`, outputs: ["out"] },
    { name: `multi-${stamp}`, outputs: ["out", "dev", "lib"] },
    { name: `odd.name?=+${stamp}`, outputs: ["bin", "out"] },
  ];
  for (const c of cases) {
    const expr =
      `derivation { name = ${nixString(c.name)}; system = "x86_64-linux"; builder = "/bin/sh"; ` +
      `args = [ "-c" "true" ]; outputs = [ ${c.outputs.map((o) => `"${o}"`).join(" ")} ]; }`;
    // With a first output other than out, nix-instantiate prints `<drv>!<output>`.
    const drvPath = text(runNix("nix-instantiate", ["-E", expr])).split("\n").pop()!.replace(/!.*$/, "");
    const drvText = readFileSync(drvPath, "utf8");
    const shown = JSON.parse(runNix("nix", ["show-derivation", drvPath]).toString()) as Record<
      string,
      { outputs: Record<string, { path: string }> }
    >;
    const outputs = shown[drvPath]!.outputs;
    let blanked = drvText;
    for (const { path } of Object.values(outputs)) blanked = blanked.split(`"${path}"`).join('""');
    const drvHash = hashBytes("sha256", blanked);
    for (const [outputName, { path }] of Object.entries(outputs)) {
      assert.equal(makeOutputPath(outputName, drvHash, c.name).render(), path, `${c.name}!${outputName}`);
    }
    // The .drv itself is a text path; with no inputs it has no references.
    assert.equal(computeTextPath(`${c.name}.drv`, drvText).render(), drvPath);
  }
});

test("another store directory changes every kind of path as in CppNix", { skip }, () => {
  const storeDir = "/tmp/lading-other/store";
  const expr =
    `let a = builtins.toFile "a" "x"; in [ a (builtins.toFile "b" "\${a}") ` +
    `(derivation { name = "fo"; system = "x"; builder = "x"; outputHash = "${hashBytes("sha1", "f").toBase16()}"; outputHashAlgo = "sha1"; }).outPath ` +
    `(derivation { name = "src"; system = "x"; builder = "x"; outputHashMode = "recursive"; outputHash = "${hashBytes("sha256", "s").toBase16()}"; outputHashAlgo = "sha256"; }).outPath ]`;
  const expected = JSON.parse(
    runNix("nix-instantiate", ["--eval", "--strict", "--json", "--readonly-mode", "--store", `dummy://?store=${storeDir}`, "-E", expr]).toString(),
  ) as string[];
  const a = computeTextPath("a", "x", [], storeDir);
  const ours = [
    a,
    computeTextPath("b", a.render(storeDir), [a], storeDir),
    makeFixedOutputPath("fo", "flat", hashBytes("sha1", "f"), {}, storeDir),
    makeSourcePath("src", hashBytes("sha256", "s"), {}, storeDir),
  ].map((p) => p.render(storeDir));
  assert.deepEqual(ours, expected);
  assert.notEqual(computeTextPath("a", "x").hashPart, a.hashPart);
  assert.ok(parseStorePath(expected[0]!, storeDir).equals(a));
  assert.throws(() => parseStorePath(expected[0]!), /is not in the Nix store/);
});
