/**
 * JSON as CppNix 2.8 writes it (`builtins.toJSON`, `--json`) and reads it
 * (`builtins.fromJSON`, via nlohmann::json's SAX parser).
 *
 * Strings are byte strings (char codes 0–255, the UTF-8 bytes of the Nix string;
 * see regex.ts). Integers are bigint (Nix ints are 64-bit), floats are number.
 */
import { showFloat } from "./float-format.js";

export type JsonValue = null | boolean | bigint | number | string | JsonValue[] | JsonObject;
/** Keys in the order they are to be written (toJSON: sorted, as Nix attrsets are). */
export type JsonObject = Map<string, JsonValue>;

// eslint-disable-next-line no-control-regex
const JSON_ESCAPED = /["\\\x00-\x1f]/;

/** A string as CppNix's JSON writer quotes it: `"` `\` \n \r \t escaped, other bytes < 0x20 as \u00xx, the rest raw. */
export function jsonQuote(bytes: string): string {
  if (!JSON_ESCAPED.test(bytes)) return '"' + bytes + '"';
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += bytes[i];
  }
  return out + '"';
}

/** Compact JSON text, numbers as CppNix prints them (floats with `%g`, so `inf` and `nan` appear raw). */
export function renderJson(value: JsonValue): string {
  const out: string[] = [];
  renderInto(value, out);
  return out.join("");
}

/** Appends the pieces of `value`'s text: one join at the top, so deep nesting is not copied once per level. */
function renderInto(value: JsonValue, out: string[]): void {
  if (value === null) out.push("null");
  else if (typeof value === "boolean") out.push(value ? "true" : "false");
  else if (typeof value === "bigint") out.push(value.toString());
  else if (typeof value === "number") out.push(showFloat(value));
  else if (typeof value === "string") out.push(jsonQuote(value));
  else if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      renderInto(value[i]!, out);
    }
    out.push("]");
  } else {
    out.push("{");
    let first = true;
    for (const [k, v] of value) {
      out.push(first ? jsonQuote(k) + ":" : "," + jsonQuote(k) + ":");
      first = false;
      renderInto(v, out);
    }
    out.push("}");
  }
}

// ---------------------------------------------------------------------------
// fromJSON

/** A fromJSON failure; the message is nlohmann's `what()`, which CppNix shows as is. */
export class JsonParseError extends Error {}

/** A well-formed document whose value current CppNix refuses (NUL in a string, unsigned overflow). */
export class JsonValueError extends Error {}

/**
 * "2.8": CppNix 2.8's fromJSON (a NUL ends a string, unsigned 64-bit numbers wrap);
 * "current": current CppNix's (both are errors; upstream eval-fail-fromJSON-*).
 */
export type JsonMode = "2.8" | "current";

/** Current CppNix's refusal of a string with NUL bytes, shown with `␀` (as bytes). */
export function nulStringError(s: string): string {
  return `input string '${s.replaceAll("\0", "\u00e2\u0090\u0080")}' cannot be represented as Nix string because it contains null bytes`;
}

const enum Tok {
  True,
  False,
  Null,
  String,
  Number,
  BeginArray,
  BeginObject,
  EndArray,
  EndObject,
  NameSeparator,
  ValueSeparator,
  ParseError,
  EndOfInput,
  LiteralOrValue,
  None,
}

const TOKEN_NAMES: Record<Tok, string> = {
  [Tok.True]: "true literal",
  [Tok.False]: "false literal",
  [Tok.Null]: "null literal",
  [Tok.String]: "string literal",
  [Tok.Number]: "number literal",
  [Tok.BeginArray]: "'['",
  [Tok.BeginObject]: "'{'",
  [Tok.EndArray]: "']'",
  [Tok.EndObject]: "'}'",
  [Tok.NameSeparator]: "':'",
  [Tok.ValueSeparator]: "','",
  [Tok.ParseError]: "<parse error>",
  [Tok.EndOfInput]: "end of input",
  [Tok.LiteralOrValue]: "'[', '{', or a literal",
  [Tok.None]: "<uninitialized>",
};

