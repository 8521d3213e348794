import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { closureGraph, type LocalStore, type Realiser } from "../../builder/index.js";
import {
  buildCustomisation,
  buildImage,
  buildIndex,
  groupLayers,
  MEDIA_TYPES,
  type ImageLayer,
  type JsonBlob,
  type Popularity,
} from "../../layering/index.js";
import { commitStaged } from "../../evaluator/index.js";
import type { BlobStore } from "../../storage/index.js";
import { parseStorePath } from "../../store/index.js";
import { RegistryError } from "../distribution/index.js";
import type { Architecture, ImageRequest } from "../image-name.js";
import { evaluatePackages, type ResolvedPackage } from "./evaluate.js";
import type { EvaluationWorker } from "./eval-worker.js";
import type { ImageRecord, ManifestRef, PlatformRecord } from "./image-record.js";
import type { CastoreReading } from "./castore.js";
import type { LayerWriter } from "./layers.js";
import type { PackageSetRevision } from "./package-set.js";
import type { SetPopularity } from "./set-popularity.js";

/** Milliseconds spent in each stage of one cold image build. */
export interface BuildTimings {
  evaluate: number;
  realise: number;
  layer: number;
  store: number;
}

export interface PipelineContext {
  store: LocalStore;
  realiser: Realiser;
  blobs: BlobStore;
  layers: LayerWriter;
  /** Where evaluation stages new store paths. */
  stagingRoot: string;
  /** With a castore: closures and customisation read through it (paths another replica realised are not on this disk). */
  reading?: CastoreReading;
  popularity: Popularity | undefined;
  /** Without `popularity`: package-set-wide counts, computed once per revision (undefined for sets over its limit). */
  setPopularity?: SetPopularity;
  layerBudget: number;
  /** Evaluates in a worker thread (the server) rather than on the calling thread (tests). */
  evaluator?: EvaluationWorker;
  /** Architectures to build when neither the request nor the set says (e.g. from LADING_ARCHITECTURES). */
  defaultArchitectures: Architecture[] | undefined;
}

export interface BuiltRecord {
  record: ImageRecord;
  timings: BuildTimings;
  /** Layers written now versus taken from the layer cache. */
  layersWritten: number;
  layersReused: number;
}

/** Runs the whole pipeline for one request at one revision: evaluate, realise, layer, store. */
export async function buildImageRecord(ctx: PipelineContext, request: ImageRequest, pkgs: PackageSetRevision): Promise<BuiltRecord> {
  const timings: BuildTimings = { evaluate: 0, realise: 0, layer: 0, store: 0 };
  const counts = { written: 0, reused: 0 };
  const first: Architecture = request.architecture ?? "amd64";
  const platforms: PlatformRecord[] = [];
  const firstBuild = (await buildPlatform(ctx, request, pkgs, first, timings, counts, false))!;
  platforms.push(firstBuild.platform);
  if (!request.architecture) {
    const wanted = firstBuild.architectures ?? ctx.defaultArchitectures ?? (pkgs.nixpkgs ? ["amd64", "arm64"] : ["amd64"]);
    for (const arch of wanted) {
      if (arch === first) continue;
      // An architecture where a package does not evaluate (unavailable there) is left out of the index.
      const other = await buildPlatform(ctx, request, pkgs, arch, timings, counts, true);
      if (other) platforms.push(other.platform);
    }
  }
  const started = performance.now();
  const record: ImageRecord = { revision: pkgs.revision, platforms };
  if (platforms.length > 1) {
    const annotations = { "org.opencontainers.image.revision": pkgs.revision };
    const entries = (format: "oci" | "docker") =>
      platforms.map((p) => ({ architecture: p.architecture, manifest: { digest: p[format]!.digest, size: p[format]!.size, bytes: Buffer.alloc(0) } }));
    const oci = buildIndex(entries("oci"), "oci", annotations);
    record.index = { oci: await storeJson(ctx.blobs, oci, MEDIA_TYPES.ociIndex) };
    if (platforms.every((p) => p.docker)) {
      record.index.docker = await storeJson(ctx.blobs, buildIndex(entries("docker"), "docker"), MEDIA_TYPES.dockerManifestList);
    }
  }
  timings.store += performance.now() - started;
  return { record, timings, layersWritten: counts.written, layersReused: counts.reused };
}

async function storeJson(blobs: BlobStore, blob: JsonBlob, mediaType: string): Promise<ManifestRef> {
  await blobs.write(blob.bytes);
  return { digest: blob.digest, size: blob.size, mediaType };
}

