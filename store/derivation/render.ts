/**
 * The .drv ATerm rendered as bytes into one scratch buffer, and hashed there.
 *
 * Computing a derivation takes three texts that differ only in a few places (the
 * text with output paths masked, for the output paths; the .drv itself, for its
 * path; the text with input derivations replaced by their hashes, for dependents).
 * Built as JS strings they cost three concatenations, a flattening and a copy each
 * for hashing, and an escape scan per string. Here the parts that are the same in
 * all three (the environment, usually the bulk, the sources, builder and arguments)
 * are escaped once into the scratch, each text is assembled from them with memory
 * copies, and hashed straight from the buffer. A JS string of the text is made only
 * when asked for (a store that writes the file).
 */
import * as crypto from "node:crypto";
import { sortStrings, type Derivation } from "./derivation.js";

type OneShot = (algo: string, data: Uint8Array, encoding: "hex") => string;

/** Node's one-shot `crypto.hash` (20.12+), else a Hash object. */
const sha256HexOf: (data: Uint8Array) => string = (() => {
  const oneShot = (crypto as unknown as { hash?: OneShot }).hash;
  if (oneShot !== undefined) return (data: Uint8Array) => oneShot("sha256", data, "hex");
  return (data: Uint8Array) => crypto.createHash("sha256").update(data).digest("hex");
})();

/** The scratch every render writes into; `pos` is the write cursor. */
let buf = Buffer.allocUnsafe(1 << 16);
let pos = 0;
/** Counts `prepare` calls: a render's parts are at the start of `buf` while its number is the last. */
let preparations = 0;

function reserve(extra: number): void {
  if (pos + extra <= buf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(pos + extra, 2 * buf.length));
  buf.copy(bigger, 0, 0, pos);
  buf = bigger;
}

/** Buffer's own latin1 writer (what `write(s, at, n, "latin1")` calls after checking its arguments), if present. */
const latin1Write = (Buffer.prototype as unknown as { latin1Write?: (s: string, at: number, n: number) => number }).latin1Write;

/** Copies byte string `s` natively to `at` in the scratch (room reserved); returns the bytes written. */
function copyNative(s: string, at: number): number {
  return latin1Write !== undefined ? latin1Write.call(buf, s, at, s.length) : buf.write(s, at, s.length, "latin1");
}

/** Writes a byte string (char codes 0-255) as it is. */
function raw(s: string): void {
  const n = s.length;
  reserve(n);
  if (n > NATIVE_COPY) {
    pos += copyNative(s, pos);
    return;
  }
  const b = buf;
  let p = pos;
  for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
  pos = p;
}

function byte(c: number): void {
  reserve(1);
  buf[pos++] = c;
}

/**
 * Strings longer than this are copied natively (then escaped in place): a char loop
 * over a concatenated (cons) string, even a flattened one, costs more than the
 * native copy's call (store paths, about 60 bytes, are twice as fast copied).
 */
const NATIVE_COPY = 24;

/** The escape letter of a byte the .drv quoting escapes, else 0. */
const ESCAPE = new Uint8Array(256);
ESCAPE[0x22] = 0x22;
ESCAPE[0x5c] = 0x5c;
ESCAPE[0x0a] = 0x6e;
ESCAPE[0x0d] = 0x72;
ESCAPE[0x09] = 0x74;

/**
 * `quoted` for a long string (e.g. structured attributes' JSON): copied natively in
 * place; from the first byte that needs an escape on (if any), the rest is copied
 * past the reach of the writes and escaped forward from there in one pass.
 */
