import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  PublicKey,
  SecretKey,
  StorePath,
  countNarInfoSignatures,
  hashBytes,
  narInfoFingerprint,
  parseCacheInfo,
  parseHash,
  parseNarInfo,
  parseStorePath,
  publicKeyMap,
  renderCacheInfo,
  renderContentAddress,
  renderNarInfo,
  signNarInfo,
  verifySignature,
  Hash,
  type NarInfo,
} from "../../store/index.js";
import { nixSkipReason } from "../helpers/nix.js";
import { SeededRandom } from "../helpers/random.js";

const skip = nixSkipReason();
const NIX_ENV = { ...process.env, NIX_CONFIG: "experimental-features = nix-command\nsubstituters =" };

function nix(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: NIX_ENV });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** `nix store verify` of one path in a file:// cache; true when CppNix trusts it. */
function cppNixTrusts(cacheDir: string, trustedKey: string, path: string): boolean {
  const r = spawnSync(
    "nix",
    ["store", "verify", "--no-contents", "--store", `file://${cacheDir}`, "--trusted-public-keys", trustedKey, path],
    { encoding: "utf8", env: NIX_ENV },
  );
  return r.status === 0;
}

interface Cache {
  root: string;
  dir: string;
  secretKeyText: string;
  publicKeyText: string;
  paths: string[];
  /** Input-addressed paths (CppNix trusts content-addressed ones without signatures). */
  inputAddressed: string[];
}

let cache: Cache | undefined;

// One real binary cache written by CppNix, shared by the tests below.
before(() => {
  if (skip) return;
  const root = mkdtempSync(join(tmpdir(), "lading-narinfo-"));
  const rng = new SeededRandom(Date.now() & 0xffff);
  const stamp = `${process.pid}-${Date.now()}`;
  nix("nix-store", ["--generate-binary-cache-key", "lading-test-1", join(root, "sk"), join(root, "pk")]);
  const paths: string[] = [];
  for (let i = 0; i < 4; i++) {
    const src = join(root, `src${i}`);
    mkdirSync(src);
    writeFileSync(join(src, "data"), `${stamp} ${i} ${rng.string("abcdef\n", 200)}`);
    writeFileSync(join(src, "exe"), rng.bytes(rng.int(0, 4000)), { mode: 0o755 });
    paths.push(nix("nix-store", ["--add", src]));
  }
  // A text path with references, and a built, input-addressed, self-referencing output with a deriver.
  paths.push(
    JSON.parse(
      nix("nix-instantiate", [
        "--eval",
        "--read-write-mode",
        "--json",
        "-E",
        `let a = builtins.toFile "a-${stamp}" "x"; b = builtins.toFile "b" "\${a}"; in builtins.toFile "c" "\${a} \${b}"`,
      ]),
    ) as string,
  );
  const drv = nix("nix-instantiate", [
    "-E",
    `derivation { name = "narinfo-${stamp}"; system = builtins.currentSystem; builder = "/bin/sh"; ` +
      `outputs = [ "out" "dev" ]; args = [ "-c" "echo $out > $out; echo $out $dev > $dev" ]; }`,
  ]);
  const inputAddressed = nix("nix-store", ["--realise", drv]).split("\n");
  assert.equal(inputAddressed.length, 2);
  paths.push(...inputAddressed);
  const dir = join(root, "cache");
  nix("nix", ["copy", "--to", `file://${dir}?secret-key=${join(root, "sk")}`, ...paths]);
  cache = {
    root,
    dir,
    secretKeyText: readFileSync(join(root, "sk"), "utf8"),
    publicKeyText: readFileSync(join(root, "pk"), "utf8"),
    paths,
    inputAddressed,
  };
});

after(() => {
  if (cache) rmSync(cache.root, { recursive: true, force: true });
});

function narInfoFiles(dir: string): { file: string; text: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".narinfo"))
    .map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") }));
}