const CONTROL_NAMES = "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US".split(" ");
const SHORT_ESCAPES: Record<number, string> = { 0x08: "b", 0x09: "t", 0x0a: "n", 0x0c: "f", 0x0d: "r" };

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}

const EOF = -1;

/** A lexer that counts positions and builds error texts the way nlohmann's does. */
class Lexer {
  private pos = 0;
  private line = 1;
  private column = 0;
  private current = EOF;
  private ungot = false;
  private tokenChars: number[] = [];
  errorMessage = "";
  stringValue = "";
  numberValue: bigint | number = 0n;

  constructor(private readonly input: string) {}

  private get(): number {
    this.column++;
    if (this.ungot) {
      this.ungot = false;
    } else {
      this.current = this.pos < this.input.length ? this.input.charCodeAt(this.pos++) & 0xff : EOF;
    }
    if (this.current !== EOF) this.tokenChars.push(this.current);
    if (this.current === 0x0a) {
      this.line++;
      this.column = 0;
    }
    return this.current;
  }

  private unget(): void {
    this.ungot = true;
    if (this.column === 0) {
      if (this.line > 1) this.line--; // nlohmann does not restore the column here
    } else {
      this.column--;
    }
    if (this.current !== EOF) this.tokenChars.pop();
  }

  position(): string {
    return `line ${this.line}, column ${this.column}`;
  }

  /** The characters of the current token, control characters as <U+XXXX>. */
  tokenString(): string {
    let out = "";
    for (const c of this.tokenChars) out += c <= 0x1f ? `<U+${hex4(c)}>` : String.fromCharCode(c);
    return out;
  }

