/**
 * The image service without real builds: a package set of plain derivations and a
 * realiser that "builds" each one by adding a text path to a real local store.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore, type Realiser } from "../../builder/index.js";
import { DEFAULT_COMPRESSION, MEDIA_TYPES } from "../../layering/index.js";
import { createServer } from "node:http";
import {
  ChannelPackageSet,
  EvaluationWorker,
  GitPackageSet,
  ImageService,
  KeyedFlight,
  PathPackageSet,
  countSubstitutedBytes,
  evaluatePackages,
  loadPopularity,
  negotiate,
  type ImageRecord,
} from "../../server/image-service/index.js";
import { LayerWriter } from "../../server/image-service/layers.js";
import { RegistryError } from "../../server/index.js";
import { metrics } from "../../server/operations/index.js";
import { EventEmitter } from "node:events";
import { MemoryBlobStore, MemoryMetadataCache } from "../../storage/index.js";
import type { StorePath } from "../../store/index.js";

const SET = `{ system ? "unknown" }: rec {
  hello = derivation { name = "hello-1.0"; inherit system; builder = "/bin/sh"; };
  HelloWorld = derivation { name = "hello-world-1.0"; inherit system; builder = "/bin/sh"; };
  dup = 1; DUP = 2;
  notAPackage = { a = 1; };
  evil = throw "evil was evaluated";
  python3Packages = { NumPy = derivation { name = "numpy-1.0"; inherit system; builder = "/bin/sh"; }; };
  metaPackages.shell = [ hello ];
}`;

function packageSet(text = SET): string {
  const dir = mkdtempSync(join(tmpdir(), "lading-set-"));
  writeFileSync(join(dir, "default.nix"), text);
  return dir;
}

function evaluate(dir: string, packages: string[], shell = false) {
  return evaluatePackages({
    dir,
    architecture: "amd64",
    packages,
    shell,
    nixpkgs: false,
    stagingDir: mkdtempSync(join(tmpdir(), "lading-staging-")),
    isValidInStore: () => false,
  });
}

function registryError(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RegistryError, String(err));
    return err;
  }
  assert.fail("no error");
}

test("packages are found by attribute lookups, case-insensitively when unambiguous", () => {
  const dir = packageSet();
  const result = evaluate(dir, ["hello", "helloworld", "python3packages.numpy"]);
  assert.deepEqual(
    result.packages.map((p) => p.attrPath),
    ["hello", "HelloWorld", "python3Packages.NumPy"],
  );
  assert.ok(result.packages.every((p) => p.drvPath.endsWith(".drv") && p.outputName === "out"));
  assert.ok(result.staged.some((s) => s.path === result.packages[0]!.drvPath), "the .drv is staged for the store");
  assert.equal(evaluate(dir, [], true).packages[0]!.attrPath, "metaPackages.shell.0");
});

test("missing, ambiguous and non-package names are MANIFEST_UNKNOWN; unrelated attributes are never forced", () => {
  const dir = packageSet();
  const missing = registryError(() => evaluate(dir, ["hello", "nosuch", "other"]));
  assert.equal(missing.code, "MANIFEST_UNKNOWN");
  assert.deepEqual((missing.detail as { missing: string[] }).missing, ["nosuch", "other"]);
  assert.match(registryError(() => evaluate(dir, ["dup2"])).message, /no package 'dup2'/);
  assert.match(registryError(() => evaluate(dir, ["Dup".toLowerCase() + "x"])).message, /no package/);
  assert.match(registryError(() => evaluate(packageSet(`{ Ab = 1; aB = 2; }`), ["ab"])).message, /ambiguous.*'Ab', 'aB'/);
  assert.match(registryError(() => evaluate(dir, ["notapackage"])).message, /not a package/);
  assert.match(registryError(() => evaluate(dir, ["evil"])).message, /evil was evaluated/);
  // A name that would be code if spliced into Nix source is just a missing attribute here.
  assert.deepEqual((registryError(() => evaluate(dir, ["hello.__functor"])).detail as { missing: string[] }).missing, ["hello.__functor"]);
});

test("negotiation: index for clients that take one, else the amd64 manifest; OCI or Docker as accepted", () => {
  const ref = (digest: string, mediaType: string) => ({ digest, size: 1, mediaType });
  const record: ImageRecord = {
    revision: "r",
    platforms: [
      { architecture: "amd64", oci: ref("a-oci", MEDIA_TYPES.ociManifest), docker: ref("a-docker", MEDIA_TYPES.dockerManifest) },
      { architecture: "arm64", oci: ref("b-oci", MEDIA_TYPES.ociManifest), docker: ref("b-docker", MEDIA_TYPES.dockerManifest) },
    ],
    index: { oci: ref("i-oci", MEDIA_TYPES.ociIndex), docker: ref("i-docker", MEDIA_TYPES.dockerManifestList) },
  };
  const pick = (...accept: string[]) => negotiate(record, accept).digest;
  assert.equal(pick(), "a-docker");
  assert.equal(pick(MEDIA_TYPES.ociIndex), "i-oci");
  assert.equal(pick(MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest), "i-docker");
  assert.equal(pick(MEDIA_TYPES.ociManifest), "a-oci");
  assert.equal(pick(MEDIA_TYPES.dockerManifest), "a-docker");
  assert.equal(pick(MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociManifest), "a-docker");
  assert.equal(pick(MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociIndex), "i-oci");
  assert.equal(pick("text/plain"), "a-oci");
  const single: ImageRecord = { revision: "r", platforms: [record.platforms[1]!] };
  assert.equal(negotiate(single, [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest]).digest, "b-oci");
});

test("a git package set resolves latest, refs and commits, and exports each commit", async () => {
  const repo = mkdtempSync(join(tmpdir(), "lading-repo-"));
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", ...args]).toString().trim();
  git("init", "-q", "-b", "main");
  writeFileSync(join(repo, "default.nix"), "{ v = 1; }");
  git("add", ".");
  git("commit", "-q", "-m", "one");
  git("tag", "v1");
  const first = git("rev-parse", "HEAD");
  const source = new GitPackageSet(repo, mkdtempSync(join(tmpdir(), "lading-git-cache-")));
  const latest = await source.resolve("latest");
  assert.equal(latest.revision, first);
  writeFileSync(join(repo, "default.nix"), "{ v = 2; }");
  git("commit", "-q", "-am", "two");
  const second = git("rev-parse", "HEAD");
  // New upstream commits are fetched when a ref is not known yet.
  assert.equal((await source.resolve(second)).revision, second);
  assert.equal((await source.resolve("v1")).revision, first);
  assert.equal((await source.resolve("main")).revision, second);
  const exported = await source.resolve(first);
  assert.equal(execFileSync("cat", [join(exported.dir, "default.nix")]).toString(), "{ v = 1; }");
  await assert.rejects(source.resolve("nosuchref"), (err: RegistryError) => err.code === "MANIFEST_UNKNOWN");
  assert.deepEqual(await source.tags(), ["latest", "main", "v1"]);
});

test("a channel that cannot be reached gives a clear, retryable error; path sets only have latest", async () => {
  const channel = new ChannelPackageSet("nixos-unstable", mkdtempSync(join(tmpdir(), "lading-chan-")), "http://127.0.0.1:9");
  await assert.rejects(channel.resolve("latest"), (err: RegistryError) => err.status === 503 && /LADING_PKGS_PATH/.test(err.message));
  assert.throws(() => channel.resolve("not a channel"), (err: RegistryError) => err.code === "MANIFEST_UNKNOWN");
  const dir = packageSet();
  const path = new PathPackageSet(dir);
  await assert.rejects(path.resolve("v2"), (err: RegistryError) => err.code === "MANIFEST_UNKNOWN");
  const a = await path.resolve("latest");
  assert.match(a.revision, /^path-[0-9a-z]{52}$/);
  assert.equal((await path.resolve("latest")).revision, a.revision);
  // An edit is a new revision (noticed by the watcher, or after the unwatched TTL).
  writeFileSync(join(dir, "extra.nix"), "{ }");
  let b = a.revision;
  for (let i = 0; i < 70 && b === a.revision; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    b = (await path.resolve("latest")).revision;
  }
  assert.notEqual(b, a.revision);
  assert.equal(b, (await new PathPackageSet(dir).resolve("latest")).revision);
  path.close();
});

/** "Builds" each derivation by adding a text path named after it, after `delayMs`. */
class FakeRealiser implements Realiser {
  calls = 0;
  constructor(
    private readonly store: LocalStore,
    private readonly delayMs: number,
  ) {}
  async realise(drvPath: StorePath): Promise<Map<string, StorePath>> {
    this.calls++;
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const info = await this.store.addText(drvPath.name.replace(/\.drv$/, ""), `built from ${drvPath.baseName}\n`);
    return new Map([["out", info.path]]);
  }
}

