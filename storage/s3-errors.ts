import { StorageUnavailableError } from "./errors.js";

/** What the AWS SDK puts on the errors it throws (only the fields we read). */
interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function s3Status(err: unknown): number | undefined {
  return (err as SdkError).$metadata?.httpStatusCode;
}

export function isS3NotFound(err: unknown): boolean {
  const e = err as SdkError;
  return e.name === "NotFound" || e.name === "NoSuchKey" || s3Status(err) === 404;
}

/**
 * Turns transport failures and 5xx/429 answers into the 503-able StorageUnavailableError;
 * leaves other S3 answers, and errors of the `ours` classes (raised by our own checks), alone.
 */
export function s3Unavailable(err: unknown, what: string, ours: readonly (abstract new (...args: never[]) => Error)[]): unknown {
  if (err instanceof StorageUnavailableError || ours.some((kind) => err instanceof kind)) return err;
  const status = s3Status(err);
  if (status === undefined || status >= 500 || status === 429) {
    return new StorageUnavailableError(`S3 ${what} failed: ${(err as Error).message || (err as SdkError).name}`, "s3", 5, { cause: err });
  }
  return err;
}

/** An SDK error's message, or its name when it has none. */
export function s3ErrorText(err: unknown): string {
  return (err as Error).message || ((err as SdkError).name ?? "unknown error");
}