  scan(): Tok {
    if (this.pos === 0 && !this.ungot && this.input.startsWith("\u00ef")) {
      if (this.get() === 0xef && (this.get() !== 0xbb || this.get() !== 0xbf)) {
        this.errorMessage = "invalid BOM; must be 0xEF 0xBB 0xBF if given";
        return Tok.ParseError;
      }
    }
    this.tokenChars = [];
    let c: number;
    do c = this.get();
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d);
    this.tokenChars = c === EOF ? [] : [c];
    switch (c) {
      case 0x5b:
        return Tok.BeginArray;
      case 0x5d:
        return Tok.EndArray;
      case 0x7b:
        return Tok.BeginObject;
      case 0x7d:
        return Tok.EndObject;
      case 0x3a:
        return Tok.NameSeparator;
      case 0x2c:
        return Tok.ValueSeparator;
      case 0x74:
        return this.literal("rue", Tok.True);
      case 0x66:
        return this.literal("alse", Tok.False);
      case 0x6e:
        return this.literal("ull", Tok.Null);
      case 0x22:
        return this.string();
      case EOF:
        return Tok.EndOfInput;
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(c);
        this.errorMessage = "invalid literal";
        return Tok.ParseError;
    }
  }

  private literal(rest: string, tok: Tok): Tok {
    for (let i = 0; i < rest.length; i++) {
      if (this.get() !== rest.charCodeAt(i)) {
        this.errorMessage = "invalid literal";
        return Tok.ParseError;
      }
    }
    return tok;
  }

  private hex4(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.get();
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  private string(): Tok {
    const bytes: number[] = [];
    const fail = (msg: string): Tok => {
      this.errorMessage = "invalid string: " + msg;
      return Tok.ParseError;
    };
    for (;;) {
      const c = this.get();
      if (c === EOF) return fail("missing closing quote");
      if (c === 0x22) break;
      if (c === 0x5c) {
        const e = this.get();
        const simple: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9 };
        if (e in simple) {
          bytes.push(simple[e]!);
          continue;
        }
        if (e !== 0x75) return fail("forbidden character after backslash");
        let cp = this.hex4();
        if (cp < 0) return fail("'\\u' must be followed by 4 hex digits");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (this.get() !== 0x5c || this.get() !== 0x75) return fail("surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
          const lo = this.hex4();
          if (lo < 0) return fail("'\\u' must be followed by 4 hex digits");
          if (lo < 0xdc00 || lo > 0xdfff) return fail("surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          return fail("surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF");
        }
        for (const b of Buffer.from(String.fromCodePoint(cp), "utf8")) bytes.push(b);
        continue;
      }
      if (c < 0x20) {
        const short = SHORT_ESCAPES[c];
        return fail(`control character U+${hex4(c)} (${CONTROL_NAMES[c]}) must be escaped to \\u${hex4(c)}${short ? ` or \\${short}` : ""}`);
      }
      if (c < 0x80) {
        bytes.push(c);
        continue;
      }
      // Well-formed UTF-8 only (the ranges of RFC 3629).
      const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
      if (need < 0) return fail("ill-formed UTF-8 byte");
      bytes.push(c);
      for (let i = 0; i < need; i++) {
        const b = this.get();
        let lo = 0x80;
        let hi = 0xbf;
        if (i === 0) {
          if (c === 0xe0) lo = 0xa0;
          else if (c === 0xed) hi = 0x9f;
          else if (c === 0xf0) lo = 0x90;
          else if (c === 0xf4) hi = 0x8f;
        }
        if (b < lo || b > hi) return fail("ill-formed UTF-8 byte");
        bytes.push(b);
      }
    }
    this.stringValue = String.fromCharCode(...bytes);
    return Tok.String;
  }

  private number(first: number): Tok {
    const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
    const fail = (msg: string): Tok => {
      this.errorMessage = msg;
      return Tok.ParseError;
    };
    let c = first;
    let text = "";
    let isFloat = false;
    if (c === 0x2d) {
      text += "-";
      c = this.get();
      if (!isDigit(c)) return fail("invalid number; expected digit after '-'");
    }
    text += String.fromCharCode(c);
    if (c !== 0x30) {
      while (isDigit((c = this.get()))) text += String.fromCharCode(c);
    } else {
      c = this.get();
    }
    if (c === 0x2e) {
      isFloat = true;
      text += ".";
      c = this.get();
      if (!isDigit(c)) return fail("invalid number; expected digit after '.'");
      text += String.fromCharCode(c);
      while (isDigit((c = this.get()))) text += String.fromCharCode(c);
    }
    if (c === 0x65 || c === 0x45) {
      isFloat = true;
      text += "e";
      c = this.get();
      if (c === 0x2b || c === 0x2d) {
        text += String.fromCharCode(c);
        c = this.get();
        if (!isDigit(c)) return fail("invalid number; expected digit after exponent sign");
      } else if (!isDigit(c)) {
        return fail("invalid number; expected '+', '-', or digit after exponent");
      }
      text += String.fromCharCode(c);
      while (isDigit((c = this.get()))) text += String.fromCharCode(c);
    }
    this.unget();
    if (!isFloat) {
      const n = BigInt(text);
      // Unsigned 64-bit values wrap into Nix's signed ints; wider ones become floats.
      if (n >= 0n && n <= 0xffffffffffffffffn) {
        this.numberValue = BigInt.asIntN(64, n);
        return Tok.Number;
      }
      if (n < 0n && n >= -(1n << 63n)) {
        this.numberValue = n;
        return Tok.Number;
      }
    }
    this.numberValue = Number(text);
    return Tok.Number;
  }
}

