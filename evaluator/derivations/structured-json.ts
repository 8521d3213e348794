/**
 * The JSON text of one `__structuredAttrs` attribute, written straight from the
 * Nix value: the same text, context and errors as `builtins.toJSON` (which builds
 * a JSON tree, checks its strings and then renders it), without the tree. Large
 * structured attributes are the bulk of such derivations, so this is a hot path.
 */
import {
  NixAttrs,
  NixFloat,
  NixPath,
  NixString,
  NixTypeError,
  EvalError,
  coerceToString,
  enterCall,
  evalState,
  force,
  leaveCall,
  showType,
  type Lazy,
} from "../eval/index.js";
import { jsonQuote, showFloat } from "../builtins/support/index.js";
import { utf8Problem } from "../builtins/index.js";

const NON_ASCII = /[\x80-\uffff]/;

/**
 * The text is written as bytes into one scratch buffer (a string is made once, at
 * the end): no piece per number, key or string. Forcing a value may evaluate another
 * derivation and so write another JSON text meanwhile; it is written after this
 * one's bytes and the cursor is put back when it is done, so the scratch is a stack.
 */
let buf = Buffer.allocUnsafe(1 << 16);
let cursor = 0;

function reserve(extra: number): void {
  if (cursor + extra <= buf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(cursor + extra, 2 * buf.length));
  buf.copy(bigger, 0, 0, cursor);
  buf = bigger;
}

/** A byte string written as it is. */
function raw(s: string): void {
  const n = s.length;
  reserve(n);
  const b = buf;
  let p = cursor;
  for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
  cursor = p;
}

/**
 * Bytes written as they are. Pieces written over and over (keys) are kept as bytes:
 * a char loop over a concatenated string, even a flattened one, is several times
 * slower than one over a byte array.
 */
function rawBytes(bytes: Uint8Array): void {
  const n = bytes.length;
  reserve(n);
  const b = buf;
  let p = cursor;
  for (let i = 0; i < n; i++) b[p++] = bytes[i]!;
  cursor = p;
}

function byte(c: number): void {
  reserve(1);
  buf[cursor++] = c;
}

const HEX = "0123456789abcdef";
const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");
const NULL = Buffer.from("null");

/**
 * `s` quoted as CppNix's JSON writer does (`"` `\` \n \r \t escaped, other bytes
 * below 0x20 as \u00xx, the rest raw); true when it has a byte above 0x7f.
 */
function quoted(s: string): boolean {
  const n = s.length;
  reserve(6 * n + 2);
  const b = buf;
  let p = cursor;
  let high = 0;
  b[p++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      b[p++] = c;
      high |= c;
    } else if (c === 0x22 || c === 0x5c) {
      b[p++] = 0x5c;
      b[p++] = c;
    } else if (c === 0x0a) {
      b[p++] = 0x5c;
      b[p++] = 0x6e;
    } else if (c === 0x0d) {
      b[p++] = 0x5c;
      b[p++] = 0x72;
    } else if (c === 0x09) {
      b[p++] = 0x5c;
      b[p++] = 0x74;
    } else {
      b[p++] = 0x5c;
      b[p++] = 0x75;
      b[p++] = 0x30;
      b[p++] = 0x30;
      b[p++] = HEX.charCodeAt(c >> 4);
      b[p++] = HEX.charCodeAt(c & 15);
    }
  }
  b[p++] = 0x22;
  cursor = p;
  return high >= 0x80;
}

/** A safe integer in decimal. */
function integer(x: number): void {
  if (x < 0 || x >= 1e15) {
    raw(String(x));
    return;
  }
  reserve(16);
  let digits = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : 5;
  for (let t = Math.floor(x / 100000); t > 0; t = Math.floor(t / 10)) digits++;
  const b = buf;
  let p = cursor + digits;
  cursor = p;
  let t = x;
  do {
    const q = Math.floor(t / 10);
    b[--p] = 0x30 + (t - q * 10);
    t = q;
  } while (t > 0);
}

/** The last floats printed (structured attributes repeat the same few). */
const floatTexts = new Map<number, string>();

function float(x: number): void {
  let text = floatTexts.get(x);
  if (text === undefined || Object.is(x, -0)) {
    text = showFloat(x);
    if (floatTexts.size > 1000) floatTexts.clear();
    if (!Object.is(x, -0)) floatTexts.set(x, text);
  }
  raw(text);
}

/**
 * What writing a set needs from its names: the `{"name":` / `,"name":` pieces, the
 * first name that is not UTF-8, and whether `__toString` or `outPath` replace it. Sets made by the same expression share their names array, so a list of
 * thousands of such sets quotes its names once.
 */
interface KeyPieces {
  /** Whether the set is written as a string (`__toString`), or the index of its `outPath` (-1: none). */
  readonly hasToString: boolean;
  readonly outPath: number;
  readonly pieces: readonly Uint8Array[];
  readonly firstBad: number;
  readonly problem: string | undefined;
}

const keyPiecesByNames = new WeakMap<readonly string[], KeyPieces>();
let lastNames: readonly string[] | undefined;
let lastPieces: KeyPieces | undefined;

