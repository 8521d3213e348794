/**
 * A backend (S3, Redis) cannot be reached right now. The request may succeed later, so
 * the server answers `503` with `Retry-After: retryAfterSeconds` instead of a guess.
 */
export class StorageUnavailableError extends Error {
  override name = "StorageUnavailableError";
  constructor(
    message: string,
    readonly backend: "s3" | "redis" | "filesystem" | "memory",
    readonly retryAfterSeconds = 5,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The storage configuration cannot work (bucket missing, not writable, bad URL): a startup error. */
export class StorageConfigError extends Error {
  override name = "StorageConfigError";
}