/** `builtins.fromJSON` over a byte string. Duplicate keys: the last one wins. */
export function parseJson(input: string, mode: JsonMode = "2.8"): JsonValue {
  const lexer = new Lexer(input);
  let tok = lexer.scan();
  const current = mode === "current";
  const key = (): string => {
    const k = lexer.stringValue;
    if (current && k.includes("\0")) throw new JsonValueError(nulStringError(k));
    return k;
  };

  const fail = (expected: Tok, context: string): never => {
    let msg = `syntax error while parsing ${context} - `;
    if (tok === Tok.ParseError) msg += `${lexer.errorMessage}; last read: '${lexer.tokenString()}'`;
    else msg += `unexpected ${TOKEN_NAMES[tok]}`;
    if (expected !== Tok.None) msg += `; expected ${TOKEN_NAMES[expected]}`;
    throw new JsonParseError(`[json.exception.parse_error.101] parse error at ${lexer.position()}: ${msg}`);
  };
  const numberValue = (): bigint | number => {
    const v = lexer.numberValue;
    if (current && typeof v === "bigint" && v < 0n && !lexer.tokenString().startsWith("-")) {
      throw new JsonValueError(`unsigned json number ${lexer.tokenString()} outside of Nix integer range`);
    }
    if (typeof v === "number" && !Number.isFinite(v)) {
      throw new JsonParseError(`[json.exception.out_of_range.406] number overflow parsing '${lexer.tokenString()}'`);
    }
    return v;
  };

  // Iterative parser with an explicit stack of open containers.
  type Open = { list: JsonValue[] } | { object: JsonObject; key: string };
  const stack: Open[] = [];
  let result: JsonValue = null;

  const parseValueStart = (): { value: JsonValue; opened: boolean } => {
    switch (tok) {
      case Tok.BeginObject: {
        tok = lexer.scan();
        if (tok === Tok.EndObject) return { value: new Map(), opened: false };
        if (tok !== Tok.String) fail(Tok.String, "object key");
        const k = key();
        tok = lexer.scan();
        if (tok !== Tok.NameSeparator) fail(Tok.NameSeparator, "object separator");
        stack.push({ object: new Map(), key: k });
        tok = lexer.scan();
        return { value: null, opened: true };
      }
      case Tok.BeginArray:
        tok = lexer.scan();
        if (tok === Tok.EndArray) return { value: [], opened: false };
        stack.push({ list: [] });
        return { value: null, opened: true };
      case Tok.True:
        return { value: true, opened: false };
      case Tok.False:
        return { value: false, opened: false };
      case Tok.Null:
        return { value: null, opened: false };
      case Tok.String: {
        // Nix strings are C strings: a decoded NUL ends the value (2.8) or is an error.
        const s = lexer.stringValue;
        const nul = s.indexOf("\0");
        if (current && nul >= 0) throw new JsonValueError(nulStringError(s));
        return { value: nul < 0 ? s : s.slice(0, nul), opened: false };
      }
      case Tok.Number:
        return { value: numberValue(), opened: false };
      case Tok.ParseError:
        return fail(Tok.None, "value");
      default:
        return fail(Tok.LiteralOrValue, "value");
    }
  };

  for (;;) {
    const start = parseValueStart();
    if (start.opened) continue;
    let value = start.value;
    // Close as many containers as this value completes.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) {
        result = value;
        break;
      }
      tok = lexer.scan();
      if ("list" in top) {
        top.list.push(value);
        if (tok === Tok.ValueSeparator) {
          tok = lexer.scan();
          break;
        }
        if (tok !== Tok.EndArray) fail(Tok.EndArray, "array");
        stack.pop();
        value = top.list;
      } else {
        top.object.set(top.key, value);
        if (tok === Tok.ValueSeparator) {
          tok = lexer.scan();
          if (tok !== Tok.String) fail(Tok.String, "object key");
          top.key = key();
          tok = lexer.scan();
          if (tok !== Tok.NameSeparator) fail(Tok.NameSeparator, "object separator");
          tok = lexer.scan();
          break;
        }
        if (tok !== Tok.EndObject) fail(Tok.EndObject, "object");
        stack.pop();
        value = top.object;
      }
    }
    if (stack.length === 0) break;
  }
  tok = lexer.scan();
  if (tok !== Tok.EndOfInput) fail(Tok.EndOfInput, "value");
  return result;
}
