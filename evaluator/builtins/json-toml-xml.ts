/**
 * Conversions between Nix values and JSON (and, when support/ provides them,
 * TOML and XML). Rendering and parsing of the text live in support/; this file
 * walks values the way CppNix's printValueAsJSON / parseJSON do.
 */
import {
  Attr,
  NixAttrs,
  NixPath,
  NixString,
  NixTypeError,

  coerceToString,
  definePrimOp,
  evalState,
  force,
  forceStringNoCtx,
  showType,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { EvalError } from "../eval/index.js";
import { JsonParseError, parseJson, renderJson, type JsonObject, type JsonValue } from "./support/index.js";
import { ContextBuilder } from "./common.js";

/**
 * A set's string form for JSON/XML: `__toString` applied (CppNix's
 * tryAttrsToString), or undefined when the set has none.
 */
export function attrsToString(attrs: NixAttrs, pos: number, ctx: ContextBuilder): string | undefined {
  if (!attrs.has("__toString")) return undefined;
  return ctx.take(coerceToString(attrs, pos, { coerceMore: false, copyToStore: false }));
}

/** CppNix's printValueAsJSON (strict): forces as it goes, collecting string context. */
export function valueToJson(v: Lazy, pos: number, ctx: ContextBuilder): JsonValue {
  const x = force(v, pos);
  if (typeof x === "bigint" || typeof x === "number" || typeof x === "boolean" || x === null) return x;
  if (typeof x === "string") return x;
  if (x instanceof NixString) return ctx.take(x);
  if (x instanceof NixPath) {
    const dst = evalState().copyPathToStore(x.path);
    ctx.take(new NixString(dst, [dst]));
    return dst;
  }
  if (Array.isArray(x)) return x.map((el) => valueToJson(el, pos, ctx));
  if (x instanceof NixAttrs) {
    const s = attrsToString(x, pos, ctx);
    if (s !== undefined) return s;
    const out = x.getAttr("outPath");
    if (out !== undefined) return valueToJson(out.value, out.pos || pos, ctx);
    const obj: JsonObject = new Map();
    for (const k of x.keys()) {
      const a = x.getAttr(k)!;
      obj.set(k, valueToJson(a.value, a.pos || pos, ctx));
    }
    return obj;
  }
  throw new NixTypeError(`cannot convert ${showType(x)} to JSON`, pos);
}

definePrimOp("__toJSON", 1, ([v], pos) => {
  const ctx = new ContextBuilder();
  const json = valueToJson(v!, pos, ctx);
  return ctx.make(renderJson(json));
});

/** A parsed JSON value as a Nix value. */
export function jsonToValue(j: JsonValue): Value {
  if (j === null || typeof j === "boolean" || typeof j === "bigint" || typeof j === "number" || typeof j === "string") return j;
  if (Array.isArray(j)) return j.map((el): Lazy => jsonToValue(el));
  const m = new Map<string, Attr>();
  for (const [k, el] of j) m.set(k, new Attr(jsonToValue(el), 0));
  return new NixAttrs(m);
}

definePrimOp("__fromJSON", 1, ([s], pos) => {
  const text = forceStringNoCtx(s!, pos);
  let parsed: JsonValue;
  try {
    parsed = parseJson(text);
  } catch (err) {
    if (err instanceof JsonParseError) {
      throw new EvalError(err.message, pos).addTrace(pos, "while decoding a JSON string");
    }
    throw err;
  }
  return jsonToValue(parsed);
});


