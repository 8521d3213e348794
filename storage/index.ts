export { parseDigest, formatDigest, blobKey, InvalidDigestError, type Digest } from "./digest.js";
export { DigestMismatchError, type BlobStore, type BlobInfo, type ByteRange } from "./blob-store.js";
export { FsBlobStore } from "./fs-blob-store.js";
