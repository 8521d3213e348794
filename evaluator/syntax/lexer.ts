/**
 * The Nix lexer: a hand-written scanner over char codes that reproduces CppNix
 * 2.8's flex lexer (longest match, rule order on ties, and its start-condition
 * stack for strings, indented strings and interpolated paths).
 */
import { NixSyntaxError } from "./errors.js";
import { pipeOperatorsEnabled } from "./features.js";

export const enum T {
  EOF,
  ID,
  STR,
  IND_STR,
  INT,
  FLOAT,
  PATH,
  HPATH,
  SPATH,
  PATH_END,
  URI,
  IF,
  THEN,
  ELSE,
  ASSERT,
  WITH,
  LET,
  IN,
  REC,
  INHERIT,
  EQ,
  NEQ,
  AND,
  OR,
  IMPL,
  OR_KW,
  DOLLAR_CURLY,
  IND_STRING_OPEN,
  IND_STRING_CLOSE,
  ELLIPSIS,
  LEQ,
  GEQ,
  UPDATE,
  CONCAT,
  /** `<|` and `|>` (experimental `pipe-operators`). */
  PIPE_FROM,
  PIPE_INTO,
  /** A character CppNix's grammar does not know. */
  INVALID,
  /** Single-character tokens are CHAR + their char code. */
  CHAR = 100,
}

const TOKEN_NAMES: Record<number, string> = {
  [T.EOF]: "end of file",
  [T.ID]: "identifier",
  [T.STR]: "string",
  [T.IND_STR]: "indented string",
  [T.INT]: "integer",
  [T.FLOAT]: "floating-point literal",
  [T.PATH]: "path",
  [T.HPATH]: "'~/\u00e2\u0080\u00a6' path",
  [T.SPATH]: "'<\u00e2\u0080\u00a6>' path",
  [T.PATH_END]: "end of path",
  [T.URI]: "URI",
  [T.IF]: "'if'",
  [T.THEN]: "'then'",
  [T.ELSE]: "'else'",
  [T.ASSERT]: "'assert'",
  [T.WITH]: "'with'",
  [T.LET]: "'let'",
  [T.IN]: "'in'",
  [T.REC]: "'rec'",
  [T.INHERIT]: "'inherit'",
  [T.EQ]: "'=='",
  [T.NEQ]: "'!='",
  [T.AND]: "'&&'",
  [T.OR]: "'||'",
  [T.IMPL]: "'->'",
  [T.OR_KW]: "'or'",
  [T.DOLLAR_CURLY]: "'${'",
  [T.IND_STRING_OPEN]: "start of an indented string",
  [T.IND_STRING_CLOSE]: "end of an indented string",
  [T.ELLIPSIS]: "'...'",
  [T.LEQ]: "'<='",
  [T.GEQ]: "'>='",
  [T.UPDATE]: "'//'",
  [T.CONCAT]: "'++'",
  [T.PIPE_FROM]: "'<|'",
  [T.PIPE_INTO]: "'|>'",
  [T.INVALID]: "invalid token",
};

/** The token name as current CppNix's bison grammar prints it in `syntax error, unexpected …` (its token aliases; 2.8 printed the bare names, ID, OR_KW …). Glyphs are UTF-8 bytes. */
export function tokenName(type: number): string {
  if (type >= T.CHAR) return `'${String.fromCharCode(type - T.CHAR)}'`;
  return TOKEN_NAMES[type] ?? "invalid token";
}

export const ch = (c: string): number => T.CHAR + c.charCodeAt(0);

const TOK_LBRACE = ch("{");
const TOK_RBRACE = ch("}");
const TOK_QUOTE = ch('"');
const TOK_LT = ch("<");
const TOK_GT = ch(">");
const TOK_EQUALS = ch("=");
const TOK_BANG = ch("!");

/**
 * Identifiers are interned process-wide: the AST (and the evaluator's attribute
 * names) then share one string per name instead of one copy per occurrence. The
 * entry also holds the word's token type, so one lookup both interns a word and
 * tells keywords from identifiers.
 */
