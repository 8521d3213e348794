import { resolvePos, showPos } from "./source.js";

/**
 * A parse error (syntax error, duplicate attribute, invalid literal…) at a source
 * position. `message` is CppNix's text without the position, e.g.
 * `syntax error, unexpected '}', expecting ';'` or
 * `attribute 'a' already defined at (string):1:3`.
 */
export class NixSyntaxError extends Error {
  /** File as CppNix prints it in positions: the path, or `(string)`. */
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(
    message: string,
    /** Global position (see source.ts). */
    readonly pos: number,
  ) {
    super(message);
    this.name = "NixSyntaxError";
    const p = resolvePos(pos);
    this.file = p?.file ?? "";
    this.line = p?.line ?? 0;
    this.column = p?.column ?? 0;
  }

  /** `file:line:col` of the error. */
  get location(): string {
    return showPos(this.pos);
  }

  /**
   * The error as `nix-instantiate` reports it (first lines, without the code
   * excerpt): `error: <message>\n\n       at «string»:1:2:`.
   */
  format(): string {
    const file = this.file === "(string)" ? "«string»" : this.file;
    return `error: ${this.message}\n\n       at ${file}:${this.line}:${this.column}:`;
  }
}
