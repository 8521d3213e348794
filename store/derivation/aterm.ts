import { compareBytes, type Derivation, type DerivationOutput } from "./derivation.js";
import { DerivationRender, renderInputDrvs } from "./render.js";

export interface RenderOptions {
  /** Render output paths (and env vars named after outputs) as "" (for output path computation). */
  maskOutputs?: boolean;
  /** Replaces the input derivation map (hashDerivationModulo puts hashes in place of paths). */
  inputDrvs?: ReadonlyMap<string, readonly string[]>;
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
