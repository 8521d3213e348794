import { compareBytes, type Derivation, type DerivationOutput } from "./derivation.js";

/** Characters a .drv string escapes, or any non-ASCII byte (the slow path notes those). */
const SPECIAL = /["\\\n\r\t]|[\x80-\uffff]/;
const NEEDS_ESCAPE = /["\\\n\r\t]/;
const NON_ASCII = /[\x80-\uffff]/;

/** Set when a quoted string had a byte above 0x7f since the last reset (see DerivationRender.ascii). */
let sawNonAscii = false;

let scratch = Buffer.allocUnsafe(1 << 16);

/** Escapes `s` byte by byte (long strings with many escapes, e.g. structured attributes' JSON). */
function escapeLong(s: string): string {
  const n = s.length;
  if (scratch.length < 2 * n + 2) scratch = Buffer.allocUnsafe(2 * n + 2);
  const out = scratch;
  let o = 0;
  out[o++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      out[o++] = 0x5c;
      out[o++] = c;
    } else if (c === 0x0a) {
      out[o++] = 0x5c;
      out[o++] = 0x6e;
    } else if (c === 0x0d) {
      out[o++] = 0x5c;
      out[o++] = 0x72;
    } else if (c === 0x09) {
      out[o++] = 0x5c;
      out[o++] = 0x74;
    } else out[o++] = c;
  }
  out[o++] = 0x22;
  return out.toString("latin1", 0, o);
}

/** Escapes a string the way .drv files quote them (most strings need no escape at all). */
function quote(s: string): string {
  if (!SPECIAL.test(s)) return '"' + s + '"';
  if (NON_ASCII.test(s)) sawNonAscii = true;
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  if (s.length > 256) return escapeLong(s);
  let r = s;
  if (r.includes("\\")) r = r.replaceAll("\\", "\\\\");
  if (r.includes('"')) r = r.replaceAll('"', '\\"');
  if (r.includes("\n")) r = r.replaceAll("\n", "\\n");
  if (r.includes("\r")) r = r.replaceAll("\r", "\\r");
  if (r.includes("\t")) r = r.replaceAll("\t", "\\t");
  return '"' + r + '"';
}

function quoteList(items: readonly string[]): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) out += (i === 0 ? "" : ",") + quote(items[i]!);
  return out + "]";
}

/**
 * Keys in byte order. The default sort compares UTF-16 code units, which for binary
 * (latin1) strings is byte order, and it is fast on input that is already sorted.
 */
function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort();
}

function renderInputDrvs(inputDrvs: ReadonlyMap<string, readonly string[]>): string {
  let out = "[";
  let first = true;
  for (const path of sortedKeys(inputDrvs)) {
    out += (first ? "" : ",") + `(${quote(path)},${quoteList([...inputDrvs.get(path)!].sort(compareBytes))})`;
    first = false;
  }
  return out + "]";
}

export interface RenderOptions {
  /** Render output paths (and env vars named after outputs) as "" (for output path computation). */
  maskOutputs?: boolean;
  /** Replaces the input derivation map (hashDerivationModulo puts hashes in place of paths). */
  inputDrvs?: ReadonlyMap<string, readonly string[]>;
}

/**
 * A derivation's ATerm rendered in parts, so that the texts computing it needs (masked
 * for the output paths, the .drv file itself, and with input hashes for its
 * dependents) share one quoting of the environment, usually the bulk of the text.
 * Only the outputs' paths and the environment entries named after outputs are read
 * again from the derivation at each `text` call; the rest must not change meanwhile.
 */
export class DerivationRender {
  private readonly middle: string;
  private readonly outputNames: string[];
  /** Per output (in name order): its quoted name, and its quoted hash algorithm and hash with the closing parenthesis. */
  private readonly outputHeads: string[];
  private readonly outputTails: string[];
  /**
   * The environment list around the entries named after outputs (rendered at each
   * `text` call): `envFixed[k]` is the joined text before slot k (the last one after
   * the last slot), `envSlotKeys[k]` the key of slot k.
   */
  private readonly envFixed: string[] = [];
  private readonly envSlotKeys: string[] = [];
  private readonly envSlotQuotedKeys: string[] = [];
  /** Whether the parts rendered once are ASCII (then the text can be hashed as a JS string). */
  private readonly bodyAscii: boolean;
  /** hashDerivationModulo's replacement of the input derivations, once computed. */
  hashedInputs: string | undefined;
  /** Whether the text the last `text` call returned is ASCII. */
  ascii = false;

  constructor(private readonly drv: Derivation) {
    sawNonAscii = false;
    this.middle = `${quoteList([...drv.inputSrcs].sort(compareBytes))},${quote(drv.platform)},${quote(drv.builder)},${quoteList(drv.args)},`;
    this.outputNames = sortedKeys(drv.outputs);
    this.outputHeads = this.outputNames.map((name) => "(" + quote(name) + ",");
    this.outputTails = this.outputNames.map((name) => {
      const o: DerivationOutput = drv.outputs.get(name)!;
      return "," + quote(o.hashAlgo) + "," + quote(o.hash) + ")";
    });
    let fixed: string[] = [];
    for (const key of sortedKeys(drv.env)) {
      if (drv.outputs.has(key)) {
        this.envFixed.push(fixed.join(","));
        this.envSlotKeys.push(key);
        this.envSlotQuotedKeys.push(quote(key));
        fixed = [];
      } else {
        fixed.push("(" + quote(key) + "," + quote(drv.env.get(key)!) + ")");
      }
    }
    this.envFixed.push(fixed.join(","));
    this.bodyAscii = !sawNonAscii;
  }

