import { compareStrings } from "./grouping/types.js";
import { jsonBlob, type JsonBlob } from "./canonical-json.js";
import { MEDIA_TYPES, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from "./oci-types.js";
import type { CompressionSettings } from "./tar/index.js";

/** Every image claims this creation time, so configs do not change between builds. */
export const IMAGE_CREATED = "1970-01-01T00:00:01Z";
export const IMAGE_PATH = "/bin:/usr/bin:/sbin:/usr/sbin";
export const ANNOTATION_PREFIX = "dev.lading";
export const ANNOTATIONS = {
  revision: "org.opencontainers.image.revision",
  packages: `${ANNOTATION_PREFIX}.packages`,
  storePaths: `${ANNOTATION_PREFIX}.store-paths`,
  derivations: `${ANNOTATION_PREFIX}.derivations`,
} as const;

export type Architecture = "amd64" | "arm64";
export type ManifestFormat = "oci" | "docker";

/** A written layer blob and what it holds. */
export interface ImageLayer {
  digest: string;
  size: number;
  diffId: string;
  compression: CompressionSettings["algorithm"];
  /** Store paths in the layer, sorted; empty for the customisation layer. */
  storePaths: readonly string[];
  /** Derivations the layer's store paths were built from (store path → .drv path), when known. */
  derivations?: ReadonlyMap<string, string>;
}

export interface ImageSpec {
  architecture: Architecture;
  /** Layers bottom to top (the customisation layer usually last). */
  layers: readonly ImageLayer[];
  /** The image's command when the image has a shell. */
  shell?: string;
  sslCertFile?: string;
  /** Package-set revision the image was built from. */
  revision?: string;
  /** Requested packages as named in the image. */
  packages?: readonly string[];
}

export interface BuiltImage {
  /** The config blob: the same bytes for both manifest formats. */
  config: JsonBlob;
  oci: JsonBlob;
  /** Absent when a layer is not gzip: Docker schema 2 has no media type for zstd or plain tar layers. */
  docker?: JsonBlob;
}

/**
 * The image config and its OCI and Docker schema 2 manifests over the same layer
 * blobs (the Docker one only when every layer is gzip). Everything is canonical
 * JSON, so equal inputs give equal digests.
 */
export function buildImage(spec: ImageSpec): BuiltImage {
  const env = [`PATH=${IMAGE_PATH}`];
  if (spec.sslCertFile) env.push(`SSL_CERT_FILE=${spec.sslCertFile}`, `NIX_SSL_CERT_FILE=${spec.sslCertFile}`);
  const labels: Record<string, string> = {};
  if (spec.revision) labels[ANNOTATIONS.revision] = spec.revision;
  if (spec.packages) labels[ANNOTATIONS.packages] = [...spec.packages].join(" ");
  const imageConfig: ImageConfig = {
    created: IMAGE_CREATED,
    architecture: spec.architecture,
    os: "linux",
    ...(spec.architecture === "arm64" ? { variant: "v8" } : {}),
    config: {
      Env: env,
      ...(spec.shell ? { Cmd: [spec.shell] } : {}),
      ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}),
    },
    rootfs: { type: "layers", diff_ids: spec.layers.map((layer) => layer.diffId) },
    history: spec.layers.map((layer) => ({
      created: IMAGE_CREATED,
      created_by: layer.storePaths.length > 0 ? `lading: store paths ${layer.storePaths.join(" ")}` : "lading: customisation layer",
      comment: layer.storePaths.length > 0 ? `${layer.storePaths.length} store paths` : "symlinks, /tmp, /etc files",
    })),
  };
  const config = jsonBlob(imageConfig);
  const manifestAnnotations: Record<string, string> = { ...labels };
  const manifest = (format: ManifestFormat): ImageManifest => ({
    schemaVersion: 2,
    mediaType: format === "oci" ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest,
    config: {
      mediaType: format === "oci" ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig,
      digest: config.digest,
      size: config.size,
    },
    layers: spec.layers.map((layer) => layerDescriptor(layer, format)),
    ...(format === "oci" && Object.keys(manifestAnnotations).length > 0 ? { annotations: manifestAnnotations } : {}),
  });
  const dockerCompatible = spec.layers.every((layer) => layer.compression === "gzip");
  return { config, oci: jsonBlob(manifest("oci")), ...(dockerCompatible ? { docker: jsonBlob(manifest("docker")) } : {}) };
}

function layerDescriptor(layer: ImageLayer, format: ManifestFormat): Descriptor {
  const descriptor: Descriptor = { mediaType: layerMediaType(layer.compression, format), digest: layer.digest, size: layer.size };
  // Docker schema 2 has no annotations; the OCI manifest carries what is in each layer.
  if (format === "oci" && layer.storePaths.length > 0) {
    const annotations: Record<string, string> = { [ANNOTATIONS.storePaths]: [...layer.storePaths].sort(compareStrings).join(" ") };
    const drvs = layer.storePaths.map((path) => layer.derivations?.get(path)).filter((drv): drv is string => drv !== undefined);
    if (drvs.length > 0) annotations[ANNOTATIONS.derivations] = [...new Set(drvs)].sort(compareStrings).join(" ");
    descriptor.annotations = annotations;
  }
  return descriptor;
}

export function layerMediaType(compression: CompressionSettings["algorithm"], format: ManifestFormat): string {
  if (format === "docker") {
    if (compression !== "gzip") throw new Error(`Docker schema 2 manifests only carry gzip layers, not ${compression}`);
    return MEDIA_TYPES.dockerLayerGzip;
  }
  return compression === "gzip" ? MEDIA_TYPES.ociLayerGzip : compression === "zstd" ? MEDIA_TYPES.ociLayerZstd : MEDIA_TYPES.ociLayer;
}

/** One architecture's manifest, for an index. */
export interface PlatformManifest {
  architecture: Architecture;
  manifest: JsonBlob;
}

/** An OCI image index or Docker manifest list over several architectures (sorted by architecture). */
export function buildIndex(manifests: readonly PlatformManifest[], format: ManifestFormat, annotations?: Record<string, string>): JsonBlob {
  const entries = [...manifests].sort((a, b) => compareStrings(a.architecture, b.architecture));
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: format === "oci" ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerManifestList,
    manifests: entries.map(({ architecture, manifest }) => ({
      mediaType: format === "oci" ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest,
      digest: manifest.digest,
      size: manifest.size,
      platform: { architecture, os: "linux", ...(architecture === "arm64" ? { variant: "v8" } : {}) },
    })),
    ...(format === "oci" && annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  return jsonBlob(index);
}
