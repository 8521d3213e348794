export {
  LAYER_MTIME,
  LayerContentError,
  MODE_DIRECTORY,
  MODE_EXECUTABLE,
  MODE_FILE,
  MODE_SYMLINK,
  storePathEntries,
  type TarEntry,
} from "./entries.js";
export { tarChunks } from "./writer.js";
export {
  DEFAULT_COMPRESSION,
  GZIP_MEMBER_SIZE,
  compressLayer,
  compressionId,
  type CompressionSettings,
  type LayerDigests,
} from "./compress.js";
export { writeEntriesLayer, writeLayerFile, writeStorePathsLayer } from "./layer.js";
