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
