import { createWriteStream } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Command } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { MEDIA_TYPES, writeOciLayout, type ImageManifest } from "../../layering/index.js";
import { loadConfig, openImageService, RegistryError, validateName, type ImageRecord } from "../../server/index.js";
import { openStorage, parseDigest, storageConfigFromEnv, type BlobStore } from "../../storage/index.js";

/** `NAME[:TAG]` → name and tag (default `latest`); the tag follows the last `:`. */
export function splitImageReference(reference: string): { name: string; tag: string } {
  const colon = reference.lastIndexOf(":");
  if (colon > 0 && !reference.slice(colon + 1).includes("/")) return { name: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { name: reference, tag: "latest" };
}

async function copyBlob(blobs: BlobStore, digest: string, dir: string): Promise<void> {
  const stream = await blobs.read(parseDigest(digest));
  if (!stream) throw new CliError(`blob ${digest} is missing from storage`);
  const target = join(dir, "blobs", "sha256", digest.slice("sha256:".length));
  const temp = `${target}.tmp`;
  await pipeline(stream, createWriteStream(temp));
  await rename(temp, target);
}

/** Every blob an image record refers to: manifests, indexes, configs, layers. */
async function recordBlobs(record: ImageRecord, readManifest: (digest: string) => Promise<Buffer>): Promise<string[]> {
  const digests = new Set<string>();
  for (const platform of record.platforms) {
    for (const ref of platform.docker ? [platform.oci, platform.docker] : [platform.oci]) {
      digests.add(ref.digest);
      const manifest = JSON.parse((await readManifest(ref.digest)).toString("utf8")) as ImageManifest;
      digests.add(manifest.config.digest);
      for (const layer of manifest.layers) digests.add(layer.digest);
    }
  }
  if (record.index) {
    digests.add(record.index.oci.digest);
    if (record.index.docker) digests.add(record.index.docker.digest);
  }
  return [...digests].sort();
}

export const imageCommand: Command = {
  name: "image",
  summary: "build the image the registry would serve into an OCI image layout: lading image NAME[:TAG] --oci DIR",
  async run(args) {
    let reference: string | undefined;
    let ociDir: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === "--oci") {
        ociDir = args[++i];
        if (ociDir === undefined) throw new UsageError("flag '--oci' requires a directory");
      } else if (arg.startsWith("-")) throw new UsageError(`unrecognised flag '${arg}'`);
      else if (reference === undefined) reference = arg;
      else throw new UsageError(`unexpected argument '${arg}'`);
    }
    if (reference === undefined || ociDir === undefined) throw new UsageError("usage: lading image NAME[:TAG] --oci DIR");
    const { name, tag } = splitImageReference(reference);
    const config = loadConfig(process.env);
    const storage = await openStorage(storageConfigFromEnv({ ...process.env, LADING_DATA_DIR: config.dataDir }));
    try {
      const opened = await openImageService(config, storage);
      try {
        validateName(name);
        const { record } = await opened.service.image(name, tag, Infinity);
        await mkdir(join(ociDir, "blobs", "sha256"), { recursive: true });
        const read = (digest: string) => opened.service.body({ digest, size: 0, mediaType: "" });
        for (const digest of await recordBlobs(record, read)) await copyBlob(storage.blobs, digest, ociDir);
        const top = record.index?.oci ?? record.platforms[0]!.oci;
        await writeOciLayout(ociDir, [], { digest: top.digest, size: top.size, mediaType: top.mediaType ?? MEDIA_TYPES.ociManifest }, tag);
        process.stdout.write(`${top.digest}\n`);
      } finally {
        await opened.close();
      }
    } catch (err) {
      if (err instanceof RegistryError) throw new CliError(`${err.code}: ${err.message}`);
      throw err;
    } finally {
      await storage.close();
    }
    return 0;
  },
};
