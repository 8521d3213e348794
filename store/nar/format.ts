/** The NAR wire format: every token is a u64le length, the bytes, zero padding to 8. */

export const NAR_MAGIC = "nix-archive-1";

/** Longest file name or symlink target we read or write; Linux's own limits are lower. */
export const NAR_MAX_NAME_LENGTH = 4096;
export const NAR_MAX_TARGET_LENGTH = 4096;

/** Longest keyword of the format (`nix-archive-1`), so a longer token is never a keyword. */
export const MAX_KEYWORD_LENGTH = 16;

/** Deepest directory nesting we accept; Linux paths (PATH_MAX 4096) cannot nest deeper. */
export const NAR_MAX_DEPTH = 2048;

export function paddingOf(length: number): number {
  return (8 - (length % 8)) % 8;
}

/** A malformed archive; `offset` is the byte at which the problem starts. */
export class NarError extends Error {
  override name = "NarError";
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`bad archive: ${reason} at byte ${offset}`);
  }
}

/** Renders a file name or target for a message: printable ASCII as-is, other bytes escaped. */
export function showBytes(bytes: Uint8Array, limit = 80): string {
  let out = "";
  for (let i = 0; i < bytes.length && i < limit; i++) {
    const b = bytes[i]!;
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return bytes.length > limit ? `${out}…` : out;
}
