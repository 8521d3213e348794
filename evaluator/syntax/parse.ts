import type { Expr } from "./ast.js";
import { parseSource } from "./parser.js";
import { dirOf } from "./paths.js";
import { PRIME_MIN_LENGTH, primeParser } from "./primer.js";
import { addSource, type SourceEncoding, type SourceOrigin } from "./source.js";

export interface ParseOptions {
  /** Where the text came from (default: "file" when a file is named, else "string"). */
  readonly origin?: SourceOrigin;
  /**
   * Directory for relative paths: by default the file's directory, or the current
   * directory for strings and stdin (as `nix-instantiate -E` does).
   */
  readonly basePath?: string;
  /** Home directory for `~/` paths (default $HOME). */
  readonly home?: string;
  /**
   * Whether `source` is a byte string (latin1, one char per byte) or a JS string;
   * only affects error columns. Default "auto": bytes unless a char is above 0xFF.
   */
  readonly encoding?: SourceEncoding;
}

/**
 * Parses Nix source text. `file` is the path of the file it was read from (already
 * resolved, as CppNix resolves symlinks before parsing), or omitted for `-E` strings.
 * Throws NixSyntaxError.
 */
export function parse(source: string, file?: string, options: ParseOptions = {}): Expr {
  const origin = options.origin ?? (file === undefined ? "string" : "file");
  const path = file ?? "(string)";
  const basePath = options.basePath ?? (origin === "file" ? dirOf(path) : process.cwd());
  if (source.length >= PRIME_MIN_LENGTH) primeParser();
  const src = addSource(path, source, origin, options.encoding);
  return parseSource(src, { basePath, home: options.home });
}
