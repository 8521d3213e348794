export { BinaryCache, DEFAULT_PRIORITY, type BinaryCacheOptions } from "./binary-cache.js";
export {
  coalesce,
  DecompressionError,
  SUPPORTED_COMPRESSIONS,
  decompress,
  decompressZstdPureJs,
  isSupportedCompression,
} from "./decompress.js";
export { Limiter } from "./limiter.js";
export { DEFAULT_RETRY, TransientError, withRetries, type RetryPolicy } from "./retry.js";
export {
  SubstitutionError,
  Substituter,
  type PlannedPath,
  type SubstitutionEvent,
  type SubstitutionPlan,
  type SubstitutionResult,
  type SubstitutionStats,
  type SubstituterOptions,
} from "./substituter.js";
export { FileTransport, HttpTransport, NotInCacheError, makeTransport, type CacheTransport } from "./transport.js";