async function service(delayMs: number, clientWaitMs: number) {
  const root = mkdtempSync(join(tmpdir(), "lading-svc-"));
  mkdirSync(join(root, "store"));
  const store = await LocalStore.open({ root: join(root, "store") });
  const blobs = new MemoryBlobStore();
  const cache = new MemoryMetadataCache();
  const realiser = new FakeRealiser(store, delayMs);
  const svc = new ImageService({
    pkgs: new PathPackageSet(packageSet()),
    pipeline: {
      store,
      realiser,
      blobs,
      layers: new LayerWriter(blobs, cache, store.root, DEFAULT_COMPRESSION),
      stagingRoot: join(root, "staging"),
      popularity: undefined,
      layerBudget: 10,
      defaultArchitectures: undefined,
    },
    blobs,
    cache,
    flight: new KeyedFlight<string>(),
    compression: DEFAULT_COMPRESSION,
    popularitySource: "computed",
    clientWaitMs,
  });
  return { svc, realiser, store };
}

test("a build slower than the client's patience goes on and is cached for the retry", async () => {
  const { svc, realiser, store } = await service(400, 50);
  await assert.rejects(svc.resolve("hello", "latest", [MEDIA_TYPES.ociManifest]), (err: RegistryError) => {
    assert.equal(err.status, 503);
    assert.equal(err.retryAfterSeconds, 10);
    assert.match(err.message, /still being built.*cached/);
    return true;
  });
  await new Promise((resolve) => setTimeout(resolve, 700));
  const answer = await svc.resolve("hello", "latest", [MEDIA_TYPES.ociManifest]);
  assert.equal(answer.mediaType, MEDIA_TYPES.ociManifest);
  assert.equal(realiser.calls, 1);
  assert.equal(svc.recent.started, 1);
  assert.equal(svc.recent.list()[0]!.status, "done");
  await store.close();
});