  /** The ATerm with the given input derivations part (`renderInputDrvs`) or the derivation's own. */
  text(options: { maskOutputs?: boolean; inputDrvs?: string } = {}): string {
    const mask = options.maskOutputs === true;
    const drv = this.drv;
    sawNonAscii = false;
    let outputs = "[";
    for (let i = 0; i < this.outputNames.length; i++) {
      const path = mask ? '""' : quote(drv.outputs.get(this.outputNames[i]!)!.path);
      outputs += (i === 0 ? "" : ",") + this.outputHeads[i] + path + this.outputTails[i];
    }
    let env = this.envFixed[0]!;
    for (let k = 0; k < this.envSlotKeys.length; k++) {
      const value = mask ? '""' : quote(drv.env.get(this.envSlotKeys[k]!)!);
      const entry = "(" + this.envSlotQuotedKeys[k] + "," + value + ")";
      env = env === "" ? entry : env + "," + entry;
      const after = this.envFixed[k + 1]!;
      if (after !== "") env += "," + after;
    }
    const given = options.inputDrvs;
    const inputs = given ?? renderInputDrvs(drv.inputDrvs);
    this.ascii = this.bodyAscii && !sawNonAscii && (given === undefined || !NON_ASCII.test(given));
    return "Derive(" + outputs + "]," + inputs + "," + this.middle + "[" + env + "])";
  }

  static inputDrvs(inputDrvs: ReadonlyMap<string, readonly string[]>): string {
    return renderInputDrvs(inputDrvs);
  }
}

/** Renders the ATerm text of a derivation, byte-for-byte as CppNix writes .drv files. */
export function renderDerivation(drv: Derivation, options: RenderOptions = {}): string {
  const inputDrvs = options.inputDrvs === undefined ? undefined : renderInputDrvs(options.inputDrvs);
  return new DerivationRender(drv).text({ maskOutputs: options.maskOutputs === true, ...(inputDrvs === undefined ? {} : { inputDrvs }) });
}

export class DerivationParseError extends Error {
  override name = "DerivationParseError";
}

/** A strict reader of .drv ATerm text (binary string); rejects anything CppNix would not write. */
class AtermReader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new DerivationParseError(`invalid derivation: expected ${what} at offset ${this.pos}`);
  }

  expect(literal: string): void {
    if (!this.text.startsWith(literal, this.pos)) this.fail(`'${literal}'`);
    this.pos += literal.length;
  }

  /** Consumes `literal` if it is next. */
  accept(literal: string): boolean {
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }

  string(): string {
    this.expect('"');
    let out = "";
    let start = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) this.fail("closing '\"'");
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        out += this.text.slice(start, this.pos);
        const next = this.text[this.pos + 1];
        if (next === undefined) this.fail("escaped character");
        out += next === "n" ? "\n" : next === "r" ? "\r" : next === "t" ? "\t" : next;
        this.pos += 2;
        start = this.pos;
      } else {
        this.pos++;
      }
    }
    out += this.text.slice(start, this.pos);
    this.pos++;
    return out;
  }

  /** `[item,item,…]` */
  list<T>(item: () => T): T[] {
    this.expect("[");
    const items: T[] = [];
    if (this.accept("]")) return items;
    for (;;) {
      items.push(item());
      if (this.accept("]")) return items;
      this.expect(",");
    }
  }

  stringList(): string[] {
    return this.list(() => this.string());
  }
}

function requireSorted(keys: readonly string[], what: string): void {
  for (let i = 1; i < keys.length; i++) {
    if (compareBytes(keys[i - 1]!, keys[i]!) >= 0) {
      throw new DerivationParseError(`invalid derivation: ${what} are not sorted or not unique ('${keys[i]}')`);
    }
  }
}

/** Parses .drv ATerm text (a binary string). */
export function parseDerivation(text: string): Derivation {
  const r = new AtermReader(text);
  r.expect("Derive(");
  const outputs = new Map<string, DerivationOutput>();
  for (const [name, path, hashAlgo, hash] of r.list(() => {
    r.expect("(");
    const fields = [r.string(), (r.expect(","), r.string()), (r.expect(","), r.string()), (r.expect(","), r.string())];
    r.expect(")");
    return fields as [string, string, string, string];
  })) {
    if (outputs.has(name)) throw new DerivationParseError(`invalid derivation: duplicate output '${name}'`);
    outputs.set(name, { path, hashAlgo, hash });
  }
  requireSorted([...outputs.keys()], "outputs");
  r.expect(",");
  const inputDrvs = new Map<string, string[]>();
  for (const [path, outs] of r.list(() => {
    r.expect("(");
    const path = r.string();
    r.expect(",");
    const outs = r.stringList();
    r.expect(")");
    return [path, outs] as const;
  })) {
    requireSorted(outs, `outputs of input '${path}'`);
    inputDrvs.set(path, outs);
  }
  requireSorted([...inputDrvs.keys()], "input derivations");
  r.expect(",");
  const inputSrcs = r.stringList();
  requireSorted(inputSrcs, "input sources");
  r.expect(",");
  const platform = r.string();
  r.expect(",");
  const builder = r.string();
  r.expect(",");
  const args = r.stringList();
  r.expect(",");
  const env = new Map<string, string>();
  for (const [key, value] of r.list(() => {
    r.expect("(");
    const key = r.string();
    r.expect(",");
    const value = r.string();
    r.expect(")");
    return [key, value] as const;
  })) {
    env.set(key, value);
  }
  requireSorted([...env.keys()], "environment variables");
  r.expect(")");
  if (r.pos !== text.length) r.fail("end of derivation");
  return { outputs, inputDrvs, inputSrcs, platform, builder, args, env };
}