function keyPieces(names: readonly string[]): KeyPieces {
  if (names === lastNames) return lastPieces!;
  let kp = keyPiecesByNames.get(names);
  if (kp === undefined) {
    let firstBad = -1;
    let problem: string | undefined;
    const pieces = names.map((name, i) => {
      if (firstBad < 0 && NON_ASCII.test(name)) {
        problem = utf8Problem(name);
        if (problem !== undefined) firstBad = i;
      }
      return Buffer.from((i === 0 ? "{" : ",") + jsonQuote(name) + ":", "latin1");
    });
    kp = { hasToString: names.includes("__toString"), outPath: names.indexOf("outPath"), pieces, firstBad, problem };
    keyPiecesByNames.set(names, kp);
  }
  lastNames = names;
  lastPieces = kp;
  return kp;
}

class JsonWriter {
  /** toJSON reports the first string that is not UTF-8 only after forcing the whole value. */
  utf8Error: string | undefined;

  constructor(private readonly context: Set<string>) {}

  private take(v: NixString): string {
    const ctx = v.context;
    for (let i = 0; i < ctx.length; i++) this.context.add(ctx[i]!);
    return v.s;
  }

  private str(s: string): void {
    if (quoted(s) && this.utf8Error === undefined) this.utf8Error = utf8Problem(s);
  }

  write(v: Lazy, pos: number): void {
    // Each level counts towards max-call-depth (as CppNix's printValueAsJSON).
    enterCall(pos);
    this.writeLevel(v, pos);
    leaveCall();
  }

  private writeLevel(v: Lazy, at: number): void {
    const x = force(v, at);
    // Primitives by typeof first, then the containers, the commonest objects.
    const type = typeof x;
    if (type === "number") integer(x as number);
    else if (type === "string") this.str(x as string);
    else if (type === "boolean") rawBytes(x ? TRUE : FALSE);
    else if (type === "bigint") raw(String(x));
    else if (x === null) rawBytes(NULL);
    else if (x instanceof NixAttrs) this.attrs(x, at);
    else if (Array.isArray(x)) {
      byte(0x5b);
      for (let i = 0; i < x.length; i++) {
        if (i > 0) byte(0x2c);
        this.write(x[i]!, at);
      }
      byte(0x5d);
    } else if (x instanceof NixString) this.str(this.take(x));
    else if (x instanceof NixFloat) float(x.value);
    else if (x instanceof NixPath) {
      const dst = evalState().copyPathToStore(x.path);
      this.context.add(dst);
      this.str(dst);
    } else throw new NixTypeError(`cannot convert ${showType(x)} to JSON`, at);
  }

  /** A set: its `__toString` string, its `outPath`, or an object with its keys in order. */
  private attrs(x: NixAttrs, at: number): void {
    const names = x.names;
    const kp = keyPieces(names);
    if (kp.hasToString) {
      const s = coerceToString(x, at, { coerceMore: false, copyToStore: false });
      this.str(typeof s === "string" ? s : this.take(s));
      return;
    }
    if (kp.outPath >= 0) {
      this.write(x.values[kp.outPath]!, x.positions[kp.outPath]! || at);
      return;
    }
    if (names.length === 0) byte(0x7b);
    for (let i = 0; i < names.length; i++) {
      if (i === kp.firstBad && this.utf8Error === undefined) this.utf8Error = kp.problem;
      rawBytes(kp.pieces[i]!);
      this.write(x.values[i]!, x.positions[i]! || at);
    }
    byte(0x7d);
  }
}

/**
 * The `__json` of a derivation with structured attributes, `{"key":value,...}`,
 * written attribute by attribute into the scratch and made a string once at the end
 * (not a string per attribute, then a joined copy). Between `add` calls the caller
 * may evaluate other derivations: they write their own JSON after this one's bytes
 * and put the cursor back. On an error, `abandon` frees the scratch.
 */
export class StructuredJsonObject {
  private readonly start = cursor;
  private readonly writer: JsonWriter;
  private empty = true;

  constructor(context: Set<string>) {
    this.writer = new JsonWriter(context);
    byte(0x7b);
  }

  /** Writes `"key":<value as toJSON>` (CppNix checks a value's UTF-8 after writing it whole). */
  add(key: string, v: Lazy, pos: number): void {
    const w = this.writer;
    const at = cursor;
    try {
      if (!this.empty) byte(0x2c);
      quoted(key); // as jsonQuote: a key's UTF-8 is not checked
      byte(0x3a);
      w.write(v, pos);
      if (w.utf8Error !== undefined) throw new EvalError(`JSON serialization error: [json.exception.type_error.316] ${w.utf8Error}`, pos);
    } catch (err) {
      cursor = at;
      throw err;
    }
    this.empty = false;
  }

  /** The text; frees the scratch. */
  finish(): string {
    byte(0x7d);
    const text = buf.toString("latin1", this.start, cursor);
    cursor = this.start;
    return text;
  }

  abandon(): void {
    cursor = this.start;
  }
}

/** `builtins.toJSON v` as text, its string context added to `context`. */
export function structuredJson(v: Lazy, pos: number, context: Set<string>): string {
  const w = new JsonWriter(context);
  const start = cursor;
  try {
    w.write(v, pos);
    if (w.utf8Error !== undefined) throw new EvalError(`JSON serialization error: [json.exception.type_error.316] ${w.utf8Error}`, pos);
    return buf.toString("latin1", start, cursor);
  } finally {
    cursor = start;
  }
}
