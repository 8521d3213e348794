/** CppNix-style messages for failed system calls: `<action> '<path>': <strerror>`. */

const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EEXIST: "File exists",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  EPIPE: "Broken pipe",
  EIO: "Input/output error",
  EMFILE: "Too many open files",
  ENXIO: "No such device or address",
  EINVAL: "Invalid argument",
};

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The C library's text for an errno code (`ENOENT` → "No such file or directory"), if known. */
export function errnoText(code: string | undefined): string | undefined {
  return code !== undefined ? STRERROR[code] : undefined;
}

export function strerror(err: unknown): string {
  const text = errnoText(errnoCode(err));
  if (text !== undefined) return text;
  return err instanceof Error ? err.message : String(err);
}

/** An error from the file system, reworded the way CppNix words it. */
export class SysError extends Error {
  override name = "SysError";
  readonly code: string | undefined;
  constructor(action: string, path: string | Uint8Array, cause: unknown) {
    const shown = typeof path === "string" ? path : Buffer.from(path).toString();
    super(`${action} '${shown}': ${strerror(cause)}`, { cause });
    this.code = errnoCode(cause);
  }
}
