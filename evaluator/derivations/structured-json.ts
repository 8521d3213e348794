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
 * `{"name":` and `,"name":` by attribute name: the same names recur in every
 * element of a list of sets, and one piece per attribute keeps the join short.
 */
const firstKeys = new Map<string, string>();
const nextKeys = new Map<string, string>();

function keyPiece(name: string, first: boolean): string {
  const cache = first ? firstKeys : nextKeys;
  let piece = cache.get(name);
  if (piece === undefined) {
    piece = (first ? "{" : ",") + jsonQuote(name) + ":";
    if (cache.size > 10000) cache.clear();
    cache.set(name, piece);
  }
  return piece;
}

/** Writes the pieces of the text into one array, joined once at the end (no string per level). */
class JsonWriter {
  /** toJSON reports the first string that is not UTF-8 only after forcing the whole value. */
  utf8Error: string | undefined;
  readonly out: string[] = [];

  constructor(private readonly context: Set<string>) {}

  private take(v: NixString): string {
    const ctx = v.context;
    for (let i = 0; i < ctx.length; i++) this.context.add(ctx[i]!);
    return v.s;
  }

  private checkUtf8(s: string): void {
    if (this.utf8Error === undefined && NON_ASCII.test(s)) this.utf8Error = utf8Problem(s);
  }

  private str(s: string): void {
    this.checkUtf8(s);
    this.out.push(jsonQuote(s));
  }

  write(v: Lazy, pos: number): void {
    // Each level counts towards max-call-depth (as CppNix's printValueAsJSON).
    enterCall(pos);
    this.writeLevel(v, pos);
    leaveCall();
  }

  private writeLevel(v: Lazy, pos: number): void {
    const x = force(v, pos);
    const out = this.out;
    if (typeof x === "number" || typeof x === "bigint") out.push(String(x));
    else if (x instanceof NixFloat) out.push(showFloat(x.value));
    else if (typeof x === "boolean") out.push(x ? "true" : "false");
    else if (x === null) out.push("null");
    else if (typeof x === "string") this.str(x);
    else if (x instanceof NixString) this.str(this.take(x));
    else if (x instanceof NixPath) {
      const dst = evalState().copyPathToStore(x.path);
      this.context.add(dst);
      this.str(dst);
    } else if (Array.isArray(x)) {
      out.push("[");
      for (let i = 0; i < x.length; i++) {
        if (i > 0) out.push(",");
        this.write(x[i]!, pos);
      }
      out.push("]");
    } else if (x instanceof NixAttrs) {
      if (x.has("__toString")) {
        const s = coerceToString(x, pos, { coerceMore: false, copyToStore: false });
        this.str(typeof s === "string" ? s : this.take(s));
        return;
      }
      const outPath = x.getAttr("outPath");
      if (outPath !== undefined) {
        this.write(outPath.value, outPath.pos || pos);
        return;
      }
      const names = x.names;
      if (names.length === 0) out.push("{");
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        this.checkUtf8(name);
        out.push(keyPiece(name, i === 0));
        const a = x.attrs[i]!;
        this.write(a.value, a.pos || pos);
      }
      out.push("}");
    } else throw new NixTypeError(`cannot convert ${showType(x)} to JSON`, pos);
  }
}

/** `builtins.toJSON v` as text, its string context added to `context`. */
export function structuredJson(v: Lazy, pos: number, context: Set<string>): string {
  const w = new JsonWriter(context);
  w.write(v, pos);
  if (w.utf8Error !== undefined) throw new EvalError(`JSON serialization error: [json.exception.type_error.316] ${w.utf8Error}`, pos);
  return w.out.join("");
}
