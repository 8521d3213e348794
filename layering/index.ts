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
