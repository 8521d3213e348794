/**
 * The JSON text of one `__structuredAttrs` attribute, written straight from the
 * Nix value: the same text, context and errors as `builtins.toJSON` (which builds
 * a JSON tree, checks its strings and then renders it), without the tree. Large
 * structured attributes are the bulk of such derivations, so this is a hot path.
 */
import {
  NixAttrs,
  NixPath,
  NixString,
  NixTypeError,
  EvalError,
  coerceToString,
  evalState,
  force,
  showType,
  type Lazy,
} from "../eval/index.js";
import { jsonQuote, showFloat } from "../builtins/support/index.js";
import { utf8Problem } from "../builtins/index.js";

const NON_ASCII = /[\x80-\uffff]/;

class JsonWriter {
  /** toJSON reports the first string that is not UTF-8 only after forcing the whole value. */
  utf8Error: string | undefined;

  constructor(private readonly context: Set<string>) {}

  private take(v: NixString): string {
    const ctx = v.context;
    for (let i = 0; i < ctx.length; i++) this.context.add(ctx[i]!);
    return v.s;
  }

  private str(s: string): string {
    if (this.utf8Error === undefined && NON_ASCII.test(s)) this.utf8Error = utf8Problem(s);
    return jsonQuote(s);
  }

  write(v: Lazy, pos: number): string {
    const x = force(v, pos);
    if (typeof x === "bigint") return x.toString();
    if (typeof x === "number") return showFloat(x);
    if (typeof x === "boolean") return x ? "true" : "false";
    if (x === null) return "null";
    if (typeof x === "string") return this.str(x);
    if (x instanceof NixString) return this.str(this.take(x));
    if (x instanceof NixPath) {
      const dst = evalState().copyPathToStore(x.path);
      this.context.add(dst);
      return this.str(dst);
    }
    if (Array.isArray(x)) {
      if (x.length === 0) return "[]";
      let out = "[" + this.write(x[0]!, pos);
      for (let i = 1; i < x.length; i++) out += "," + this.write(x[i]!, pos);
      return out + "]";
    }
    if (x instanceof NixAttrs) {
      if (x.has("__toString")) {
        const s = coerceToString(x, pos, { coerceMore: false, copyToStore: false });
        return this.str(typeof s === "string" ? s : this.take(s));
      }
      const out = x.getAttr("outPath");
      if (out !== undefined) return this.write(out.value, out.pos || pos);
      const names = x.names;
      if (names.length === 0) return "{}";
      let text = "{";
      for (let i = 0; i < names.length; i++) {
        const a = x.attrs[i]!;
        text += (i === 0 ? "" : ",") + this.str(names[i]!) + ":" + this.write(a.value, a.pos || pos);
      }
      return text + "}";
    }
    throw new NixTypeError(`cannot convert ${showType(x)} to JSON`, pos);
  }
}

/** `builtins.toJSON v` as text, its string context added to `context`. */
export function structuredJson(v: Lazy, pos: number, context: Set<string>): string {
  const w = new JsonWriter(context);
  const text = w.write(v, pos);
  if (w.utf8Error !== undefined) throw new EvalError(`JSON serialization error: [json.exception.type_error.316] ${w.utf8Error}`, pos);
  return text;
}
