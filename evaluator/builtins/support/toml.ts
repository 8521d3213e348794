/**
 * TOML as CppNix 2.8 reads it (`builtins.fromTOML`, via the toml11 v3 library):
 * TOML 1.0 plus toml11's own quirks, which Nix users observe and which this
 * parser reproduces on purpose:
 * - integers out of int64 range saturate (decimal, hex, octal) or wrap (binary);
 * - floats beyond the double range become ±DBL_MAX;
 * - arrays may mix types; `[a]` after a dotted `a.b = …` is accepted;
 * - error messages are toml11's (`[error] toml::…`, source excerpts, hints),
 *   decided by the same order of checks (toml11 "returns" some errors, which a
 *   caller may replace with its own, and "throws" others, which reach the user
 *   as they are).
 *
 * Strings are byte strings (one char per byte, UTF-8 inside). Integers are
 * bigint, floats number. Dates and times parse to a `TomlDateTime` marker:
 * Nix rejects them only after the whole document parsed.
 */

export type TomlValue = bigint | number | boolean | string | TomlArray | TomlTable | TomlDateTime;

/** Where a table was defined; toml11 decides whether a table may be reopened from this. */
type Origin =
  | { kind: "header"; keys: readonly string[] } // `[a.b]`, or a table it created implicitly
  | { kind: "arrayHeader" } // `[[a.b]]`, or a table it created implicitly
  | { kind: "dotted" } // the intermediate tables of a dotted key `a.b = …`
  | { kind: "inline" }; // `{ … }`

/** Source offsets [start, end) of a value or key, for error messages. */
interface Region {
  start: number;
  end: number;
}

export class TomlTable {
  readonly entries = new Map<string, TomlValue>();
  /** Where each entry was defined (toml11 keeps a region on every value). */
  readonly regions = new Map<string, Region>();
  constructor(public origin: Origin) {}
}

export class TomlArray {
  /** `ofTables`: made by `[[…]]` headers (appendable), not an `[ … ]` literal. */
  constructor(
    readonly items: TomlValue[],
    readonly regions: Region[],
    readonly ofTables: boolean,
  ) {}
}

export class TomlDateTime {
  constructor(readonly text: string) {}

  /** toml11's type name. */
  get typeName(): string {
    const date = /^\d{4}-/.test(this.text);
    const time = /\d{2}:\d{2}:\d{2}/.test(this.text);
    if (date && time) return /([Zz]|[+-]\d{2}:\d{2})$/.test(this.text) ? "offset_datetime" : "local_datetime";
    return date ? "local_date" : "local_time";
  }
}

/** A syntax error, its message toml11's: `[error] toml::…` and the places in the source. */
export class TomlError extends Error {}

/** A place in the source, as toml11's source_location: 1-based line and column, a size, the line's text. */
interface Place {
  line: number;
  column: number;
  size: number;
  lineText: string;
}

/** A place, or how to find it when the message is written (finding the line costs a scan). */
type PlaceRef = Place | (() => Place);

/** A place and what toml11 says of it. */
type Note = readonly [PlaceRef, string];

const FILE_NAME = "fromTOML";

/** Which toml11's underline formatError draws: the mode of the parse in progress. */
let underlineStyle: TomlMode = "2.8";

/** toml11's format_underline (uncoloured): 3 draws `^---` or `~~~`, 4 (current CppNix) `^^^--`. */
function formatError(title: string, notes: readonly Note[], hints: readonly string[] = []): string {
  const places = notes.map(([p, comment]) => [typeof p === "function" ? p() : p, comment] as const);
  const width = Math.max(1, ...places.map(([p]) => String(p.line).length));
  const gutter = " ".repeat(width + 1);
  const one = ([p, comment]: readonly [Place, string]): string => {
    const mark =
      underlineStyle === "current"
        ? "^".repeat(Math.max(1, Math.min(p.size, p.lineText.length - p.column + 1))) + "--"
        : p.size === 1
          ? "^---"
          : "~".repeat(Math.min(p.size, p.lineText.length));
    return ` ${String(p.line).padStart(width)} | ${p.lineText}\n${gutter} | ${" ".repeat(p.column - 1)}${mark} ${comment}`;
  };
  let out = `[error] ${title}\n --> ${FILE_NAME}\n${gutter} |\n` + places.map(one).join("\n ...\n");
  if (hints.length > 0) out += `\n${gutter} |` + hints.map((h) => `\nHint: ${h}`).join("");
  return out;
}

const FLOAT_HINTS = ["pass: +1.0, -2e-2, 3.141_592_653_589, inf, nan", "fail: .0, 1., _1.0, 1.0_, 1_.0, 1.0__0"];
const INT_HINTS = ["pass: -42, 1_000, 1_2_3_4_5, 0xC0FFEE, 0b0010, 0o755", "fail: 1__000, 0123"];
const KEY_HINTS = [
  "bare keys  : non-empty strings composed only of [A-Za-z0-9_-].",
  "quoted keys: same as \"basic strings\" or 'literal strings'.",
  "dotted keys: sequence of bare or quoted keys joined with a dot.",
];

/** An error toml11 returns rather than throws: callers may replace it (so its message is written only if used). */
class Soft {
  /** Where toml11 leaves the position when it is not where the failed step started. */
  resumeAt: number | undefined;
  constructor(
    readonly title: string,
    readonly notes: readonly Note[],
    readonly hints?: readonly string[],
  ) {}

