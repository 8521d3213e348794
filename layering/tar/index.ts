export {
  LAYER_MTIME,
  LayerContentError,
  MODE_DIRECTORY,
  MODE_EXECUTABLE,
  MODE_FILE,
  MODE_SYMLINK,
  diskTreeSource,
  storePathEntries,
  type StoreTreeInspector,
  type StoreTreeSource,
  type TarEntry,
} from "./entries.js";
export { castoreTreeSource, type CastoreSourceOptions } from "./castore-source.js";
export { tarChunks } from "./writer.js";
export {
  DEFAULT_COMPRESSION,
  DEFAULT_ZSTD_LEVEL,
  GZIP_MEMBER_SIZE,
  parseCompression,
  compressLayer,
  compressionId,
  type CompressionSettings,
  type LayerDigests,
} from "./compress.js";
export { writeEntriesLayer, writeLayerFile, writeStorePathsLayer } from "./layer.js";
export { checkZstdAvailable, ZstdUnavailableError } from "./zstd-pool.js";