function quotedLong(s: string): void {
  const n = s.length;
  reserve(3 * n + 2);
  const b = buf;
  const start = pos + 1;
  b[pos] = 0x22;
  copyNative(s, start);
  const end = start + n;
  let first = start;
  while (first < end && ESCAPE[b[first]!] === 0) first++;
  if (first === end) {
    b[end] = 0x22;
    pos = end + 1;
    return;
  }
  // Each byte from `first` on takes at most two: the writes stay behind the reads.
  const src = start + 2 * n;
  b.copyWithin(src, first, end);
  const srcEnd = src + (end - first);
  let w = first;
  for (let r = src; r < srcEnd; r++) {
    const c = b[r]!;
    const e = ESCAPE[c]!;
    if (e === 0) b[w++] = c;
    else {
      b[w++] = 0x5c;
      b[w++] = e;
    }
  }
  b[w++] = 0x22;
  pos = w;
}

/** Writes `"s"` with the .drv escapes (`"` `\` newline, carriage return, tab); other bytes as they are. */
function quoted(s: string): void {
  const n = s.length;
  if (n > NATIVE_COPY) {
    quotedLong(s);
    return;
  }
  reserve(2 * n + 2);
  const b = buf;
  let p = pos;
  b[p++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x22 && c !== 0x5c) b[p++] = c;
    else if (c === 0x22 || c === 0x5c) {
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
    } else b[p++] = c;
  }
  b[p++] = 0x22;
  pos = p;
}

/**
 * Copies the earlier bytes [start, end) to the cursor: short runs (most parts: a
 * quoted name or path) by a loop, which costs less than copyWithin's call.
 */
function again(start: number, end: number): void {
  const n = end - start;
  reserve(n);
  if (n > 96) buf.copyWithin(pos, start, end);
  else {
    const b = buf;
    const p = pos;
    for (let i = 0; i < n; i++) b[p + i] = b[start + i]!;
  }
  pos += n;
}

function quotedList(items: readonly string[]): void {
  byte(0x5b);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) byte(0x2c);
    quoted(items[i]!);
  }
  byte(0x5d);
}

/** Keys in byte order (UTF-16 code units order binary latin1 strings as bytes). */
function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return sortStrings([...map.keys()]);
}

function inputDrvsInto(inputDrvs: ReadonlyMap<string, readonly string[]>): void {
  byte(0x5b);
  const paths = sortedKeys(inputDrvs);
  for (let i = 0; i < paths.length; i++) {
    if (i > 0) byte(0x2c);
    byte(0x28);
    quoted(paths[i]!);
    byte(0x2c);
    const outs = inputDrvs.get(paths[i]!)!;
    quotedList(outs.length === 1 ? outs : sortStrings([...outs]));
    byte(0x29);
  }
  byte(0x5d);
}

/** The input derivations list of an ATerm (e.g. with hashes in place of paths), as text. */
export function renderInputDrvs(inputDrvs: ReadonlyMap<string, readonly string[]>): string {
  const start = pos;
  inputDrvsInto(inputDrvs);
  const s = buf.toString("latin1", start, pos);
  pos = start;
  return s;
}

export interface TextOptions {
  /** Output paths (and env vars named after outputs) as "" (for output path computation). */
  maskOutputs?: boolean;
  /** The input derivations part (`renderInputDrvs`) in place of the derivation's own. */
  inputDrvs?: string;
  /** The render's `hashedInputMap` in place of the derivation's input derivations. */
  hashedInputs?: boolean;
}

/**
 * A derivation's ATerm texts. Only the outputs' paths and the environment entries
 * named after outputs are read again from the derivation for each text; the rest
 * must not change meanwhile.
 */
