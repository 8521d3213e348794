import { MEDIA_TYPES } from "../../layering/index.js";
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
  docker: ManifestRef;
}

/** What the manifest cache holds per request key: every manifest of the image, in both formats. */
export interface ImageRecord {
  revision: string;
  platforms: PlatformRecord[];
  /** Present when the image has several architectures. */
  index?: { oci: ManifestRef; docker: ManifestRef };
}

const OCI_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex]);

/**
 * Picks the manifest to answer with from the client's `Accept` list: an index or
 * manifest list when the image has several architectures and the client takes one,
 * else the amd64 (or only) manifest; OCI when accepted and preferred (listed first,
 * or the only kind listed), Docker schema 2 otherwise and when no `Accept` is sent.
 */
export function negotiate(record: ImageRecord, accept: readonly string[]): ManifestRef {
  const accepts = (type: string) => accept.includes(type);
  const anything = accept.length === 0 || accepts("*/*");
  const firstKnown = accept.find((t) => OCI_TYPES.has(t) || t === MEDIA_TYPES.dockerManifest || t === MEDIA_TYPES.dockerManifestList);
  const preferOci = firstKnown !== undefined ? OCI_TYPES.has(firstKnown) : false;
  if (record.index) {
    const oci = accepts(MEDIA_TYPES.ociIndex);
    const docker = accepts(MEDIA_TYPES.dockerManifestList);
    if (oci && (preferOci || !docker)) return record.index.oci;
    if (docker) return record.index.docker;
  }
  const platform = record.platforms.find((p) => p.architecture === "amd64") ?? record.platforms[0]!;
  const oci = accepts(MEDIA_TYPES.ociManifest);
  const docker = accepts(MEDIA_TYPES.dockerManifest);
  if (oci && (preferOci || !docker)) return platform.oci;
  if (docker || anything) return platform.docker;
  // The client named neither format: answer the OCI manifest, as the spec suggests.
  return platform.oci;
}

/** Every manifest digest of a record (for "is this digest ours" checks and HEAD by digest). */
export function recordDigests(record: ImageRecord): ManifestRef[] {
  const refs = record.platforms.flatMap((p) => [p.oci, p.docker]);
  if (record.index) refs.push(record.index.oci, record.index.docker);
  return refs;
}