interface Word {
  readonly name: string;
  readonly type: T;
}
const WORDS = new Map<string, Word>();
for (const [name, type] of [
  ["if", T.IF],
  ["then", T.THEN],
  ["else", T.ELSE],
  ["assert", T.ASSERT],
  ["with", T.WITH],
  ["let", T.LET],
  ["in", T.IN],
  ["rec", T.REC],
  ["inherit", T.INHERIT],
  ["or", T.OR_KW],
] as const) {
  WORDS.set(name, { name, type });
}

function word(s: string): Word {
  const hit = WORDS.get(s);
  if (hit !== undefined) return hit;
  const name = flatCopy(s);
  const w: Word = { name, type: T.ID };
  WORDS.set(name, w);
  return w;
}

/**
 * A copy of `s` that does not point into the text it was sliced from (V8 makes
 * slices of 13 chars or more views of their parent): the table lives as long as
 * the process and must not keep every file's text alive through one long name.
 * Identifiers are ASCII, so the latin1 round trip is exact.
 */
function flatCopy(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "latin1").toString("latin1");
}

// Character classes, as bit flags per char code: one table for every UTF-16 code,
// so scanning loops index it directly (no range check, no helper call; the lexer
// runs mostly before V8 optimises it, where each call and branch costs).
const ID_START = 1;
const ID_CHAR = 2;
const PATH_CHAR = 4;
const DIGIT = 8;
const URI_SCHEME = 16;
const URI_CHAR = 32;
/** Ends a run of plain text inside "…": `"`, `\\`, `$`, CR. */
const STR_STOP = 64;
/** Ends a run of plain text inside ''…'': `$`, `'`. */
const IND_STOP = 128;
const CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const s = String.fromCharCode(c);
  const alpha = /[a-zA-Z]/.test(s);
  const digit = /[0-9]/.test(s);
  let k = 0;
  if (alpha || s === "_") k |= ID_START;
  if (alpha || digit || "_'-".includes(s)) k |= ID_CHAR;
  if (alpha || digit || "._-+".includes(s)) k |= PATH_CHAR;
  if (digit) k |= DIGIT;
  if (alpha || digit || "+-.".includes(s)) k |= URI_SCHEME;
  if (alpha || digit || "%/?:@&=+$,-_.!~*'".includes(s)) k |= URI_CHAR;
  if ('"\\$\r'.includes(s)) k |= STR_STOP;
  if ("$'".includes(s)) k |= IND_STOP;
  CLASS[c] = k;
}

/** Single characters the grammar uses as tokens; others are `invalid token`. */
const GRAMMAR_CHARS = new Uint8Array(128);
for (const c of ':@;{}()[].?!-+*/<>=,"') GRAMMAR_CHARS[c.charCodeAt(0)] = 1;

const enum Mode {
  DEFAULT,
  STRING,
  IND_STRING,
  INPATH,
  INPATH_SLASH,
}

export interface Token {
  type: T;
  /** Offsets into the source text: [start, end). */
  start: number;
  end: number;
  /**
   * ID: the name; STR: the unescaped text; IND_STR: the raw (or escape-produced)
   * text; INT/FLOAT/PATH/HPATH/SPATH/URI: the lexeme.
   */
  text: string;
  /** IND_STR only: whether the text takes part in indentation stripping. */
  indent: boolean;
}

const CC_NL = 10;
const CC_CR = 13;
const CC_SPACE = 32;
const CC_TAB = 9;
const CC_HASH = 35;
const CC_DOLLAR = 36;
const CC_QUOTE = 34;
const CC_APOS = 39;
const CC_SLASH = 47;
const CC_BACKSLASH = 92;
const CC_LBRACE = 123;
const CC_RBRACE = 125;
const CC_STAR = 42;
const CC_DOT = 46;
const CC_TILDE = 126;
const CC_LT = 60;
const CC_GT = 62;
const CC_COLON = 58;