test("every narinfo CppNix wrote parses, matches the store's metadata and round-trips", { skip }, () => {
  const { dir } = cache!;
  const files = narInfoFiles(dir);
  assert.ok(files.length >= cache!.paths.length, "nix copy wrote a narinfo per path");
  let sawDeriver = false;
  let sawCa = false;
  let sawReferences = false;
  for (const { file, text } of files) {
    const info = parseNarInfo(text, { whence: file });
    assert.equal(`${info.storePath.hashPart}.narinfo`, file);
    const path = info.storePath.render();
    assert.ok(info.narHash.equals(parseHash(nix("nix-store", ["--query", "--hash", path]))), path);
    const [meta] = JSON.parse(nix("nix", ["path-info", "--json", path])) as {
      narSize: number;
      references: string[];
      deriver?: string;
      ca?: string;
    }[];
    assert.equal(info.narSize, meta!.narSize);
    assert.deepEqual(
      info.references.map((r) => r.render()),
      [...meta!.references].sort(),
    );
    assert.equal(info.deriver?.render(), meta!.deriver);
    assert.equal(info.ca ? renderContentAddress(info.ca) : undefined, meta!.ca);
    const nar = readFileSync(join(dir, info.url));
    assert.equal(info.fileSize, nar.length);
    assert.ok(info.fileHash!.equals(hashBytes("sha256", nar)));
    assert.equal(info.compression, "xz");
    assert.equal(renderNarInfo(info), text, file);
    sawDeriver ||= info.deriver !== undefined;
    sawCa ||= info.ca !== undefined;
    sawReferences ||= info.references.length > 1;
  }
  assert.ok(sawDeriver && sawCa && sawReferences, "covered Deriver, CA and several References");
});

test("nix-cache-info written by CppNix parses", { skip }, () => {
  const text = readFileSync(join(cache!.dir, "nix-cache-info"), "utf8");
  const info = parseCacheInfo(text);
  assert.equal(info.storeDir, "/nix/store");
  assert.equal(renderCacheInfo(info), text);
});

test("CppNix's signatures verify with its key and with nothing else", { skip }, () => {
  const trusted = publicKeyMap([cache!.publicKeyText]);
  const sameNameOtherKey = publicKeyMap([SecretKey.generate("lading-test-1").publicKey]);
  const otherName = publicKeyMap([new PublicKey("someone-else", PublicKey.parse(cache!.publicKeyText).bytes)]);
  for (const { file, text } of narInfoFiles(cache!.dir)) {
    const info = parseNarInfo(text, { whence: file });
    assert.equal(info.sigs.length, 1, file);
    assert.equal(countNarInfoSignatures(info, trusted), 1, file);
    assert.equal(countNarInfoSignatures(info, sameNameOtherKey), 0, file);
    assert.equal(countNarInfoSignatures(info, otherName), 0, file);
    assert.equal(countNarInfoSignatures(info, new Map()), 0, file);
  }
});

test("tampering with any fingerprint field breaks the signature; other fields do not", { skip }, () => {
  const trusted = publicKeyMap([cache!.publicKeyText]);
  const someRef = StorePath.fromBaseName("0mdqa9w1p6cmli6976v4wi0sw9r4p5pr-other");
  for (const { text } of narInfoFiles(cache!.dir)) {
    const info = parseNarInfo(text);
    const flipped = Buffer.from(info.narHash.bytes);
    flipped[0] = flipped[0]! ^ 1;
    const tampered: NarInfo[] = [
      { ...info, storePath: new StorePath(info.storePath.hashPart, `${info.storePath.name}x`) },
      { ...info, storePath: new StorePath(someRef.hashPart, info.storePath.name) },
      { ...info, narHash: new Hash("sha256", flipped) },
      { ...info, narSize: info.narSize + 1 },
      { ...info, references: [...info.references, someRef] },
    ];
    if (info.references.length > 0) tampered.push({ ...info, references: info.references.slice(1) });
    for (const t of tampered) {
      assert.equal(countNarInfoSignatures(t, trusted), 0, narInfoFingerprint(t));
      // The tampered text, re-parsed, fails too.
      assert.equal(countNarInfoSignatures(parseNarInfo(renderNarInfo(t)), trusted), 0);
    }
    const sig = info.sigs[0]!;
    const badSig = sig.slice(0, -6) + (sig.at(-6) === "A" ? "B" : "A") + sig.slice(-5);
    assert.equal(countNarInfoSignatures({ ...info, sigs: [badSig] }, trusted), 0);
    const harmless: NarInfo = { ...info, url: "nar/elsewhere.nar", compression: "none", deriver: undefined, system: "x" };
    assert.equal(countNarInfoSignatures(harmless, trusted), 1);
    // The NarHash form in the file does not matter: the fingerprint uses nixbase32.
    const base16 = text.replace(/^NarHash: .*$/m, `NarHash: ${info.narHash.format("base16")}`);
    assert.equal(countNarInfoSignatures(parseNarInfo(base16), trusted), 1);
  }
});

