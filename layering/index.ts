export {
  MEDIA_TYPES,
  type MediaType,
  type Platform,
  type Descriptor,
  type ImageManifest,
  type ImageIndex,
  type HistoryEntry,
  type ContainerConfig,
  type ImageConfig,
} from "./oci-types.js";
export * from "./grouping/index.js";
export * from "./tar/index.js";
export { layerKey } from "./layer-key.js";
export { buildCustomisation, CERT_BUNDLE, MERGED_FOLDERS, type Customisation, type CustomisationInput } from "./customisation.js";
export { canonicalJson, jsonBlob, type JsonBlob } from "./canonical-json.js";
export {
  ANNOTATIONS,
  IMAGE_CREATED,
  IMAGE_PATH,
  buildImage,
  buildIndex,
  layerMediaType,
  type Architecture,
  type BuiltImage,
  type ImageLayer,
  type ImageSpec,
  type ManifestFormat,
  type PlatformManifest,
} from "./image.js";
export { writeOciLayout, type LayoutBlob } from "./oci-layout.js";