// Class lookups read CLASS[s.charCodeAt(i)] even past the end: NaN indexes nothing,
// and `undefined & bit` is 0, so the end of the text ends every run.

/** The indented-string text rule; `test` from `lastIndex` leaves the run's end there. */
const IND_STR_RUN = /(?:[^$']|\$[^{']|'[^'$])+/y;

export class Lexer {
  private pos = 0;
  private readonly modes: Mode[] = [];
  /** Start of the last lexeme (token, whitespace or comment): where CppNix reports end of file. */
  private lastLexemeStart = 0;
  /** Start of the lexeme before that (CppNix's `prev_yylloc` at end of input). */
  private prevLexemeStart = 0;

  /**
   * Offset of a `.` that follows an identifier and starts a run of path chars
   * ending in neither `/` nor `:` (see lexDefault), else -1.
   */
  private noPathAt = -1;

  /** Whether the text has a CR anywhere: without one, a `#` comment ends at the next LF. */
  private readonly hasCR: boolean;

  constructor(
    private readonly text: string,
    /** Global position of offset 0 (for error positions). */
    private readonly base: number,
  ) {
    this.hasCR = text.includes("\r");
  }

  /** The top of `modes` (DEFAULT when empty, CppNix's INITIAL). */
  private mode: Mode = Mode.DEFAULT;

  private push(mode: Mode): void {
    this.modes.push(mode);
    this.mode = mode;
  }

  private pop(): void {
    this.modes.pop();
    const n = this.modes.length;
    this.mode = n === 0 ? Mode.DEFAULT : this.modes[n - 1]!;
  }

  private error(message: string, offset: number): never {
    throw new NixSyntaxError(message, this.base + offset);
  }

  /** `<|` or `|>`: as in current CppNix, the lexer refuses them unless the feature is on. */
  private pipe(type: T, i: number): Token {
    if (!pipeOperatorsEnabled()) {
      this.error("experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it", i);
    }
    return this.tok(type, i, i + 2);
  }

  private tok(type: T, start: number, end: number, text = "", indent = false): Token {
    this.pos = end;
    this.prevLexemeStart = this.lastLexemeStart;
    this.lastLexemeStart = start;
    return { type, start, end, text, indent };
  }

  next(): Token {
    switch (this.mode) {
      case Mode.DEFAULT:
        return this.lexDefault();
      case Mode.STRING:
        return this.lexString();
      case Mode.IND_STRING:
        return this.lexIndString();
      default:
        return this.lexInPath();
    }
  }