test("our keys and signatures are CppNix's: same public key, same (deterministic) signatures", { skip }, () => {
  const secret = SecretKey.parse(cache!.secretKeyText);
  assert.equal(secret.publicKey.toString(), cache!.publicKeyText.trim());
  assert.equal(secret.toString(), cache!.secretKeyText.trim());
  for (const { text } of narInfoFiles(cache!.dir)) {
    const info = parseNarInfo(text);
    const ours = signNarInfo({ ...info, sigs: [] }, secret);
    assert.deepEqual(ours.sigs, info.sigs);
  }
});

test("CppNix trusts narinfos we sign, and keys we generate work in CppNix", { skip }, () => {
  const ours = SecretKey.generate("lading-ours-1");
  const copy = join(cache!.root, `resigned-${Date.now()}`);
  cpSync(cache!.dir, copy, { recursive: true });
  for (const { file, text } of narInfoFiles(copy)) {
    const info = signNarInfo({ ...parseNarInfo(text), sigs: [] }, ours);
    writeFileSync(join(copy, file), renderNarInfo(info));
  }
  const stranger = SecretKey.generate("lading-ours-1").publicKey.toString();
  for (const path of cache!.inputAddressed) {
    assert.ok(cppNixTrusts(copy, ours.publicKey.toString(), path), path);
    assert.ok(!cppNixTrusts(copy, stranger, path), path);
  }

  // A secret key file we generate signs for CppNix, and we verify what it wrote.
  const keyFile = join(cache!.root, "our-sk");
  writeFileSync(keyFile, ours.toString());
  const dir = join(cache!.root, `ours-${Date.now()}`);
  nix("nix", ["copy", "--to", `file://${dir}?secret-key=${keyFile}`, ...cache!.inputAddressed]);
  const trusted = publicKeyMap([ours.publicKey]);
  const files = narInfoFiles(dir);
  assert.ok(files.length >= cache!.inputAddressed.length);
  for (const { text } of files) assert.equal(countNarInfoSignatures(parseNarInfo(text), trusted), 1);
});

test("keys and signatures: formats and rejection", () => {
  const key = SecretKey.generate("cache.example.org-1");
  const text = key.toString();
  assert.match(text, /^cache\.example\.org-1:[A-Za-z0-9+/]{86}==$/);
  assert.match(key.publicKey.toString(), /^cache\.example\.org-1:[A-Za-z0-9+/]{43}=$/);
  assert.deepEqual(SecretKey.parse(`${text}\n`).bytes, key.bytes);
  const sig = key.sign("hello");
  assert.match(sig, /^cache\.example\.org-1:[A-Za-z0-9+/]{86}==$/);
  const trusted = publicKeyMap([key.publicKey.toString()]);
  assert.ok(verifySignature("hello", sig, trusted));
  assert.ok(!verifySignature("hello!", sig, trusted));
  assert.ok(!verifySignature("hello", sig.replace("cache.example.org-1", "other"), trusted));
  assert.ok(!verifySignature("hello", "cache.example.org-1:AAAA", trusted));
  assert.ok(!verifySignature("hello", "no-colon", trusted));
  assert.throws(() => SecretKey.parse("nocolon"), /secret key is corrupt/);
  assert.throws(() => SecretKey.parse(":abcd"), /secret key is corrupt/);
  assert.throws(() => PublicKey.parse("k:AAAA"), /public key 'k' is not valid: 3 bytes/);
  const mismatched = Buffer.from(key.bytes);
  mismatched[40] = mismatched[40]! ^ 1;
  assert.throws(() => new SecretKey("k", mismatched), /public half does not match/);
  // cache.nixos.org's published key parses.
  assert.equal(PublicKey.parse("cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=").name, "cache.nixos.org-1");
});

