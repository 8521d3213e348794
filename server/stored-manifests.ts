import { buffer } from "node:stream/consumers";
import { InvalidDigestError, parseDigest, type BlobStore } from "../storage/index.js";
import { RegistryError, isTag, type ManifestResponse, type ManifestSource } from "./distribution/index.js";

/**
 * Manifests already in storage, addressed by digest. Tags name images that the image
 * service builds; until it is wired in, a tag is answered as an unknown manifest.
 */
export class StoredManifests implements ManifestSource {
  constructor(private readonly blobs: BlobStore) {}

  async resolve(name: string, reference: string): Promise<ManifestResponse> {
    if (!reference.includes(":")) {
      if (!isTag(reference)) throw new RegistryError("MANIFEST_INVALID", "invalid tag", { tag: reference });
      throw new RegistryError("MANIFEST_UNKNOWN", "manifest unknown: this registry cannot build images yet", { name, tag: reference });
    }
    let digest;
    try {
      digest = parseDigest(reference);
    } catch (err) {
      if (err instanceof InvalidDigestError) throw new RegistryError("DIGEST_INVALID", err.message, { digest: reference });
      throw err;
    }
    const stream = await this.blobs.read(digest);
    if (!stream) throw new RegistryError("MANIFEST_UNKNOWN", "manifest unknown", { name, digest: reference });
    const body = await buffer(stream);
    let mediaType: unknown;
    try {
      mediaType = (JSON.parse(body.toString("utf8")) as { mediaType?: unknown }).mediaType;
    } catch {
      mediaType = undefined;
    }
    if (typeof mediaType !== "string") throw new RegistryError("MANIFEST_UNKNOWN", "manifest unknown", { name, digest: reference });
    return { body, mediaType, digest: reference };
  }

  async tags(_name: string): Promise<string[]> {
    return ["latest"];
  }
}