  private lexDefault(): Token {
    const s = this.text;
    const n = s.length;
    let i = this.pos;
    // Whitespace and comments.
    for (;;) {
      if (i >= n) {
        this.pos = i;
        return { type: T.EOF, start: this.lastLexemeStart, end: i, text: "", indent: false };
      }
      const c = s.charCodeAt(i);
      if (c === CC_SPACE || c === CC_NL || c === CC_TAB || c === CC_CR) {
        this.prevLexemeStart = this.lastLexemeStart;
        this.lastLexemeStart = i;
        i++;
        while (i < n) {
          const d = s.charCodeAt(i);
          if (d === CC_SPACE || d === CC_NL || d === CC_TAB || d === CC_CR) i++;
          else break;
        }
        continue;
      }
      if (c === CC_HASH) {
        this.prevLexemeStart = this.lastLexemeStart;
        this.lastLexemeStart = i;
        if (!this.hasCR) {
          const nl = s.indexOf("\n", i + 1);
          i = nl < 0 ? n : nl;
          continue;
        }
        i++;
        while (i < n) {
          const d = s.charCodeAt(i);
          if (d === CC_NL || d === CC_CR) break;
          i++;
        }
        continue;
      }
      if (c === CC_SLASH && s.charCodeAt(i + 1) === CC_STAR) {
        const close = s.indexOf("*/", i + 2);
        if (close >= 0) {
          this.prevLexemeStart = this.lastLexemeStart;
          this.lastLexemeStart = i;
          i = close + 2;
          continue;
        }
      }
      break;
    }
    const c = s.charCodeAt(i);
    const k = CLASS[c]!;
    if (k & ID_START) {
      let j = i + 1;
      while (j < n && CLASS[s.charCodeAt(j)]! & ID_CHAR) j++;
      const after = j < n ? s.charCodeAt(j) : 0;
      // Only a path or URI can make the lexeme longer. `x:` is a URI only with a URI
      // char right after the colon (lambdas have a space); `a.b` a path only when
      // the run of path chars reaches a `/` or `:`.
      if (
        after === CC_SLASH ||
        (after === CC_COLON && CLASS[s.charCodeAt(j + 1)]! & URI_CHAR) ||
        ((after === CC_DOT || after === 43) /* + */ && this.pathOrUriFollows(j))
      ) {
        const t = this.lexWordLike(i, j - i);
        if (t) return t;
      } else if (after === CC_DOT) this.noPathAt = j;
      const w = word(s.slice(i, j));
      this.pos = j;
      this.prevLexemeStart = this.lastLexemeStart;
      this.lastLexemeStart = i;
      return { type: w.type, start: i, end: j, text: w.name, indent: false };
    }
    if (k & DIGIT) {
      let j = i + 1;
      while (j < n && CLASS[s.charCodeAt(j)]! & DIGIT) j++;
      const after = j < n ? s.charCodeAt(j) : 0;
      if (CLASS[after]! & PATH_CHAR || after === CC_SLASH) {
        const t = this.lexWordLike(i, 0);
        if (t) return t;
      }
      return this.tok(T.INT, i, j, s.slice(i, j));
    }
    // One token exit for the punctuation below: TurboFan compiles (and inlines into)
    // this function in every cold run, and each inlined `tok` call site grew its graph.
    let type: number;
    let len = 1;
    const c1 = s.charCodeAt(i + 1);
    switch (c) {
      case CC_LBRACE:
        this.push(Mode.DEFAULT);
        type = TOK_LBRACE;
        break;
      case CC_RBRACE:
        if (this.modes.length > 0) this.pop();
        type = TOK_RBRACE;
        break;
      case CC_QUOTE:
        this.push(Mode.STRING);
        type = TOK_QUOTE;
        break;
      case CC_DOLLAR:
        if (c1 === CC_LBRACE) {
          this.push(Mode.DEFAULT);
          type = T.DOLLAR_CURLY;
          len = 2;
        } else type = T.INVALID;
        break;
      case 61: // =
        if (c1 === 61) {
          type = T.EQ;
          len = 2;
        } else type = TOK_EQUALS;
        break;
      case 33: // !
        if (c1 === 61) {
          type = T.NEQ;
          len = 2;
        } else type = TOK_BANG;
        break;
      case CC_GT:
        if (c1 === 61) {
          type = T.GEQ;
          len = 2;
        } else type = TOK_GT;
        break;
      case 38: // &
        if (c1 === 38) {
          type = T.AND;
          len = 2;
        } else type = T.INVALID;
        break;
      case 124: // |
        if (c1 === 124) {
          type = T.OR;
          len = 2;
        } else if (c1 === CC_GT) return this.pipe(T.PIPE_INTO, i);
        else type = T.INVALID;
        break;
      case 59: // ;
      case 40: // (
      case 41: // )
      case 91: // [
      case 93: // ]
      case 44: // ,
      case CC_COLON:
      case 64: // @
      case 63: // ?
      case CC_STAR:
        type = T.CHAR + c;
        break;
      default:
        return this.lexRest(i, c, k);
    }
    return this.tok(type, i, i + len);
  }

