/**
 * Source files and positions.
 *
 * Every AST node carries one number, `pos`: an offset into a single process-wide
 * position space in which each parsed source owns a contiguous range. A number per
 * node keeps nodes small and monomorphic; `resolvePos` turns it back into
 * file, line and column (only needed when an error or `__curPos` is shown).
 * `NO_POS` (0) means "no position", like CppNix's `noPos`.
 */
import { readFileSync } from "node:fs";

export const NO_POS = 0;

/** Where a source came from; decides how CppNix prints its positions. */
export type SourceOrigin = "file" | "string" | "stdin";

export interface Position {
  /** The file path, or `(string)` for `-E` and stdin sources, as CppNix prints it. */
  readonly file: string;
  /** 1-based line; `\n`, `\r\n` and a lone `\r` each end a line, as in CppNix. */
  readonly line: number;
  /** 1-based column counted in bytes (of the UTF-8 encoding), as CppNix counts it. */
  readonly column: number;
}

/**
 * How the source text encodes bytes: "bytes" when each char code is one byte
 * (a latin1 "binary string", as the evaluator reads files), "utf16" for an
 * ordinary JS string (columns then count the UTF-8 encoding). "auto" decides
 * on first use: a text with no char code above 0xFF is taken as bytes.
 */
export type SourceEncoding = "bytes" | "utf16" | "auto";

export class Source {
  private lineStarts: Int32Array | undefined;
  private isBytes: boolean | undefined;
  /** The text; for files only while in the recent-files cache (see `text`). */
  private heldText: string | null;

  constructor(
    /** Path of the file; for `-E` / stdin sources the text is not a file. */
    readonly path: string,
    text: string,
    readonly origin: SourceOrigin,
    /** Global position of the first character of `text`. */
    readonly base: number,
    readonly encoding: SourceEncoding = "auto",
  ) {
    this.heldText = text;
    if (origin === "file") holdRecent(this);
  }

  /**
   * The source text. A long-running process parses many files, so file texts are
   * not kept forever: only the most recent ones stay in memory (their line table
   * is computed before a text is dropped, so positions still resolve), and an
   * older file's text is read again from disk when asked for.
   */
  get text(): string {
    if (this.heldText !== null) return this.heldText;
    let text = "";
    try {
      text = readFileSync(Buffer.from(this.path, "latin1").toString("utf8"), "latin1");
    } catch {
      // gone or never a real file: positions still resolve, excerpts are empty
    }
    return text;
  }

  /** Keeps what positions need (line table, byte encoding) and lets the text go. */
  dropText(): void {
    if (this.heldText === null) return;
    void this.bytes;
    this.lineStarts ??= computeLineStarts(this.heldText);
    this.heldText = null;
  }

  private get bytes(): boolean {
    if (this.isBytes === undefined) {
      // eslint-disable-next-line no-control-regex
      this.isBytes = this.encoding === "auto" ? !/[^\u0000-\u00ff]/.test(this.text) : this.encoding === "bytes";
    }
    return this.isBytes;
  }

  /** The name CppNix prints in positions (`(string)` for strings and stdin). */
  get displayName(): string {
    return this.origin === "file" ? this.path : "(string)";
  }

  /** Line and column of an offset into `text`. */
  locate(offset: number): Position {
    const starts = (this.lineStarts ??= computeLineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = starts[lo]!;
    const column = this.bytes ? offset - lineStart : utf8Length(this.text, lineStart, offset);
    return { file: this.displayName, line: lo + 1, column: column + 1 };
  }
}

/** File sources whose text is still held, oldest first (a small FIFO). */
const recent: Source[] = [];
const RECENT_FILES = 64;

function holdRecent(source: Source): void {
  recent.push(source);
  if (recent.length > RECENT_FILES) recent.shift()!.dropText();
}

function computeLineStarts(text: string): Int32Array {
  if (!text.includes("\r")) {
    // LF only (nearly every file): one native indexOf per line, into a typed array
    // grown by doubling (no intermediate JS array).
    let starts = new Int32Array(256);
    let n = 1;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", nl + 1)) {
      if (n === starts.length) {
        const grown = new Int32Array(n * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[n++] = nl + 1;
    }
    return starts.slice(0, n);
  }
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return Int32Array.from(starts);
}

function utf8Length(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// Sources in order of `base`; positions are looked up by binary search.
const sources: Source[] = [];
let nextBase = 1; // 0 is NO_POS

/** Registers a source text and reserves its range of global positions. */
export function addSource(path: string, text: string, origin: SourceOrigin = "file", encoding: SourceEncoding = "auto"): Source {
  const source = new Source(path, text, origin, nextBase, encoding);
  // +1 so that the end-of-input position is still inside this source's range.
  nextBase += text.length + 1;
  sources.push(source);
  return source;
}

/** The source that owns a global position, or undefined for `NO_POS`. */
export function sourceOf(pos: number): Source | undefined {
  if (pos <= NO_POS) return undefined;
  let lo = 0;
  let hi = sources.length - 1;
  if (hi < 0) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sources[mid]!.base <= pos) lo = mid;
    else hi = mid - 1;
  }
  return sources[lo];
}

/** File, line and column of a global position; undefined for `NO_POS`. */
export function resolvePos(pos: number): Position | undefined {
  const source = sourceOf(pos);
  return source ? source.locate(pos - source.base) : undefined;
}

/** `file:line:col` as CppNix prints a position, or `undefined position`. */
export function showPos(pos: number): string {
  const p = resolvePos(pos);
  return p ? `${p.file}:${p.line}:${p.column}` : "undefined position";
}