  get message(): string {
    return formatError(this.title, this.notes, this.hints);
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isOct = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "7";
const isBin = (c: string | undefined): boolean => c === "0" || c === "1";
const isWs = (c: string | undefined): boolean => c === " " || c === "\t";
const isBareKeyChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_-]$/.test(c);

/** Parses a whole TOML document (CppNix's `toml::parse(stream, "fromTOML")`). */
/**
 * "2.8": toml11 3 as CppNix 2.8 uses it (out-of-range decimal integers saturate);
 * "current": current CppNix's toml11 4 refuses them (upstream eval-fail-fromTOML-overflow).
 */
export type TomlMode = "2.8" | "current";

export function parseToml(text: string, mode: TomlMode = "2.8"): TomlTable {
  // toml11 appends a newline unless the text ends with one (or with CR).
  if (text !== "" && !text.endsWith("\n") && !text.endsWith("\r")) text += "\n";
  const parser = new Parser(text, mode);
  const outer = underlineStyle;
  underlineStyle = mode;
  try {
    return parser.parseFile();
  } catch (err) {
    if (err instanceof Soft) throw new TomlError(err.message);
    throw err;
  } finally {
    underlineStyle = outer;
  }
}

function fail(title: string, notes: readonly Note[], hints?: readonly string[]): never {
  throw new TomlError(formatError(title, notes, hints));
}

function soft(title: string, notes: readonly Note[], hints?: readonly string[]): never {
  throw new Soft(title, notes, hints);
}

/** The place of a token inside a date/time token: toml11 parses those on a copy of the token alone. */
function placeInToken(token: string, offset: number): Place {
  return { line: 1, column: offset + 1, size: 1, lineText: token };
}

/** Runs a step that may return an error: undefined (position restored) when it does. */
function attempt<T>(p: Parser, step: () => T): T | undefined {
  const start = p.pos;
  try {
    return step();
  } catch (err) {
    if (err instanceof Soft) {
      p.pos = err.resumeAt ?? start;
      return undefined;
    }
    throw err;
  }
}

// ------------------------------------------------------------------ lexers
// Each takes a start index and returns the end of the token, or -1.

function lexNewline(s: string, i: number): number {
  if (s[i] === "\n") return i + 1;
  if (s[i] === "\r" && s[i + 1] === "\n") return i + 2;
  return -1;
}

function lexWs(s: string, i: number): number {
  while (isWs(s[i])) i++;
  return i;
}

function lexComment(s: string, i: number): number {
  if (s[i] !== "#") return -1;
  i++;
  // Tab, printable ASCII and well-formed UTF-8: the comment ends before anything else.
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x09 || (c >= 0x20 && c < 0x7f)) i++;
    else if (c >= 0x80 && utf8SeqLength(s, i) > 0) i += utf8SeqLength(s, i);
    else return i;
  }
}

/** digit (digit | `_` digit)* with the given digit class. */
function lexDigits(s: string, i: number, digit: (c: string | undefined) => boolean): number {
  if (!digit(s[i])) return -1;
  i++;
  for (;;) {
    if (digit(s[i])) i++;
    else if (s[i] === "_" && digit(s[i + 1])) i += 2;
    else return i;
  }
}

function lexDecInt(s: string, i: number): number {
  if (s[i] === "+" || s[i] === "-") i++;
  if (s[i] === "0") return i + 1;
  if (!isDigit(s[i])) return -1;
  return lexDigits(s, i, isDigit);
}

function lexPrefixed(s: string, i: number, prefix: string, digit: (c: string | undefined) => boolean): number {
  if (s.slice(i, i + 2) !== prefix) return -1;
  return lexDigits(s, i + 2, digit);
}

function lexInteger(s: string, i: number): number {
  for (const [prefix, digit] of [["0b", isBin], ["0o", isOct], ["0x", isHex]] as const) {
    const end = lexPrefixed(s, i, prefix, digit);
    if (end >= 0) return end;
  }
  return lexDecInt(s, i);
}

function lexSpecialFloat(s: string, i: number): number {
  if (s[i] === "+" || s[i] === "-") i++;
  const word = s.slice(i, i + 3);
  return word === "inf" || word === "nan" ? i + 3 : -1;
}

function lexExponent(s: string, i: number): number {
  if (s[i] !== "e" && s[i] !== "E") return -1;
  i++;
  if (s[i] === "+" || s[i] === "-") i++;
  return lexDigits(s, i, isDigit);
}

function lexFloat(s: string, i: number): number {
  const special = lexSpecialFloat(s, i);
  if (special >= 0) return special;
  const intEnd = lexDecInt(s, i);
  if (intEnd < 0) return -1;
  const exp = lexExponent(s, intEnd);
  if (exp >= 0) return exp;
  if (s[intEnd] !== ".") return -1;
  const fracEnd = lexDigits(s, intEnd + 1, isDigit);
  if (fracEnd < 0) return -1;
  const exp2 = lexExponent(s, fracEnd);
  return exp2 >= 0 ? exp2 : fracEnd;
}

function lexFixedDigits(s: string, i: number, n: number): number {
  for (let k = 0; k < n; k++) if (!isDigit(s[i + k])) return -1;
  return i + n;
}

/** `YYYY-MM-DD`. */
function lexDate(s: string, i: number): number {
  let j = lexFixedDigits(s, i, 4);
  if (j < 0 || s[j] !== "-") return -1;
  j = lexFixedDigits(s, j + 1, 2);
  if (j < 0 || s[j] !== "-") return -1;
  return lexFixedDigits(s, j + 1, 2);
}

/** `HH:MM:SS` with an optional fraction. */
function lexTime(s: string, i: number): number {
  let j = lexFixedDigits(s, i, 2);
  if (j < 0 || s[j] !== ":") return -1;
  j = lexFixedDigits(s, j + 1, 2);
  if (j < 0 || s[j] !== ":") return -1;
  j = lexFixedDigits(s, j + 1, 2);
  if (j < 0) return -1;
  if (s[j] === "." && isDigit(s[j + 1])) {
    j++;
    while (isDigit(s[j])) j++;
  }
  return j;
}

function lexLocalDateTime(s: string, i: number): number {
  const d = lexDate(s, i);
  if (d < 0 || !"Tt ".includes(s[d] ?? "x")) return -1;
  return lexTime(s, d + 1);
}