const SAMPLE = [
  "StorePath: /nix/store/0mdqa9w1p6cmli6976v4wi0sw9r4p5pr-hello",
  "URL: nar/x.nar.xz",
  "Compression: xz",
  "NarHash: sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h",
  "NarSize: 120",
  "References: ",
  "",
].join("\n");

test("narinfo parsing: defaults, unknown fields and errors with line numbers", () => {
  const withExtras = SAMPLE.replace("Compression: xz\n", "") + "Future: thing\nDeriver: unknown-deriver\nSig: a:b\nSig: a:b\n";
  const info = parseNarInfo(withExtras);
  assert.equal(info.compression, "bzip2");
  assert.equal(info.deriver, undefined);
  assert.deepEqual(info.sigs, ["a:b"]);
  assert.equal(info.fileHash, undefined);
  assert.throws(() => parseNarInfo(SAMPLE.replace(/^NarSize.*\n/m, ""), { whence: "x.narinfo" }), /'x.narinfo' is corrupt: missing or zero NarSize/);
  assert.throws(() => parseNarInfo(SAMPLE.replace(/^URL.*\n/m, "")), /missing URL/);
  assert.throws(() => parseNarInfo(SAMPLE.replace(/^StorePath.*\n/m, "")), /missing StorePath/);
  assert.throws(() => parseNarInfo(SAMPLE.replace(/^NarHash.*\n/m, "")), /missing NarHash/);
  assert.throws(() => parseNarInfo(SAMPLE.replace("NarSize: 120", "NarSize: 12x")), /line 5: NarSize '12x' is not a number/);
  assert.throws(() => parseNarInfo(SAMPLE.replace("sha256:1x", "sha256:x")), /line 4: NarHash: .*wrong length/);
  assert.throws(() => parseNarInfo(SAMPLE.replace("URL: ", "URL=")), /line 2: expected 'Name: value'/);
  assert.throws(() => parseNarInfo(SAMPLE.replace("-hello", "-hel lo")), /line 1: StorePath: .*illegal character ' '/);
  assert.throws(() => parseNarInfo(SAMPLE.slice(0, -1)), /line 6: the last line does not end with a newline/);
  const twoRefs = SAMPLE.replace("References: ", "References: 0mdqa9w1p6cmli6976v4wi0sw9r4p5pr-a\nReferences: 0mdqa9w1p6cmli6976v4wi0sw9r4p5pr-b");
  assert.throws(() => parseNarInfo(twoRefs), /line 7: References given twice/);
  assert.throws(() => parseNarInfo(SAMPLE + "CA: fixed:sha1:abc\n"), /line 7: CA: .*wrong length/);
  assert.equal(renderNarInfo(parseNarInfo(SAMPLE)), SAMPLE);
  assert.throws(() => narInfoFingerprint({ ...parseNarInfo(SAMPLE), narSize: 0 }), /size is not known/);
  assert.equal(
    narInfoFingerprint({ ...parseNarInfo(SAMPLE), references: [parseStorePath("/nix/store/1mdqa9w1p6cmli6976v4wi0sw9r4p5pr-b"), parseStorePath("/nix/store/0mdqa9w1p6cmli6976v4wi0sw9r4p5pr-a")] }),
    "1;/nix/store/0mdqa9w1p6cmli6976v4wi0sw9r4p5pr-hello;sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h;120;" +
      "/nix/store/0mdqa9w1p6cmli6976v4wi0sw9r4p5pr-a,/nix/store/1mdqa9w1p6cmli6976v4wi0sw9r4p5pr-b",
  );
});

test("nix-cache-info parsing tolerates unknown and malformed lines", () => {
  const info = parseCacheInfo("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\nFoo: bar\ngarbage\n");
  assert.deepEqual(info, { storeDir: "/nix/store", wantMassQuery: true, priority: 40 });
  assert.equal(parseCacheInfo("WantMassQuery: true\n").wantMassQuery, false);
  assert.equal(parseCacheInfo("Priority: 30 ").priority, 30);
  assert.throws(() => parseCacheInfo("x\nPriority: high\n"), /line 2: Priority 'high'/);
  assert.equal(renderCacheInfo(info), "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n");
});