  /** lexDefault's rarer and longer cases: `''`, `~`, `<`, `.`, `-`, `+`, `/` and the rest. */
  private lexRest(i: number, c: number, k: number): Token {
    const s = this.text;
    switch (c) {
      case CC_APOS:
        if (s.charCodeAt(i + 1) === CC_APOS) {
          // `''` plus optional spaces and one newline.
          let j = i + 2;
          while (s.charCodeAt(j) === CC_SPACE) j++;
          const end = s.charCodeAt(j) === CC_NL ? j + 1 : i + 2;
          this.push(Mode.IND_STRING);
          return this.tok(T.IND_STRING_OPEN, i, end);
        }
        return this.tok(T.INVALID, i, i + 1);
      case CC_TILDE: {
        const t = this.lexHomePath(i);
        if (t) return t;
        return this.tok(T.INVALID, i, i + 1);
      }
      case CC_LT: {
        const len = this.searchPathLength(i);
        if (len > 0) return this.tok(T.SPATH, i, i + len, s.slice(i, i + len));
        if (s.charCodeAt(i + 1) === 61) return this.tok(T.LEQ, i, i + 2);
        if (s.charCodeAt(i + 1) === 124) return this.pipe(T.PIPE_FROM, i);
        return this.tok(TOK_LT, i, i + 1);
      }
    }
    if (c === CC_DOT && i === this.noPathAt) {
      // `.` right after an identifier whose path-char run has no `/` or `:`: no path
      // or URI starts here, so it is `.`, `...` or a float `.5`.
      const c1 = s.charCodeAt(i + 1);
      if (c1 !== CC_DOT && !(CLASS[c1]! & DIGIT)) return this.tok(T.CHAR + CC_DOT, i, i + 1);
    }
    if (k & PATH_CHAR || c === CC_SLASH) {
      // `.`, `-`, `+`, `/`: operators, floats, ellipsis or paths.
      const t = this.lexWordLike(i, 0);
      if (t) return t;
    }
    if (c < 128 && GRAMMAR_CHARS[c]) return this.tok(T.CHAR + c, i, i + 1);
    if (c === 0) {
      // CppNix's catch-all rule returns the byte as the token, and token 0 is the end
      // of input to bison: the text after a NUL is never read (`1\0 junk` is 1).
      const end = this.tok(T.EOF, i, i + 1);
      this.pos = s.length;
      return end;
    }
    // A non-ASCII character: flex sees its first byte, an invalid token.
    return this.tok(T.INVALID, i, i + 1);
  }

  /**
   * The general longest-match case for lexemes that may be an identifier, number,
   * operator, path or URI. `idLen` is the identifier length at i (0 if none).
   * Returns undefined if only a single-character token matches.
   */
  private lexWordLike(i: number, idLen: number): Token | undefined {
    const s = this.text;
    let best = idLen;
    let type: T = idLen > 0 ? T.ID : T.EOF;
    let tokenEnd = i + idLen;
    const c = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    // Operators that compete with paths: `...`, `->`, `//`, `++`.
    if (c === CC_DOT && c1 === CC_DOT && s.charCodeAt(i + 2) === CC_DOT) {
      best = 3;
      type = T.ELLIPSIS;
      tokenEnd = i + 3;
    } else if (c === 45 && c1 === CC_GT) {
      best = 2;
      type = T.IMPL;
      tokenEnd = i + 2;
    } else if (c === CC_SLASH && c1 === CC_SLASH) {
      best = 2;
      type = T.UPDATE;
      tokenEnd = i + 2;
    } else if (c === 43 && c1 === 43) {
      best = 2;
      type = T.CONCAT;
      tokenEnd = i + 2;
    }
    const intLen = this.intLength(i);
    if (intLen > best) {
      best = intLen;
      type = T.INT;
      tokenEnd = i + intLen;
    }
    const floatLen = this.floatLength(i);
    if (floatLen > best) {
      best = floatLen;
      type = T.FLOAT;
      tokenEnd = i + floatLen;
    }
    const pathLen = this.pathLength(i);
    if (pathLen > best) {
      best = pathLen;
      type = T.PATH;
      tokenEnd = i + this.pathTokenLength;
    }
    const uriLen = this.uriLength(i);
    if (uriLen > best) {
      best = uriLen;
      type = T.URI;
      tokenEnd = i + uriLen;
    }
    if (best === 0) return undefined;
    const text = s.slice(i, tokenEnd);
    switch (type) {
      case T.ID: {
        const w = word(text);
        return this.tok(w.type, i, tokenEnd, w.name);
      }
      case T.PATH:
        this.push(text.charCodeAt(text.length - 1) === CC_SLASH ? Mode.INPATH_SLASH : Mode.INPATH);
        return this.tok(T.PATH, i, tokenEnd, text);
      case T.FLOAT:
        return this.tok(T.FLOAT, i, tokenEnd, text);
      default:
        return this.tok(type, i, tokenEnd, text);
    }
  }