function lexOffsetDateTime(s: string, i: number): number {
  const dt = lexLocalDateTime(s, i);
  if (dt < 0) return -1;
  if (s[dt] === "Z" || s[dt] === "z") return dt + 1;
  if (s[dt] !== "+" && s[dt] !== "-") return -1;
  const h = lexFixedDigits(s, dt + 1, 2);
  if (h < 0 || s[h] !== ":") return -1;
  return lexFixedDigits(s, h + 1, 2);
}

/** One escape after a backslash at `i` (`\uXXXX` etc.): its end, or -1. */
function lexEscape(s: string, i: number): number {
  const c = s[i + 1];
  if (c !== undefined && '"\\bfnrt'.includes(c)) return i + 2;
  const n = c === "u" ? 4 : c === "U" ? 8 : 0;
  if (n === 0) return -1;
  for (let k = 0; k < n; k++) if (!isHex(s[i + 2 + k])) return -1;
  return i + 2 + n;
}

/** A byte a basic string holds unescaped: tab, printable ASCII but `"` and `\`, any byte ≥ 0x80. */
function isBasicChar(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x7f);
}

/** A byte a literal string holds: tab, printable ASCII but `'`, any byte ≥ 0x80. */
function isLiteralChar(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c !== 0x27 && c !== 0x7f);
}

function lexBasicString(s: string, i: number): number {
  if (s[i] !== '"') return -1;
  i++;
  for (;;) {
    if (s[i] === '"') return i + 1;
    if (s[i] === "\\") {
      i = lexEscape(s, i);
      if (i < 0) return -1;
    } else if (i < s.length && isBasicChar(s.charCodeAt(i))) i++;
    else return -1;
  }
}

function lexLiteralString(s: string, i: number): number {
  if (s[i] !== "'") return -1;
  i++;
  while (i < s.length && isLiteralChar(s.charCodeAt(i))) i++;
  return s[i] === "'" ? i + 1 : -1;
}

/** The run of `q` starting at i: its length. */
function runOf(s: string, i: number, q: string): number {
  let n = 0;
  while (s[i + n] === q) n++;
  return n;
}

/** Multi-line string body from i (after the opening delimiter): end of the closing delimiter, or -1. */
function lexMultiline(s: string, i: number, q: string, basic: boolean): number {
  for (;;) {
    if (s[i] === q) {
      const n = runOf(s, i, q);
      if (n >= 3) return i + Math.min(n, 5);
      i += n;
      continue;
    }
    const nl = lexNewline(s, i);
    if (nl >= 0) {
      i = nl;
      continue;
    }
    if (basic && s[i] === "\\") {
      const lineEnd = lexNewline(s, lexWs(s, i + 1));
      i = lineEnd >= 0 ? lineEnd : lexEscape(s, i);
      if (i < 0) return -1;
      continue;
    }
    if (i < s.length && (basic ? isBasicChar(s.charCodeAt(i)) : isLiteralChar(s.charCodeAt(i)))) i++;
    else return -1;
  }
}

// ------------------------------------------------------------------ UTF-8

/** The length of the well-formed UTF-8 sequence (RFC 3629) at i, or 0. */
function utf8SeqLength(s: string, i: number): number {
  const b = s.charCodeAt(i);
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) n = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    n = 2;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 3;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  for (let k = 1; k <= n; k++) {
    const c = s.charCodeAt(i + k);
    const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
    if (!(c >= min && c <= max)) return 0;
  }
  return n + 1;
}

