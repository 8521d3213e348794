import { MEDIA_TYPES } from "../../layering/index.js";
import { RegistryError } from "../distribution/index.js";
import type { Architecture } from "../image-name.js";

/** A manifest blob the record points to. */
export interface ManifestRef {
  digest: string;
  size: number;
  mediaType: string;
}

export interface PlatformRecord {
  architecture: Architecture;
  oci: ManifestRef;
  /** Absent for zstd layers, which Docker schema 2 cannot describe. */
  docker?: ManifestRef;
}

/** What the manifest cache holds per request key: every manifest of the image, in both formats. */
export interface ImageRecord {
  revision: string;
  platforms: PlatformRecord[];
  /** Present when the image has several architectures. */
  index?: { oci: ManifestRef; docker?: ManifestRef };
}

const OCI_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex]);

/**
 * Picks the manifest to answer with from the client's `Accept` list: an index or
 * manifest list when the image has several architectures and the client takes one,
 * else the amd64 (or only) manifest; OCI when accepted and preferred (listed first,
 * or the only kind listed), Docker schema 2 otherwise and when no `Accept` is sent.
 * Images with zstd layers have no Docker form: they answer OCI to every client that
 * takes it (or names no type), and MANIFEST_UNKNOWN saying why to a client that only
 * takes Docker schema 2 (it could not unpack the layers anyway).
 */
export function negotiate(record: ImageRecord, accept: readonly string[]): ManifestRef {
  const accepts = (type: string) => accept.includes(type);
  const anything = accept.length === 0 || accepts("*/*");
  const firstKnown = accept.find((t) => OCI_TYPES.has(t) || t === MEDIA_TYPES.dockerManifest || t === MEDIA_TYPES.dockerManifestList);
  const preferOci = firstKnown !== undefined ? OCI_TYPES.has(firstKnown) : false;
  if (record.index) {
    const oci = accepts(MEDIA_TYPES.ociIndex);
    const docker = accepts(MEDIA_TYPES.dockerManifestList) && record.index.docker;
    if (oci && (preferOci || !docker)) return record.index.oci;
    if (docker) return docker;
  }
  const platform = record.platforms.find((p) => p.architecture === "amd64") ?? record.platforms[0]!;
  const oci = accepts(MEDIA_TYPES.ociManifest);
  if (!platform.docker) {
    if (oci || anything || firstKnown === undefined) return platform.oci;
    throw new RegistryError(
      "MANIFEST_UNKNOWN",
      "this registry compresses layers with zstd, which Docker schema 2 manifests cannot carry; pull with a client that accepts OCI manifests (application/vnd.oci.image.manifest.v1+json)",
      { accepted: accept },
    );
  }
  const docker = accepts(MEDIA_TYPES.dockerManifest);
  if (oci && (preferOci || !docker)) return platform.oci;
  if (docker || anything) return platform.docker;
  // The client named neither format: answer the OCI manifest, as the spec suggests.
  return platform.oci;
}

/** Every manifest digest of a record (for "is this digest ours" checks and HEAD by digest). */
export function recordDigests(record: ImageRecord): ManifestRef[] {
  const refs = record.platforms.flatMap((p) => (p.docker ? [p.oci, p.docker] : [p.oci]));
  if (record.index) refs.push(record.index.oci, ...(record.index.docker ? [record.index.docker] : []));
  return refs;
}