  /**
   * After an identifier ending at j with `.` or `+` next (`a.b`, `a+b`): could a
   * path or URI continue it? Both need a `/` or `:` right after a run of
   * path / scheme characters.
   */
  private pathOrUriFollows(j: number): boolean {
    const s = this.text;
    while (CLASS[s.charCodeAt(j)]! & (PATH_CHAR | URI_SCHEME)) j++;
    const c = s.charCodeAt(j);
    return c === CC_SLASH || c === CC_COLON;
  }

  private intLength(i: number): number {
    const s = this.text;
    let j = i;
    while (CLASS[s.charCodeAt(j)]! & DIGIT) j++;
    return j - i;
  }

  /** `(([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?` */
  private floatLength(i: number): number {
    const s = this.text;
    let j = i;
    const c = s.charCodeAt(j);
    const isDigit = (x: number): boolean => x >= 48 && x <= 57;
    if (c >= 49 && c <= 57) {
      while (isDigit(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== CC_DOT) return 0;
      j++;
      while (isDigit(s.charCodeAt(j))) j++;
    } else {
      if (c === 48) j++;
      if (s.charCodeAt(j) !== CC_DOT || !isDigit(s.charCodeAt(j + 1))) return 0;
      j += 2;
      while (isDigit(s.charCodeAt(j))) j++;
    }
    const e = s.charCodeAt(j);
    if (e === 69 || e === 101) {
      let k = j + 1;
      const sign = s.charCodeAt(k);
      if (sign === 43 || sign === 45) k++;
      if (isDigit(s.charCodeAt(k))) {
        while (isDigit(s.charCodeAt(k))) k++;
        j = k;
      }
    }
    return j - i;
  }

  /** Set by pathLength: the token length (without a `${`). */
  private pathTokenLength = 0;

  /**
   * PATH `{PATH_CHAR}*(\/{PATH_CHAR}+)+\/?` or `{PATH_SEG}\$\{`. Returns the match
   * length as flex compares it (0 if none).
   */
  private pathLength(i: number): number {
    const s = this.text;
    let j = i;
    while (CLASS[s.charCodeAt(j)]! & PATH_CHAR) j++;
    const firstSegEnd = j;
    let segments = 0;
    while (s.charCodeAt(j) === CC_SLASH && CLASS[s.charCodeAt(j + 1)]! & PATH_CHAR) {
      j += 2;
      while (CLASS[s.charCodeAt(j)]! & PATH_CHAR) j++;
      segments++;
    }
    if (segments > 0) {
      if (s.charCodeAt(j) === CC_SLASH) j++;
      this.pathTokenLength = j - i;
      return j - i;
    }
    if (
      s.charCodeAt(firstSegEnd) === CC_SLASH &&
      s.charCodeAt(firstSegEnd + 1) === CC_DOLLAR &&
      s.charCodeAt(firstSegEnd + 2) === CC_LBRACE
    ) {
      this.pathTokenLength = firstSegEnd + 1 - i;
      return firstSegEnd + 3 - i;
    }
    return 0;
  }

  /** `[a-zA-Z][a-zA-Z0-9\+\-\.]*\:[a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']+` */
  private uriLength(i: number): number {
    const s = this.text;
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return 0;
    let j = i + 1;
    while (CLASS[s.charCodeAt(j)]! & URI_SCHEME) j++;
    if (s.charCodeAt(j) !== CC_COLON) return 0;
    j++;
    const start = j;
    while (CLASS[s.charCodeAt(j)]! & URI_CHAR) j++;
    return j > start ? j - i : 0;
  }

  /** `<{PATH_CHAR}+(\/{PATH_CHAR}+)*>`, or 0. */
  private searchPathLength(i: number): number {
    const s = this.text;
    let j = i + 1;
    if (!(CLASS[s.charCodeAt(j)]! & PATH_CHAR)) return 0;
    while (CLASS[s.charCodeAt(j)]! & PATH_CHAR) j++;
    while (s.charCodeAt(j) === CC_SLASH && CLASS[s.charCodeAt(j + 1)]! & PATH_CHAR) {
      j += 2;
      while (CLASS[s.charCodeAt(j)]! & PATH_CHAR) j++;
    }
    return s.charCodeAt(j) === CC_GT ? j + 1 - i : 0;
  }

  /** `~(\/{PATH_CHAR}+)+\/?` or `~/${`. */
  private lexHomePath(i: number): Token | undefined {
    const s = this.text;
    let j = i + 1;
    let segments = 0;
    while (s.charCodeAt(j) === CC_SLASH && CLASS[s.charCodeAt(j + 1)]! & PATH_CHAR) {
      j += 2;
      while (CLASS[s.charCodeAt(j)]! & PATH_CHAR) j++;
      segments++;
    }
    if (segments > 0) {
      if (s.charCodeAt(j) === CC_SLASH) j++;
    } else if (s.charCodeAt(i + 1) === CC_SLASH && s.charCodeAt(i + 2) === CC_DOLLAR && s.charCodeAt(i + 3) === CC_LBRACE) {
      j = i + 2;
    } else {
      return undefined;
    }
    this.push(s.charCodeAt(j - 1) === CC_SLASH ? Mode.INPATH_SLASH : Mode.INPATH);
    return this.tok(T.HPATH, i, j, s.slice(i, j));
  }

  /** After a path token: more path text, `${`, or the end of the path. */
  private lexInPath(): Token {
    const s = this.text;
    const i = this.pos;
    const slash = this.mode === Mode.INPATH_SLASH;
    if (s.charCodeAt(i) === CC_DOLLAR && s.charCodeAt(i + 1) === CC_LBRACE) {
      this.pop();
      this.push(Mode.INPATH);
      this.push(Mode.DEFAULT);
      return this.tok(T.DOLLAR_CURLY, i, i + 2);
    }
    // `{PATH}|{PATH_SEG}|{PATH_CHAR}+`
    let j = i;
    while (CLASS[s.charCodeAt(j)]! & PATH_CHAR) j++;
    const run = j;
    let segments = 0;
    while (s.charCodeAt(j) === CC_SLASH && CLASS[s.charCodeAt(j + 1)]! & PATH_CHAR) {
      j += 2;
      while (CLASS[s.charCodeAt(j)]! & PATH_CHAR) j++;
      segments++;
    }
    let end: number;
    if (segments > 0) end = s.charCodeAt(j) === CC_SLASH ? j + 1 : j;
    else if (s.charCodeAt(run) === CC_SLASH) end = run + 1;
    else end = run;
    if (end > i) {
      this.pop();
      this.push(s.charCodeAt(end - 1) === CC_SLASH ? Mode.INPATH_SLASH : Mode.INPATH);
      return this.tok(T.STR, i, end, s.slice(i, end));
    }
    if (slash) {
      // CppNix reports this at the offending character, or at the path at EOF.
      this.error("path has a trailing slash", i < s.length ? i : this.lastLexemeStart);
    }
    this.pop();
    // Zero-width; CppNix gives it the location of the path's last lexeme, or at the
    // end of input (no lexeme consumed for it) the one before that.
    const start = i < s.length ? this.lastLexemeStart : this.prevLexemeStart;
    return { type: T.PATH_END, start, end: i, text: "", indent: false };
  }

  /** Inside "…": a run of text (unescaped), `${`, or the closing quote. */
  private lexString(): Token {
    const s = this.text;
    const n = s.length;
    const i = this.pos;
    if (i >= n) return { type: T.EOF, start: this.lastLexemeStart, end: i, text: "", indent: false };
    const c = s.charCodeAt(i);
    if (c === CC_DOLLAR && s.charCodeAt(i + 1) === CC_LBRACE) {
      this.push(Mode.DEFAULT);
      return this.tok(T.DOLLAR_CURLY, i, i + 2);
    }
    if (c === CC_QUOTE) {
      this.pop();
      return this.tok(TOK_QUOTE, i, i + 1);
    }
    let j = i;
    let plain = true; // no escapes or CRs: the text is a plain slice
    while (j < n) {
      const d = s.charCodeAt(j);
      if (!(CLASS[d]! & STR_STOP)) {
        j++;
        continue;
      }
      if (d === CC_QUOTE) break;
      if (d === CC_BACKSLASH) {
        plain = false;
        j += 2;
        continue;
      }
      if (d === CC_DOLLAR) {
        const e = s.charCodeAt(j + 1);
        if (e === CC_LBRACE) break;
        if (e === CC_QUOTE) {
          j++;
          break;
        }
        if (e === CC_BACKSLASH) {
          plain = false;
          j += 3;
          continue;
        }
        j += 2;
        continue;
      }
      if (d === CC_CR) plain = false;
      j++;
    }
    if (j > n) j = n;
    const raw = s.slice(i, j);
    return this.tok(T.STR, i, j, plain ? raw : unescapeStr(raw));
  }

  /** Inside ''…'': text runs, escapes, `${`, or the closing `''`. */
  private lexIndString(): Token {
    const s = this.text;
    const n = s.length;
    const i = this.pos;
    if (i >= n) return { type: T.EOF, start: this.lastLexemeStart, end: i, text: "", indent: false };
    const c = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    if (c === CC_DOLLAR) {
      if (c1 === CC_LBRACE) {
        this.push(Mode.DEFAULT);
        return this.tok(T.DOLLAR_CURLY, i, i + 2);
      }
      if (c1 === CC_APOS || i + 1 >= n) return this.tok(T.IND_STR, i, i + 1, "$");
    } else if (c === CC_APOS) {
      if (c1 === CC_APOS) {
        const c2 = s.charCodeAt(i + 2);
        if (c2 === CC_DOLLAR) return this.tok(T.IND_STR, i, i + 3, "$");
        if (c2 === CC_APOS) return this.tok(T.IND_STR, i, i + 3, "''");
        if (c2 === CC_BACKSLASH && i + 3 < n) {
          return this.tok(T.IND_STR, i, i + 4, unescapeStr(s.slice(i + 2, i + 4)));
        }
        this.pop();
        return this.tok(T.IND_STRING_CLOSE, i, i + 2);
      }
      if (c1 === CC_DOLLAR || i + 1 >= n) return this.tok(T.IND_STR, i, i + 1, "'");
    }
    // `([^\$\']|\$[^\{\']|\'[^\'\$])+`, matched by the regex engine (native code
    // from the first call on; these runs are often whole paragraphs).
    IND_STR_RUN.lastIndex = i;
    const j = IND_STR_RUN.test(s) ? IND_STR_RUN.lastIndex : i;
    return this.tok(T.IND_STR, i, j, s.slice(i, j), true);
  }
}

/** CppNix's `unescapeStr`: `\n \r \t`, `\x` → x, and CR / CR LF → LF. */
export function unescapeStr(s: string): string {
  let out = "";
  const n = s.length;
  let from = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === CC_BACKSLASH) {
      out += s.slice(from, i);
      const e = s.charCodeAt(i + 1);
      if (i + 1 >= n) {
        from = i + 1;
        break;
      }
      out += e === 110 ? "\n" : e === 114 ? "\r" : e === 116 ? "\t" : s[i + 1];
      i++;
      from = i + 1;
    } else if (c === CC_CR) {
      out += s.slice(from, i) + "\n";
      if (s.charCodeAt(i + 1) === CC_NL) i++;
      from = i + 1;
    }
  }
  return out + s.slice(from);
}