/** The offset of the first byte that is not well-formed UTF-8, or -1. */
function utf8ErrorAt(s: string): number {
  for (let i = 0; i < s.length; ) {
    const n = utf8SeqLength(s, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/** A code point from `\u`/`\U` as UTF-8 bytes; `place` is where toml11 reports a bad one. */
function codepointBytes(hex: string, place: PlaceRef): string {
  const cp = parseInt(hex, 16);
  if (cp >= 0xd800 && cp <= 0xdfff) {
    fail("toml::read_utf8_codepoint: codepoints in the range [0xD800, 0xDFFF] are not valid UTF-8.", [[place, "not a valid UTF-8 codepoint"]]);
  }
  if (cp >= 0x110000) fail("toml::read_utf8_codepoint: input codepoint is too large.", [[place, "should be in [0x00..0x10FFFF]"]]);
  return Buffer.from(String.fromCodePoint(cp), "utf8").toString("latin1");
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", b: "\b", t: "\t", n: "\n", f: "\f", r: "\r" };

/** The value of an escape sequence already lexed as [i, end). */
function escapeValue(s: string, i: number, end: number, place: PlaceRef): string {
  const c = s[i + 1]!;
  return SIMPLE_ESCAPES[c] ?? codepointBytes(s.slice(i + 2, end), place);
}

/** toml11's show_char: a graphic ASCII character as itself, others as 0xNN. */
function showChar(c: string): string {
  const code = c.charCodeAt(0);
  return code >= 0x21 && code <= 0x7e ? c : "0x" + code.toString(16).padStart(2, "0");
}

// ------------------------------------------------------------------ values

/** C++ `istream >> double`: out-of-range magnitudes become ±DBL_MAX. */
function toDouble(text: string): number {
  const x = Number(text);
  if (x === Infinity) return Number.MAX_VALUE;
  if (x === -Infinity) return -Number.MAX_VALUE;
  return x;
}

function clampInt(n: bigint): bigint {
  return n > INT64_MAX ? INT64_MAX : n < INT64_MIN ? INT64_MIN : n;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

class Parser {
  pos = 0;
  constructor(
    readonly s: string,
    readonly mode: TomlMode = "2.8",
  ) {}

  private skip(lexer: (s: string, i: number) => number): boolean {
    const end = lexer(this.s, this.pos);
    if (end < 0) return false;
    this.pos = end;
    return true;
  }

  private atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  /** toml11's location at a position: one character. */
  at(pos = this.pos): () => Place {
    return () => ({ ...this.resolve({ start: pos, end: pos }), size: 1 });
  }

  /** toml11's region: the line of its start, the text of that line up to the first newline. */
  span(r: Region): () => Place {
    return () => this.resolve(r);
  }

  private resolve(r: Region): Place {
    const s = this.s;
    const lineStart = r.start === 0 ? 0 : s.lastIndexOf("\n", r.start - 1) + 1;
    const next = s.indexOf("\n", r.start);
    let line = 1;
    for (let i = s.indexOf("\n"); i >= 0 && i < r.start; i = s.indexOf("\n", i + 1)) line++;
    return { line, column: r.start - lineStart + 1, size: r.end - r.start, lineText: s.slice(lineStart, next < 0 ? s.length : next) };
  }

  insert(
    root: TomlTable,
    value: TomlValue,
    valueRegion: Region,
    keys: readonly string[],
    keyRegion: Region,
    keyOrigin: Origin,
    arrayOfTables = false,
  ): void {
    insertNested(this, root, { value, valueRegion, keys, keyRegion, keyOrigin, arrayOfTables });
  }

  private checkUtf8(start: number, end: number): void {
    const bad = utf8ErrorAt(this.s.slice(start, end));
    if (bad >= 0) fail("parse_ml_basic_string: invalid utf8 sequence found", [[this.at(start + bad), "here"]]);
  }

  /** (ws? comment? newline)+ : whether at least one line was skipped. */
  private skipLines(): boolean {
    let any = false;
    for (;;) {
      const start = this.pos;
      this.skip(lexWs);
      this.skip(lexComment);
      if (!this.skip(lexNewline)) {
        this.pos = start;
        return any;
      }
      any = true;
    }
  }

  /** ws? comment? newline, as a lookahead that restores on failure. */
  private skipRestOfLine(): boolean {
    const start = this.pos;
    this.skip(lexWs);
    this.skip(lexComment);
    if (this.skip(lexNewline)) return true;
    this.pos = start;
    return false;
  }

  private lexKeyValSep(): boolean {
    const start = this.pos;
    this.skip(lexWs);
    if (this.s[this.pos] !== "=") {
      this.pos = start;
      return false;
    }
    this.pos++;
    this.skip(lexWs);
    return true;
  }

  // -------------------------------------------------------------- file

  parseFile(): TomlTable {
    if (this.s === "") return new TomlTable({ kind: "header", keys: [] });
    if (this.s.startsWith("\xef\xbb\xbf")) this.pos = 3;
    const root = this.parseTableBody();
    while (!this.atEnd()) {
      const aot = attempt(this, () => this.parseArrayTableKey());
      if (aot !== undefined) {
        const table = this.parseTableBody();
        table.origin = { kind: "arrayHeader" };
        this.insert(root, table, aot.region, aot.keys, aot.region, table.origin, true);
        continue;
      }
      const header = attempt(this, () => this.parseTableKey());
      if (header !== undefined) {
        const table = this.parseTableBody();
        table.origin = { kind: "header", keys: header.keys };
        this.insert(root, table, header.region, header.keys, header.region, table.origin);
        continue;
      }
      soft("toml::parse_toml_file: unknown line appeared", [[this.at(), "unknown format"]]);
    }
    return root;
  }

  /** Key/value lines up to the next table header (toml11's parse_ml_table). */
  private parseTableBody(): TomlTable {
    const body = new TomlTable({ kind: "header", keys: [] });
    if (this.atEnd()) return body;
    this.skipLines();
    this.skip(lexWs);
    while (!this.atEnd()) {
      this.skip(lexWs);
      const before = this.pos;
      // (Only a `[` can start a header: the check spares two failed attempts a line.)
      const header =
        this.s[this.pos] === "[" &&
        (attempt(this, () => this.parseArrayTableKey()) !== undefined || attempt(this, () => this.parseTableKey()) !== undefined);
      if (header) {
        this.pos = before;
        return body;
      }
      const kv = this.parseKeyValuePair();
      this.insert(body, kv.value, kv.valueRegion, kv.keys, kv.keyRegion, { kind: "dotted" });
      this.skip(lexWs);
      this.skip(lexComment);
      if (!this.skipLines() && !this.atEnd()) {
        const at = lexWs(this.s, this.pos);
        soft("toml::parse_table: invalid line format", [[this.at(at), `expected newline, but got '${showChar(this.s[at]!)}'.`]]);
      }
      this.skip(lexWs);
      this.skip(lexComment);
    }
    return body;
  }

  /** `[a.b]` and the end of its line. */
  private parseTableKey(): { keys: string[]; region: Region } {
    const start = this.pos;
    const notKey = (): never => soft("toml::parse_table_key: not a valid table key", [[this.at(start), "here"]]);
    if (this.s[this.pos] !== "[") notKey();
    this.pos++;
    this.skip(lexWs);
    const keys = attempt(this, () => this.parseKey());
    if (keys === undefined) return notKey();
    this.skip(lexWs);
    if (this.s[this.pos] !== "]") notKey();
    this.pos++;
    const region = { start, end: this.pos };
    if (!this.atEnd() && !this.skipRestOfLine()) {
      fail("toml::parse_table_key: newline required after [table.key]", [[this.at(), "expected newline"]]);
    }
    return { keys, region };
  }

  /** `[[a.b]]` and the end of its line. */
  private parseArrayTableKey(): { keys: string[]; region: Region } {
    const start = this.pos;
    const notKey = (): never => soft("toml::parse_array_table_key: not a valid table key", [[this.at(start), "here"]]);
    if (this.s.slice(this.pos, this.pos + 2) !== "[[") notKey();
    this.pos += 2;
    this.skip(lexWs);
    const keys = attempt(this, () => this.parseKey());
    if (keys === undefined) return notKey();
    this.skip(lexWs);
    if (this.s.slice(this.pos, this.pos + 2) !== "]]") notKey();
    this.pos += 2;
    const region = { start, end: this.pos };
    if (!this.atEnd() && !this.skipRestOfLine()) {
      fail("toml::parse_array_table_key: newline required after [[table.key]]", [[this.at(), "expected newline"]]);
    }
    return { keys, region };
  }

  // -------------------------------------------------------------- keys

  private parseSimpleKey(): string {
    const quote = this.s[this.pos];
    const basic = quote === '"' ? attempt(this, () => this.parseBasicString()) : undefined;
    if (basic !== undefined) return basic;
    const literal = quote === "'" ? attempt(this, () => this.parseLiteralString()) : undefined;
    if (literal !== undefined) return literal;
    const start = this.pos;
    while (isBareKeyChar(this.s[this.pos])) this.pos++;
    if (this.pos > start) return this.s.slice(start, this.pos);
    return soft("toml::parse_simple_key: ", [[this.at(), "the next token is not a simple key"]]);
  }

  /** A simple or dotted key (whitespace allowed around the dots). */
  private parseKey(): string[] {
    const first = attempt(this, () => this.parseSimpleKey());
    if (first === undefined) soft("toml::parse_key: an invalid key appeared.", [[this.at(), "is not a valid key"]], KEY_HINTS);
    const keys = [first];
    for (;;) {
      const save = this.pos;
      this.skip(lexWs);
      if (this.s[this.pos] !== ".") {
        this.pos = save;
        return keys;
      }
      this.pos++;
      this.skip(lexWs);
      const next = attempt(this, () => this.parseSimpleKey());
      if (next === undefined) {
        this.pos = save;
        return keys;
      }
      keys.push(next);
    }
  }

  private parseKeyValuePair(): { keys: string[]; keyRegion: Region; value: TomlValue; valueRegion: Region } {
    const first = this.pos;
    const keys = attempt(this, () => this.parseKey());
    if (keys === undefined) {
      if (this.lexKeyValSep()) {
        this.pos = first;
        soft("toml::parse_key_value_pair: empty key is not allowed.", [[this.at(), "key expected before '='"]]);
      }
      soft("toml::parse_key: an invalid key appeared.", [[this.at(first), "is not a valid key"]], KEY_HINTS);
    }
    const keyRegion = { start: first, end: this.pos };
    if (!this.lexKeyValSep()) {
      const lineEnd = this.s.indexOf("\n", this.pos);
      const rest = this.s.slice(this.pos, lineEnd < 0 ? undefined : lineEnd);
      const here = this.at();
      this.pos = first;
      if (rest.includes("=")) {
        soft("toml::parse_key_value_pair: invalid format for key", [[here, "invalid character in key"]], [
          "Did you forget '.' to separate dotted-key?",
          "Allowed characters for bare key are [0-9a-zA-Z_-].",
        ]);
      }
      soft("toml::parse_key_value_pair: missing key-value separator `=`", [[here, "should be `=`"]]);
    }
    const afterSep = this.pos;
    try {
      const value = this.parseValue();
      return { keys, keyRegion, value, valueRegion: { start: afterSep, end: this.pos } };
    } catch (err) {
      if (!(err instanceof Soft)) throw err;
      this.pos = afterSep;
      if (this.skipRestOfLine()) {
        this.pos = first;
        soft("toml::parse_key_value_pair: missing value after key-value separator '='", [[this.at(afterSep), "expected value, but got nothing"]]);
      }
      this.pos = first;
      throw err;
    }
  }

  // -------------------------------------------------------------- values

  parseValue(): TomlValue {
    if (this.atEnd()) soft("toml::parse_value: input is empty", [[this.at(), ""]]);
    switch (this.s[this.pos]) {
      case '"':
      case "'":
        return this.parseString();
      case "t":
      case "f":
        return this.parseBoolean();
      case "[":
        return this.parseArray();
      case "{":
        return this.parseInlineTable();
      case "i":
      case "n":
        return this.parseFloat();
      default:
        return this.parseNumberOrDate();
    }
  }

  private parseBoolean(): boolean {
    for (const word of ["true", "false"]) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return word === "true";
      }
    }
    return soft("toml::parse_boolean: ", [[this.at(), "the next token is not a boolean"]]);
  }

  /** toml11's guess_number_type, then the parser for the type guessed. */
  private parseNumberOrDate(): TomlValue {
    const s = this.s;
    const i = this.pos;
    if (lexOffsetDateTime(s, i) >= 0) return this.parseDateTime(lexOffsetDateTime(s, i));
    const ldt = lexLocalDateTime(s, i);
    if (ldt >= 0) {
      if ("+-Zz".includes(s[ldt] ?? "x")) {
        soft("bad offset: should be [+-]HH:MM or Z", [[this.at(ldt), "[+-]HH:MM or Z"]], ["pass: +09:00, -05:30", "fail: +9:00, -5:30"]);
      }
      return this.parseDateTime(ldt);
    }
    const date = lexDate(s, i);
    if (date >= 0) {
      const c = s[date];
      const pass = "pass: 1979-05-27T07:32:00, 1979-05-27 07:32:00.999999";
      if (c === "T" || c === "t") {
        soft("bad time: should be HH:MM:SS.subsec", [[this.at(date), "HH:MM:SS.subsec"]], [pass, "fail: 1979-05-27T7:32:00, 1979-05-27 17:32"]);
      }
      const hints = [pass, "fail: 1979-05-27T7:32:00, 1979-05-27 7:32"];
      if (isDigit(c)) soft("bad time: missing T", [[this.at(date), "T or space required here"]], hints);
      if (c === " " && isDigit(s[date + 1])) soft("bad time: should be HH:MM:SS.subsec", [[this.at(date + 1), "HH:MM:SS.subsec"]], hints);
      return this.parseDateTime(date);
    }
    const time = lexTime(s, i);
    if (time >= 0) return this.parseDateTime(time);
    const float = lexFloat(s, i);
    if (float >= 0) {
      if (s[float] === "_") soft("bad float: `_` should be surrounded by digits", [[this.at(float), "here"]], FLOAT_HINTS);
      return this.parseFloat();
    }
    const int = lexInteger(s, i);
    if (int >= 0) {
      const c = s[int];
      if (c === "_") soft("bad integer: `_` should be surrounded by digits", [[this.at(int), "here"]], INT_HINTS);
      if (isDigit(c)) soft("bad integer: leading zero", [[this.at(int - 1), "here"]], INT_HINTS);
      if (c === ":" || c === "-") {
        soft("bad datetime: invalid format", [[this.at(int), "here"]], [
          "pass: 1979-05-27T07:32:00-07:00, 1979-05-27 07:32:00.999999Z",
          "fail: 1979-05-27T7:32:00-7:00, 1979-05-27 7:32-00:30",
        ]);
      }
      if (c === "." || c === "e" || c === "E") soft("bad float: invalid format", [[this.at(int), "here"]], FLOAT_HINTS);
      return this.parseInteger();
    }
    if (s[i] === ".") soft("bad float: invalid format", [[this.at(i), "integer part required before this"]], FLOAT_HINTS);
    if (s[i] === "_") soft("bad number: `_` should be surrounded by digits", [[this.at(i), "`_` is not surrounded by digits"]], INT_HINTS);
    return soft("bad format: unknown value appeared", [[this.at(i), "here"]]);
  }

  private parseInteger(): bigint {
    const s = this.s;
    const i = this.pos;
    if (s[i] === "0") {
      const second = s[i + 1];
      if (second === undefined) {
        this.pos++;
        return 0n;
      }
      if (second === "b") return this.parseBased("0b", isBin, "toml::parse_binary_integer:");
      if (second === "o") return this.parseBased("0o", isOct, "toml::parse_octal_integer:");
      if (second === "x") return this.parseBased("0x", isHex, "toml::parse_hexadecimal_integer");
      if (isDigit(second)) soft("toml::parse_integer: leading zero in an Integer is not allowed.", [[this.at(), "leading zero"]]);
      if (/^[A-Za-z]$/.test(second)) soft("toml::parse_integer: unknown integer prefix appeared.", [[this.at(), "none of 0x, 0o, 0b"]]);
    }
    const end = lexDecInt(s, i);
    if (end < 0) soft("toml::parse_integer: ", [[this.at(), "the next token is not an integer"]]);
    const value = BigInt(s.slice(i, end).replaceAll("_", ""));
    if (this.mode === "current" && clampInt(value) !== value) {
      soft("toml::parse_dec_integer: too large integer: current max digits = 2^63", [[this.at(end), "must be < 2^63"]]);
    }
    this.pos = end;
    // istream >> int64 saturates out-of-range values.
    return clampInt(value);
  }

  private parseBased(prefix: "0b" | "0o" | "0x", digit: (c: string | undefined) => boolean, title: string): bigint {
    const end = lexPrefixed(this.s, this.pos, prefix, digit);
    if (end < 0) soft(title, [[this.at(), "the next token is not an integer"]]);
    const value = BigInt(prefix + this.s.slice(this.pos + 2, end).replaceAll("_", ""));
    this.pos = end;
    // toml11 sums binary digits in an int64 (wrapping); hex and octal go through istream (saturating).
    return prefix === "0b" ? BigInt.asIntN(64, value) : clampInt(value);
  }

  private parseFloat(): number {
    const end = lexFloat(this.s, this.pos);
    if (end < 0) soft("toml::parse_floating: ", [[this.at(), "the next token is not a float"]]);
    const text = this.s.slice(this.pos, end);
    this.pos = end;
    const special = text.replace(/^\+/, "");
    if (special === "inf") return Infinity;
    if (special === "-inf") return -Infinity;
    if (special === "nan") return NaN;
    if (special === "-nan") return -NaN; // V8 keeps the sign bit; CppNix prints `-nan`

    return toDouble(text.replaceAll("_", ""));
  }

  /** A date/time token (validated as toml11 does); its value is only a marker. */
  private parseDateTime(end: number): TomlDateTime {
    const text = this.s.slice(this.pos, end);
    const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
    const time = /(?:^|[Tt ])(\d{2}):(\d{2}):(\d{2})/.exec(text);
    // Inside a date-time, toml11 checks the date and the time on a copy of the local part alone.
    const local = date && time ? text.replace(/([Zz]|[+-]\d{2}:\d{2})$/, "") : "";
    if (date) {
      const year = Number(date[1]);
      const month = Number(date[2]);
      const day = Number(date[3]);
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      const maxDay = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
      if (month < 1 || month > 12 || day < 1 || day > maxDay) {
        fail("toml::parse_date: invalid date: it does not conform RFC3339.", [
          [time ? placeInToken(local, 10) : this.at(end), "month should be 01-12, day should be 01-28,29,30,31, depending on month/year."],
        ]);
      }
    }
    if (time && (Number(time[1]) > 23 || Number(time[2]) > 59 || Number(time[3]) > 60)) {
      fail("toml::parse_time: invalid time: it does not conform RFC3339.", [
        [
          date ? placeInToken(local, local.length) : this.at(end),
          "hour should be 00-23, minute should be 00-59, second should be 00-60 (depending on the leap second rules.)",
        ],
      ]);
    }
    const offset = /[+-](\d{2}):(\d{2})$/.exec(text);
    if (date && time && offset && (Number(offset[1]) > 23 || Number(offset[2]) > 59)) {
      fail("toml::parse_offset_datetime: invalid offset: it does not conform RFC3339.", [
        [this.at(end), "month should be 01-12, day should be 01-28,29,30,31, depending on month/year."],
      ]);
    }
    this.pos = end;
    return new TomlDateTime(text);
  }

  // -------------------------------------------------------------- strings

  private parseString(): string {
    const s = this.s;
    const i = this.pos;
    if (s[i] === '"') return s.startsWith('"""', i) ? this.parseMultilineBasic() : this.parseBasicString();
    if (s[i] === "'") return s.startsWith("'''", i) ? this.parseMultilineLiteral() : this.parseLiteralString();
    return soft("toml::parse_string: ", [[this.at(), "the next token is not a string"]]);
  }

  private parseBasicString(): string {
    const end = lexBasicString(this.s, this.pos);
    if (end < 0) soft("toml::parse_basic_string: the next token is not a valid string", [[this.at(), "here"]]);
    const value = this.unescape(this.pos + 1, end - 1);
    this.checkUtf8(this.pos, end);
    this.pos = end;
    return value;
  }

  private parseLiteralString(): string {
    const end = lexLiteralString(this.s, this.pos);
    if (end < 0) soft("toml::parse_literal_string: the next token is not a valid literal string", [[this.at(), "here"]]);
    const token = this.s.slice(this.pos, end);
    this.checkUtf8(this.pos, end);
    this.pos = end;
    return token.slice(1, -1);
  }

  /** Content and closing delimiter of a multi-line string whose opening delimiter starts at pos. */
  private multiline(q: string, basic: boolean, title: string): { start: number; bodyEnd: number; end: number } {
    const end = lexMultiline(this.s, this.pos + 3, q, basic);
    if (end < 0) soft(title, [[this.at(), "here"]]);
    // The closing run is 3–5 quotes: up to two belong to the content.
    let bodyEnd = end - 3;
    let start = this.pos + 3;
    start = Math.max(start, lexNewline(this.s, start)); // a newline right after the delimiter is dropped
    bodyEnd = Math.max(bodyEnd, start);
    return { start, bodyEnd, end };
  }

  private parseMultilineBasic(): string {
    const { start, bodyEnd, end } = this.multiline('"', true, "toml::parse_ml_basic_string: the next token is not a valid multiline string");
    const value = this.unescape(start, bodyEnd);
    this.checkUtf8(this.pos, end);
    this.pos = end;
    return value;
  }

  private parseMultilineLiteral(): string {
    const { start, bodyEnd, end } = this.multiline(
      "'",
      false,
      "toml::parse_ml_literal_string: the next token is not a valid multiline literal string",
    );
    this.checkUtf8(this.pos, end);
    const value = this.s.slice(start, bodyEnd);
    this.pos = end;
    return value;
  }

  /** The bytes of [from, to) with escapes (and, in multi-line strings, line-ending backslashes) resolved. */
  private unescape(from: number, to: number): string {
    const s = this.s;
    let out = "";
    let i = from;
    while (i < to) {
      const c = s[i]!;
      if (c !== "\\") {
        out += c;
        i++;
        continue;
      }
      const lineEnd = lexNewline(s, lexWs(s, i + 1));
      if (lineEnd >= 0) {
        i = lineEnd;
        while (i < to && (isWs(s[i]) || lexNewline(s, i) >= 0)) i = isWs(s[i]) ? i + 1 : lexNewline(s, i);
        continue;
      }
      const end = lexEscape(s, i);
      out += escapeValue(s, i, end, this.at(end));
      i = end;
    }
    return out;
  }

  // -------------------------------------------------------------- arrays and inline tables

  private skipWsCommentNewlines(): void {
    for (;;) {
      const before = this.pos;
      this.skip(lexWs);
      this.skip(lexComment);
      this.skip(lexNewline);
      if (this.pos === before) return;
    }
  }

  private parseArray(): TomlArray {
    const first = this.pos;
    this.pos++; // [
    const items: TomlValue[] = [];
    const regions: Region[] = [];
    const starts: Note = [this.at(first), "array starts here"];
    while (!this.atEnd()) {
      this.skipWsCommentNewlines();
      if (this.s[this.pos] === "]") {
        this.pos++;
        return new TomlArray(items, regions, false);
      }
      const start = this.pos;
      const value = attempt(this, () => this.parseValue());
      if (value === undefined) fail("toml::parse_array: value having invalid format appeared in an array", [starts, [this.at(), "it is not a valid value."]]);
      items.push(value);
      regions.push({ start, end: this.pos });
      const beforeSep = this.pos;
      this.skipWsCommentNewlines();
      if (this.s[this.pos] === ",") {
        this.pos++;
        continue;
      }
      this.pos = beforeSep;
      this.skipWsCommentNewlines();
      if (this.s[this.pos] === "]") {
        this.pos++;
        return new TomlArray(items, regions, false);
      }
      fail("toml::parse_array: missing array separator `,` after a value", [starts, [this.at(), "should be `,`"]]);
    }
    this.pos = first;
    return fail("toml::parse_array: array did not closed by `]`", [[this.at(), "should be closed"]]);
  }

  private parseInlineTable(): TomlTable {
    const table = new TomlTable({ kind: "inline" });
    const first = this.pos;
    this.pos++; // {
    this.skip(lexWs);
    if (this.s[this.pos] === "}") {
      this.pos++;
      return table;
    }
    while (!this.atEnd()) {
      let kv: ReturnType<Parser["parseKeyValuePair"]>;
      try {
        kv = this.parseKeyValuePair();
      } catch (err) {
        // toml11 returns this error without rewinding to the `{`: an array reports it at the pair.
        if (err instanceof Soft) err.resumeAt = this.pos;
        throw err;
      }
      this.insert(table, kv.value, kv.valueRegion, kv.keys, kv.keyRegion, { kind: "dotted" });
      this.skip(lexWs);
      if (this.s[this.pos] !== ",") {
        if (this.atEnd()) fail("toml::parse_inline_table: missing table separator `}` ", [[this.at(), "should be `}`"]]);
        const c = this.s[this.pos];
        if (c === "}") {
          this.pos++;
          return table;
        }
        if (c === "#" || c === "\r" || c === "\n") fail("toml::parse_inline_table: missing curly brace `}`", [[this.at(), "should be `}`"]]);
        fail("toml::parse_inline_table: missing table separator `,` ", [[this.at(), "should be `,`"]]);
      }
      this.pos++;
      this.skip(lexWs);
      if (this.s[this.pos] === "}") {
        fail("toml::parse_inline_table: trailing comma is not allowed in an inline table", [[this.at(), "should be `}`"]]);
      }
    }
    this.pos = first;
    return fail("toml::parse_inline_table: inline table did not closed by `}`", [[this.at(), "should be closed"]]);
  }
}

// ------------------------------------------------------------------ tables

/** Whether an existing table may be reopened by `inserting` (toml11's is_valid_forward_table_definition). */
function mayReopen(existing: TomlTable, inserting: TomlTable, keys: readonly string[]): boolean {
  if (inserting.origin.kind === "inline") return false;
  const o = existing.origin;
  if (o.kind === "header") return !sameKeys(o.keys, keys);
  // A dotted key's region names at least two keys; toml11 compares it with the one being inserted.
  return o.kind === "dotted";
}

function typeName(v: TomlValue): string {
  if (typeof v === "bigint") return "integer";
  if (typeof v === "number") return "floating";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string") return "string";
  if (v instanceof TomlArray) return "array";
  if (v instanceof TomlTable) return "table";
  return v.typeName;
}

/** What is being inserted: the value, the key path, and where each was written. */
interface Insertion {
  value: TomlValue;
  valueRegion: Region;
  keys: readonly string[];
  keyRegion: Region;
  /** The origin of tables the key path creates (and of a table it reopens). */
  keyOrigin: Origin;
  arrayOfTables: boolean;
}

/**
 * Inserts a value at a dotted key path under `root`, creating tables on the
 * way (toml11's insert_nested_key, with its checks and messages).
 */
function insertNested(p: Parser, root: TomlTable, ins: Insertion): void {
  const { value, keys } = ins;
  const inserting = p.span(ins.valueRegion);
  const whole = keys.join(".");
  const path = (n: number): string => keys.slice(0, n).join(".");
  let tab = root;
  for (let n = 0; n < keys.length; n++) {
    const k = keys[n]!;
    const existing = tab.entries.get(k);
    const there = (): PlaceRef => p.span(tab.regions.get(k)!);
    if (n === keys.length - 1) {
      if (ins.arrayOfTables) {
        if (existing === undefined) {
          tab.entries.set(k, new TomlArray([value], [ins.valueRegion], true));
          tab.regions.set(k, ins.keyRegion);
          return;
        }
        if (existing instanceof TomlTable) {
          fail(`toml::insert_value: array of table ("${whole}") cannot be defined`, [
            [there(), "table already defined"],
            [inserting, "this conflicts with the previous table"],
          ]);
        }
        if (!(existing instanceof TomlArray) || existing.items.length === 0 || !(existing.items[0] instanceof TomlTable)) {
          fail(`toml::insert_value: array of table ("${whole}") collides with existing value`, [
            [there(), `this ${typeName(existing)} value already exists`],
            [inserting, "while inserting this array-of-tables"],
          ]);
        }
        if (!existing.ofTables) {
          fail(`toml::insert_value: array of table ("${whole}") collides with existing array-of-tables`, [
            [there(), "this array value has static size"],
            [inserting, "appending it to the statically sized array"],
          ]);
        }
        existing.items.push(value);
        existing.regions.push(ins.valueRegion);
        return;
      }
      if (existing === undefined) {
        tab.entries.set(k, value);
        tab.regions.set(k, ins.valueRegion);
        return;
      }
      if (existing instanceof TomlTable && value instanceof TomlTable) {
        if (!mayReopen(existing, value, keys)) {
          fail(`toml::insert_value: table ("${whole}") already exists.`, [
            [there(), "table already exists here"],
            [inserting, "table defined twice"],
          ]);
        }
        for (const [k2, v2] of value.entries) {
          if (existing.entries.has(k2)) {
            fail(`toml::insert_value: value ("${whole}") already exists.`, [
              [p.span(existing.regions.get(k2)!), "already exists here"],
              [inserting, "this defined twice"],
            ]);
          }
          existing.entries.set(k2, v2);
          existing.regions.set(k2, value.regions.get(k2)!);
        }
        existing.origin = ins.keyOrigin;
        tab.regions.set(k, ins.keyRegion);
        return;
      }
      if (value instanceof TomlTable && existing instanceof TomlArray && existing.items[0] instanceof TomlTable) {
        fail(`toml::insert_value: array of tables ("${whole}") already exists.`, [
          [there(), "array of tables defined here"],
          [inserting, "table conflicts with the previous array of table"],
        ]);
      }
      fail(`toml::insert_value: value ("${whole}") already exists.`, [
        [there(), "value already exists here"],
        [inserting, "value defined twice"],
      ]);
    }
    if (existing === undefined) {
      const created = new TomlTable(ins.keyOrigin);
      tab.entries.set(k, created);
      tab.regions.set(k, ins.keyRegion);
      tab = created;
    } else if (existing instanceof TomlTable) {
      if (existing.origin.kind === "inline") {
        fail(`toml::insert_value: inserting to an inline table (${path(n + 1)}) but inline tables are immutable`, [
          [there(), "inline tables are immutable"],
          [inserting, "inserting this"],
        ]);
      }
      tab = existing;
    } else if (existing instanceof TomlArray && existing.items.length > 0) {
      const last = existing.items[existing.items.length - 1]!;
      if (!(last instanceof TomlTable)) {
        fail(`toml::insert_value: target (${path(n + 1)}) is neither table nor an array of tables`, [
          [p.span(existing.regions[existing.regions.length - 1]!), `actual type is ${typeName(last)}`],
          [inserting, "inserting this"],
        ]);
      }
      tab = last;
    } else {
      fail(`toml::insert_value: target (${path(n + 1)}) is neither table nor an array of tables`, [
        [there(), `actual type is ${typeName(existing)}`],
        [inserting, "inserting this"],
      ]);
    }
  }
}
