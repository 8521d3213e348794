/** OCI Distribution error codes and the HTTP status each is sent with. */
export const ERROR_STATUS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 404,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  /** CNCF distribution's code for a temporary failure (a build still running, a backend down). */
  UNAVAILABLE: 503,
  RANGE_INVALID: 416,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error answered as `{"errors":[{code,message,detail}]}` with the code's status. */
export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: unknown,
    readonly status: number = ERROR_STATUS[code],
    /** Sent as `Retry-After` (seconds) when the client should try again later. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  toBody(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const entry: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry.detail = this.detail;
    return { errors: [entry] };
  }
}