async function buildPlatform(
  ctx: PipelineContext,
  request: ImageRequest,
  pkgs: PackageSetRevision,
  architecture: Architecture,
  timings: BuildTimings,
  counts: { written: number; reused: number },
  optional: boolean,
): Promise<{ platform: PlatformRecord; architectures: Architecture[] | undefined } | undefined> {
  let started = performance.now();
  await mkdir(ctx.stagingRoot, { recursive: true });
  const stagingDir = await mkdtemp(join(ctx.stagingRoot, "eval-"));
  let packages: ResolvedPackage[];
  let architectures: Architecture[] | undefined;
  let popularity: Popularity | undefined;
  try {
    const input = {
      dir: pkgs.dir,
      architecture,
      packages: request.packages,
      shell: request.shell,
      nixpkgs: pkgs.nixpkgs,
      stagingDir,
      realStoreDir: ctx.store.realStoreDir,
    };
    const evaluation = ctx.evaluator
      ? await ctx.evaluator.evaluate(input)
      : evaluatePackages({ ...input, isValidInStore: (p) => ctx.store.isValid(parseStorePath(p, ctx.store.storeDir)) });
    packages = evaluation.packages;
    architectures = evaluation.architectures;
    await commitStaged(ctx.store, evaluation.staged);
    popularity = ctx.popularity ?? (await ctx.setPopularity?.get(pkgs, architecture, evaluation.setAttributes));
  } catch (err) {
    // Evaluation is deterministic, so leaving the platform out gives the same image every time.
    if (optional && err instanceof RegistryError) return undefined;
    throw err;
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
  timings.evaluate += performance.now() - started;

  started = performance.now();
  const roots: string[] = [];
  for (const pkg of packages) {
    const outputs = await ctx.realiser.realise(parseStorePath(pkg.drvPath, ctx.store.storeDir), [pkg.outputName]);
    const out = outputs.get(pkg.outputName);
    if (!out) throw new RegistryError("MANIFEST_UNKNOWN", `package '${pkg.attrPath}' gave no output '${pkg.outputName}'`, undefined, 500);
    const rendered = out.render(ctx.store.storeDir);
    if (!roots.includes(rendered)) roots.push(rendered);
  }
  timings.realise += performance.now() - started;

  started = performance.now();
  const pathInfos = ctx.reading?.paths ?? ctx.store;
  const graph = closureGraph(pathInfos, roots.map((r) => parseStorePath(r, ctx.store.storeDir)));
  const nodes = graph.order.map((p) => {
    const node = graph.nodes.get(p.baseName)!;
    return { path: p.render(ctx.store.storeDir), narSize: node.narSize, references: node.references.map((r) => r.render(ctx.store.storeDir)) };
  });
  const derivers = new Map<string, string>();
  for (const node of graph.order) {
    const deriver = pathInfos.queryPathInfo(node)?.deriver;
    if (deriver) derivers.set(node.render(ctx.store.storeDir), deriver.render(ctx.store.storeDir));
  }
  const groups = groupLayers(nodes, roots, { budget: ctx.layerBudget, ...(popularity ? { popularity } : {}) });
  const layers: ImageLayer[] = [];
  for (const group of groups) {
    const { layer, reused } = await ctx.layers.storePathsLayer(group.paths);
    if (reused) counts.reused++;
    else counts.written++;
    layers.push({ ...layer, compression: ctx.layers.compression.algorithm, storePaths: group.paths, derivations: derivers });
  }
  const custom = await buildCustomisation({
    storeRoot: ctx.store.root,
    ...(ctx.reading ? { tree: ctx.reading.tree } : {}),
    packages: roots,
    closure: nodes.map((n) => n.path),
  });
  const customLayer = await ctx.layers.entriesLayer(custom.entries);
  layers.push({ ...customLayer, compression: ctx.layers.compression.algorithm, storePaths: [] });
  timings.layer += performance.now() - started;

  started = performance.now();
  const image = buildImage({
    architecture,
    layers,
    ...(custom.shell ? { shell: custom.shell } : {}),
    ...(custom.sslCertFile ? { sslCertFile: custom.sslCertFile } : {}),
    revision: pkgs.revision,
    packages: [...request.packages, ...(request.shell ? ["shell"] : [])],
  });
  await ctx.blobs.write(image.config.bytes);
  const platform: PlatformRecord = {
    architecture,
    oci: await storeJson(ctx.blobs, image.oci, MEDIA_TYPES.ociManifest),
  };
  if (image.docker) platform.docker = await storeJson(ctx.blobs, image.docker, MEDIA_TYPES.dockerManifest);
  timings.store += performance.now() - started;
  return { platform, architectures };
}