export class DerivationRender {
  private readonly outputNames: string[];
  private readonly envKeys: string[];
  /**
   * hashDerivationModulo's replacement of the input derivations (their hashes and
   * outputs), once computed; prepared as bytes like the other parts.
   */
  hashedInputMap: ReadonlyMap<string, readonly string[]> | undefined;
  // Where the prepared parts are in the scratch (valid while `prepared` is the last preparation).
  private inputsEnd = 0;
  private middleEnd = 0;
  /** Per output: its quoted name's range, then the range of `,"algo","hash")`. */
  private outputParts: number[] = [];
  /** Per environment entry: the range of `,("key","value")` (no comma first), or of the quoted key for an output's entry. */
  private envParts: number[] = [];
  private preparedEnd = 0;
  /** Which preparation of the scratch holds this render's parts (-1: none yet). */
  private prepared = -1;
  /** The range of the hashed input derivations, and the preparation it belongs to. */
  private hashedStart = 0;
  private hashedEnd = 0;
  private hashedIn = -1;
  /**
   * The quoted output paths, then the quoted values of the environment entries named
   * after outputs (two offsets each), and the strings they were made from: the
   * unmasked texts (the .drv and dependents' hash) share them.
   */
  private filledParts: number[] = [];
  private filledFrom: string[] = [];
  private filledIn = -1;
  /** The last assembled text's range in the scratch. */
  private textStart = 0;
  private textEnd = 0;

  /** Per environment key (sorted): 1 when it names an output (its value is masked). */
  private readonly envIsOutput: Uint8Array;

  constructor(private readonly drv: Derivation) {
    this.outputNames = sortedKeys(drv.outputs);
    const keys = (this.envKeys = sortedKeys(drv.env));
    const isOutput = (this.envIsOutput = new Uint8Array(keys.length));
    for (let k = 0; k < keys.length; k++) if (drv.outputs.has(keys[k]!)) isOutput[k] = 1;
  }

