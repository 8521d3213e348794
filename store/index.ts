export { encodeBase32, decodeBase32, base32Length, isBase32 } from "./nixbase32.js";
export {
  Hash,
  HashSink,
  HASH_SIZES,
  compressHash,
  hashBytes,
  isHashAlgo,
  parseHash,
  parseHashAlgo,
  parseHashDigest,
  type HashAlgo,
  type HashFormat,
} from "./hash.js";
export {
  BadStorePathError,
  DEFAULT_STORE_DIR,
  DRV_EXTENSION,
  HASH_PART_LENGTH,
  MAX_NAME_LENGTH,
  StorePath,
  canonicalizePath,
  checkStorePathName,
  isInStore,
  isStorePath,
  isValidStorePathName,
  maybeParseStorePath,
  parseStorePath,
  sortStorePaths,
  splitStorePath,
  storePathNameProblem,
} from "./store-path.js";
export {
  computeTextPath,
  makeFixedOutputPath,
  makeOutputPath,
  makeSourcePath,
  makeStorePath,
  makeTextPath,
  outputPathName,
  type FileIngestionMethod,
  type ReferenceOptions,
} from "./make-store-path.js";
export {
  isContentAddressedAs,
  makeContentAddressedPath,
  parseContentAddress,
  renderContentAddress,
  type ContentAddress,
} from "./content-address.js";
export * from "./nar/index.js";
export {
  PublicKey,
  SecretKey,
  countValidSignatures,
  publicKeyMap,
  verifySignature,
  type PublicKeys,
} from "./signature.js";
export {
  NarInfoError,
  countNarInfoSignatures,
  narInfoFingerprint,
  parseNarInfo,
  pathInfoFingerprint,
  renderNarInfo,
  signNarInfo,
  type NarInfo,
  type ParseNarInfoOptions,
} from "./narinfo.js";
export { parseCacheInfo, renderCacheInfo, type CacheInfo } from "./cache-info.js";
export * from "./derivation/index.js";
export * from "./castore/index.js";