test("concurrent identical requests share one build; different orders are the same image", async () => {
  const { svc, realiser, store } = await service(100, 10_000);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => svc.resolve(i % 2 ? "hello/helloworld" : "helloworld/hello", "latest", [MEDIA_TYPES.ociManifest])));
  assert.equal(new Set(answers.map((a) => a.digest)).size, 1);
  assert.equal(svc.recent.started, 1);
  assert.equal(realiser.calls, 2);
  const manifest = JSON.parse(answers[0]!.body.toString()) as { layers: { annotations?: Record<string, string> }[] };
  const annotated = manifest.layers.map((l) => l.annotations?.["dev.lading.store-paths"] ?? "").join(" ");
  assert.match(annotated, /-hello-1\.0\b/);
  assert.match(annotated, /-hello-world-1\.0\b/);
  // A second image with one of the packages reuses that package's layer blob.
  const other = await svc.resolve("hello", "latest", [MEDIA_TYPES.ociManifest]);
  const layers = (body: Buffer) => (JSON.parse(body.toString()) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
  assert.ok(layers(other.body).some((d) => layers(answers[0]!.body).includes(d)));
  assert.equal(svc.recent.list()[0]!.layersReused, 1);
  await store.close();
});

test("metrics: a cold request misses and writes layers, a warm one hits; substituted bytes count once", async () => {
  const value = async (counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string> = {}) =>
    (await counter.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((sum, v) => sum + v.value, 0);
  const lookups = (cache: string, result: string) => value(metrics.cacheLookups, { cache, result });
  const layersWritten = async () => (await metrics.layerSeconds.get()).values.find((v) => v.metricName === "lading_layer_duration_seconds_count")!.value;
  const before = { manifestMiss: await lookups("manifest", "miss"), manifestHit: await lookups("manifest", "hit"), layerMiss: await lookups("layer", "miss"), layerHit: await lookups("layer", "hit"), written: await layersWritten() };
  const { svc, store } = await service(0, 10_000);
  await svc.resolve("hello/helloworld", "latest", [MEDIA_TYPES.ociManifest]);
  assert.equal((await lookups("manifest", "miss")) - before.manifestMiss, 1);
  assert.equal((await lookups("manifest", "hit")) - before.manifestHit, 0);
  const layerMisses = (await lookups("layer", "miss")) - before.layerMiss;
  assert.ok(layerMisses >= 1);
  // Store-path layers plus the customisation layer were each timed.
  assert.equal((await layersWritten()) - before.written, layerMisses + 1);
  await svc.resolve("hello/helloworld", "latest", [MEDIA_TYPES.ociManifest]);
  assert.equal((await lookups("manifest", "hit")) - before.manifestHit, 1);
  assert.equal((await lookups("manifest", "miss")) - before.manifestMiss, 1);
  // Another image sharing a package's layer: a layer cache hit, nothing rewritten for it.
  await svc.resolve("hello", "latest", [MEDIA_TYPES.ociManifest]);
  assert.ok((await lookups("layer", "hit")) - before.layerHit >= 1);
  await store.close();

  const substituter = new EventEmitter();
  countSubstitutedBytes(substituter as never);
  const bytesBefore = await value(metrics.substitutedBytes);
  const path = {};
  substituter.emit("event", { type: "path-progress", path, downloaded: 100, narBytes: 0 });
  substituter.emit("event", { type: "path-progress", path, downloaded: 250, narBytes: 0 });
  substituter.emit("event", { type: "path-progress", path, downloaded: 40, narBytes: 0 }); // a retry starts again
  substituter.emit("event", { type: "path-done", path });
  assert.equal((await value(metrics.substitutedBytes)) - bytesBefore, 290);
});

test("popularity data loads from a path, a file:// URL and http, and is checked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lading-pop-"));
  const file = join(dir, "popularity.json");
  writeFileSync(file, JSON.stringify({ "glibc-2.39": 3120, hello: 2 }));
  assert.equal((await loadPopularity(file)).get("glibc-2.39"), 3120);
  assert.equal((await loadPopularity(`file://${file}`)).get("hello"), 2);
  const server = createServer((req, res) => {
    if (req.url === "/pop.json") res.end(JSON.stringify({ curl: 7 }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    assert.equal((await loadPopularity(`http://127.0.0.1:${port}/pop.json`)).get("curl"), 7);
    await assert.rejects(loadPopularity(`http://127.0.0.1:${port}/missing.json`), /HTTP 404/);
  } finally {
    server.close();
  }
  writeFileSync(file, JSON.stringify({ bad: -1 }));
  await assert.rejects(loadPopularity(file), /non-negative/);
});

test("the evaluation worker is reused, passes registry errors through and survives them", async () => {
  const dir = packageSet();
  const worker = new EvaluationWorker();
  const input = (packages: string[]) => ({ dir, architecture: "amd64" as const, packages, shell: false, nixpkgs: false, stagingDir: mkdtempSync(join(tmpdir(), "lading-staging-")) });
  try {
    const [a, b] = await Promise.all([worker.evaluate(input(["hello"])), worker.evaluate(input(["helloworld"]))]);
    assert.equal(a.packages[0]!.attrPath, "hello");
    assert.equal(b.packages[0]!.attrPath, "HelloWorld");
    await assert.rejects(worker.evaluate(input(["nosuch"])), (err: RegistryError) => err instanceof RegistryError && err.code === "MANIFEST_UNKNOWN");
    for (let i = 0; i < 34; i++) assert.equal((await worker.evaluate(input(["hello"]))).packages[0]!.drvPath, a.packages[0]!.drvPath);
  } finally {
    await worker.close();
  }
});