  /** Escapes the parts shared by every text into the start of the scratch. */
  private prepare(): void {
    const drv = this.drv;
    pos = 0;
    inputDrvsInto(drv.inputDrvs);
    this.inputsEnd = pos;
    byte(0x2c);
    const srcs = drv.inputSrcs;
    let sorted = true;
    for (let i = 1; i < srcs.length && sorted; i++) sorted = srcs[i - 1]! < srcs[i]!;
    quotedList(sorted ? srcs : sortStrings([...srcs]));
    byte(0x2c);
    quoted(drv.platform);
    byte(0x2c);
    quoted(drv.builder);
    byte(0x2c);
    quotedList(drv.args);
    raw(",[");
    this.middleEnd = pos;
    const outputNames = this.outputNames;
    const outputParts = new Array<number>(4 * outputNames.length);
    for (let i = 0; i < outputNames.length; i++) {
      const o = drv.outputs.get(outputNames[i]!)!;
      outputParts[4 * i] = pos;
      quoted(outputNames[i]!);
      outputParts[4 * i + 1] = outputParts[4 * i + 2] = pos;
      byte(0x2c);
      quoted(o.hashAlgo);
      byte(0x2c);
      quoted(o.hash);
      byte(0x29);
      outputParts[4 * i + 3] = pos;
    }
    const keys = this.envKeys;
    const envParts = new Array<number>(2 * keys.length);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      envParts[2 * k] = pos;
      if (this.envIsOutput[k] === 1) quoted(key);
      else {
        if (k > 0) byte(0x2c);
        byte(0x28);
        quoted(key);
        byte(0x2c);
        quoted(drv.env.get(key)!);
        byte(0x29);
      }
      envParts[2 * k + 1] = pos;
    }
    this.outputParts = outputParts;
    this.envParts = envParts;
    this.preparedEnd = pos;
    this.prepared = ++preparations;
  }

  /** Adds the hashed input derivations to the prepared parts (the scratch holds them). */
  private prepareHashed(): void {
    pos = this.preparedEnd;
    this.hashedStart = pos;
    inputDrvsInto(this.hashedInputMap!);
    this.hashedEnd = this.preparedEnd = pos;
    this.hashedIn = this.prepared;
  }

  /** True when the filled parts are this preparation's and made from the current paths. */
  private filledCurrent(): boolean {
    if (this.filledIn !== this.prepared) return false;
    const drv = this.drv;
    const from = this.filledFrom;
    let n = 0;
    for (const name of this.outputNames) if (from[n++] !== drv.outputs.get(name)!.path) return false;
    const keys = this.envKeys;
    for (let k = 0; k < keys.length; k++) if (this.envIsOutput[k] === 1 && from[n++] !== drv.env.get(keys[k]!)) return false;
    return true;
  }

  /** Adds the quoted output paths and output-named environment values to the prepared parts. */
  private prepareFilled(): void {
    const drv = this.drv;
    pos = this.preparedEnd;
    const parts: number[] = [];
    const from: string[] = [];
    for (const name of this.outputNames) {
      const path = drv.outputs.get(name)!.path;
      from.push(path);
      parts.push(pos);
      quoted(path);
      parts.push(pos);
    }
    const keys = this.envKeys;
    for (let k = 0; k < keys.length; k++) {
      if (this.envIsOutput[k] !== 1) continue;
      const value = drv.env.get(keys[k]!)!;
      from.push(value);
      parts.push(pos);
      quoted(value);
      parts.push(pos);
    }
    this.filledParts = parts;
    this.filledFrom = from;
    this.preparedEnd = pos;
    this.filledIn = this.prepared;
  }

  /** Writes the text after the prepared parts, into `textStart`..`textEnd` of the scratch. */
  private assemble(options: TextOptions): void {
    if (this.prepared !== preparations) this.prepare();
    const hashed = options.hashedInputs === true;
    if (hashed && this.hashedIn !== this.prepared) this.prepareHashed();
    const mask = options.maskOutputs === true;
    if (!mask && !this.filledCurrent()) this.prepareFilled();
    const fp = this.filledParts;
    let filled = 0;
    pos = this.preparedEnd;
    const start = pos;
    raw("Derive([");
    const op = this.outputParts;
    for (let i = 0; i < this.outputNames.length; i++) {
      if (i > 0) byte(0x2c);
      byte(0x28);
      again(op[4 * i]!, op[4 * i + 1]!);
      byte(0x2c);
      if (mask) raw('""');
      else {
        again(fp[filled]!, fp[filled + 1]!);
        filled += 2;
      }
      again(op[4 * i + 2]!, op[4 * i + 3]!);
    }
    raw("],");
    if (hashed) again(this.hashedStart, this.hashedEnd);
    else if (options.inputDrvs !== undefined) raw(options.inputDrvs);
    else again(0, this.inputsEnd);
    again(this.inputsEnd, this.middleEnd);
    const ep = this.envParts;
    const keys = this.envKeys;
    // Plain entries (with their leading comma) prepared one after another are copied as one run.
    let runStart = -1;
    let runEnd = -1;
    for (let k = 0; k < keys.length; k++) {
      const from = ep[2 * k]!;
      const to = ep[2 * k + 1]!;
      if (this.envIsOutput[k] !== 1) {
        if (runEnd !== from) {
          if (runStart >= 0) again(runStart, runEnd);
          runStart = from;
        }
        runEnd = to;
        continue;
      }
      if (runStart >= 0) {
        again(runStart, runEnd);
        runStart = -1;
        runEnd = -1;
      }
      if (k > 0) byte(0x2c);
      byte(0x28);
      again(from, to);
      byte(0x2c);
      if (mask) raw('""');
      else {
        again(fp[filled]!, fp[filled + 1]!);
        filled += 2;
      }
      byte(0x29);
    }
    if (runStart >= 0) again(runStart, runEnd);
    raw("])");
    this.textStart = start;
    this.textEnd = pos;
  }

  /** The sha256 of a text, base16. */
  hashHex(options: TextOptions = {}): string {
    this.assemble(options);
    return sha256HexOf(buf.subarray(this.textStart, this.textEnd));
  }

  /** A text as a byte string. */
  text(options: TextOptions = {}): string {
    this.assemble(options);
    return buf.toString("latin1", this.textStart, this.textEnd);
  }

  /** The text and its sha256 (base16) from one assembly. */
  textAndHashHex(options: TextOptions = {}): { text: string; hex: string } {
    this.assemble(options);
    return { text: buf.toString("latin1", this.textStart, this.textEnd), hex: sha256HexOf(buf.subarray(this.textStart, this.textEnd)) };
  }
}
