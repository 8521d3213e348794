/**
 * Conversions between Nix values and JSON (and, when support/ provides them,
 * TOML and XML). Rendering and parsing of the text live in support/; this file
 * walks values the way CppNix's printValueAsJSON / parseJSON do.
 */
import {
  NixAttrs,
  NixFloat,
  NixPath,
  NixString,
  NixTypeError,
  intToBigInt,
  mkInt,
  coerceToString,
  definePrimOp,
  evalState,
  force,
  forceStringNoCtx,
  showType,
  NixLambda,
  isDerivation,
  stringBytes,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { EvalError, Thunk, callFunction, enterCall, leaveCall, printErrorValue, printIdentifier, setXmlOutput } from "../eval/index.js";
import {
  JsonParseError,
  JsonValueError,
  parseJson,
  renderJson,
  renderXml,
  type JsonObject,
  type JsonValue,
  type XmlPos,
  type XmlValue,
} from "./support/index.js";
import { resolvePos, sourceOf } from "../syntax/index.js";
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
  // Each level counts towards max-call-depth, checked before forcing (as CppNix).
  enterCall(pos);
  const j = jsonLevel(v, pos, ctx);
  leaveCall();
  return j;
}

function jsonLevel(v: Lazy, pos: number, ctx: ContextBuilder): JsonValue {
  const x = force(v, pos);
  if (typeof x === "number") return BigInt(x); // support/json.ts: ints are bigint, floats number
  if (typeof x === "bigint" || typeof x === "boolean" || x === null) return x;
  if (x instanceof NixFloat) return x.value;
  if (typeof x === "string") return x;
  if (x instanceof NixString) return ctx.take(x);
  if (x instanceof NixPath) {
    const dst = evalState().copyPathToStore(x.path);
    ctx.take(new NixString(dst, [dst]));
    return dst;
  }
  if (Array.isArray(x)) {
    return x.map((el, i) => {
      try {
        return valueToJson(el, pos, ctx);
      } catch (err) {
        throw framed(err, pos, `while evaluating list element at index ${i}`);
      }
    });
  }
  if (x instanceof NixAttrs) return attrsToJson(x, pos, ctx, false);
  throw new NixTypeError(`cannot convert ${showType(x)} to JSON`, pos);
}

/** A frame on a Nix error (other errors pass through). */
function framed(err: unknown, pos: number, message: string): unknown {
  if (err instanceof EvalError) err.addTrace(pos, message);
  return err;
}

/**
 * A set as current CppNix's printValueAsJSON sees it (peelToStringOutPath with the
 * `__toString` return check): `__toString`'s result, else `outPath`'s value, peeled
 * again while it is a set; a result of `__toString` must be a string or a path (a
 * path then goes in as is, not copied); otherwise a JSON object.
 */
function attrsToJson(x: NixAttrs, pos: number, ctx: ContextBuilder, viaToString: boolean): JsonValue {
  const peeled = (v: Value, at: number, toString: boolean): JsonValue => {
    if (v instanceof NixAttrs) return attrsToJson(v, at, ctx, toString);
    if (toString && !(typeof v === "string" || v instanceof NixString || v instanceof NixPath)) {
      throw new NixTypeError(`\`__toString\` should return a string, but got ${showType(v)}: ${printErrorValue(v)}`, at);
    }
    if (toString && v instanceof NixPath) return v.path;
    return jsonLevel(v, at, ctx);
  };
  const toStr = x.find("__toString");
  if (toStr >= 0) {
    let r: Value;
    try {
      r = callFunction(force(x.values[toStr]!, x.positions[toStr]!), [x], x.positions[toStr]!);
    } catch (err) {
      throw framed(err, x.positions[toStr]!, "while calling the `__toString` attribute");
    }
    try {
      enterCall(pos);
      const j = peeled(r, x.positions[toStr]!, true);
      leaveCall();
      return j;
    } catch (err) {
      throw framed(err, x.positions[toStr]!, "while using the result of the `__toString` attribute");
    }
  }
  const out = x.find("outPath");
  if (out >= 0) {
    let o: Value;
    try {
      o = force(x.values[out]!, x.positions[out]!);
    } catch (err) {
      throw framed(err, x.positions[out]!, "while evaluating the `outPath` attribute");
    }
    try {
      enterCall(pos);
      const j = peeled(o, x.positions[out]!, viaToString);
      leaveCall();
      return j;
    } catch (err) {
      throw framed(err, x.positions[out]!, "while using the `outPath` attribute");
    }
  }
  if (viaToString) throw new NixTypeError(`\`__toString\` must return a string, but got ${showType(x)}: ${printErrorValue(x)}`, pos);
  const obj: JsonObject = new Map();
  for (let a = 0; a < x.names.length; a++) {
    const k = x.names[a]!;
    try {
      obj.set(k, valueToJson(x.values[a]!, x.positions[a]! || pos, ctx));
    } catch (err) {
      throw framed(err, x.positions[a]!, `while evaluating attribute '${printIdentifier(k)}'`);
    }
  }
  return obj;
}

/**
 * Current CppNix serialises with nlohmann::json, which refuses strings that are not
 * UTF-8 (upstream eval-fail-toJSON-non-utf-8): its message for the first bad byte
 * (index within the string), or for a sequence cut short at the end.
 */
export function utf8Problem(bytes: string): string | undefined {
  // Fast path: ASCII (most strings) needs no walk.
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(bytes)) return undefined;
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.charCodeAt(i);
    const bad = (): string => `invalid UTF-8 byte at index ${i}: 0x${b.toString(16).toUpperCase().padStart(2, "0")}`;
    if (need === 0) {
      if (b < 0x80) continue;
      if (b >= 0xc2 && b <= 0xdf) need = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        if (b === 0xe0) lo = 0xa0;
        if (b === 0xed) hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        if (b === 0xf0) lo = 0x90;
        if (b === 0xf4) hi = 0x8f;
      } else return bad();
      continue;
    }
    if (b < lo || b > hi) return bad();
    lo = 0x80;
    hi = 0xbf;
    need--;
  }
  if (need > 0) return `incomplete UTF-8 string; last byte: 0x${bytes.charCodeAt(bytes.length - 1).toString(16).toUpperCase().padStart(2, "0")}`;
  return undefined;
}

function checkUtf8(j: JsonValue, pos: number): void {
  if (typeof j === "string") {
    const problem = utf8Problem(j);
    if (problem) throw new EvalError(`JSON serialization error: [json.exception.type_error.316] ${problem}`, pos);
  } else if (Array.isArray(j)) {
    for (const x of j) checkUtf8(x, pos);
  } else if (j instanceof Map) {
    for (const [k, x] of j) {
      checkUtf8(k, pos);
      checkUtf8(x, pos);
    }
  }
}

definePrimOp("__toJSON", 1, ([v], pos) => {
  const ctx = new ContextBuilder();
  const json = valueToJson(v!, pos, ctx);
  checkUtf8(json, pos);
  return ctx.make(renderJson(json));
});

/** A parsed JSON value as a Nix value. */
export function jsonToValue(j: JsonValue): Value {
  if (typeof j === "bigint") return mkInt(j);
  if (typeof j === "number") return new NixFloat(j);
  if (j === null || typeof j === "boolean" || typeof j === "string") return j;
  if (Array.isArray(j)) return j.map((el): Lazy => jsonToValue(el));
  const m = new Map<string, Lazy>();
  for (const [k, el] of j) m.set(k, jsonToValue(el));
  return NixAttrs.fromMap(m);
}

definePrimOp("__fromJSON", 1, ([s], pos) => {
  const text = forceStringNoCtx(s!, pos);
  let parsed: JsonValue;
  try {
    parsed = parseJson(text, "current");
  } catch (err) {
    if (err instanceof JsonParseError) {
      throw new EvalError(err.message, pos).addTrace(pos, "while decoding a JSON string");
    }
    if (err instanceof JsonValueError) throw new EvalError(err.message, pos);
    throw err;
  }
  return jsonToValue(parsed);
});



/** A position for XML output (CppNix 2.8 names `-E`/stdin sources by their text). */
function xmlPos(pos: number): XmlPos | undefined {
  const p = pos === 0 ? undefined : resolvePos(pos);
  if (p === undefined) return undefined;
  const source = sourceOf(pos)!;
  return { path: source.origin === "file" ? p.file : source.text, line: p.line, column: p.column };
}

/**
 * CppNix's printValueAsXML (strict) as a lazy description for support/xml.ts:
 * each part is forced when the writer reaches it, so evaluation order and
 * errors are CppNix's. String contexts are collected into `ctx`.
 */
export function valueToXml(v: Lazy, pos: number, ctx: ContextBuilder, strict = true): XmlValue {
  // Each value is one level of max-call-depth, entered before forcing (CppNix's
  // addCallDepth in printValueAsXML) and left by renderXml once everything under
  // it is written (its `leave` option).
  enterCall(pos);
  // `nix-instantiate --xml` without --strict shows a value not yet computed as such.
  if (!strict && v instanceof Thunk && v.value === undefined) return { kind: "unevaluated" };
  const x = force(v, pos);
  if (typeof x === "number" || typeof x === "bigint") return { kind: "int", value: intToBigInt(x) };
  if (x instanceof NixFloat) return { kind: "float", value: x.value };
  if (typeof x === "boolean") return { kind: "bool", value: x };
  if (x === null) return { kind: "null" };
  if (typeof x === "string" || x instanceof NixString) return { kind: "string", value: ctx.take(x) };
  if (x instanceof NixPath) return { kind: "path", value: x.path };
  if (Array.isArray(x)) return { kind: "list", items: x.map((el) => () => valueToXml(el, pos, ctx, strict)) };
  if (x instanceof NixAttrs) {
    const attrs = x.names.map((name, i) => {
      const p = xmlPos(x.positions[i]!);
      return { name, value: () => valueToXml(x.values[i]!, x.positions[i]! || pos, ctx, strict), ...(p ? { pos: p } : {}) };
    });
    if (!isDerivation(x)) return { kind: "attrs", attrs };
    const drv: XmlValue & { kind: "derivation" } = { kind: "derivation", attrs };
    // Without --strict, drvPath and outPath are shown only if already computed (so an
    // unforced derivation is `<repeated />`, as in CppNix).
    const computed = (i: number): Value | undefined => {
      const a = x.values[i]!;
      if (strict) return force(a, x.positions[i]! || pos);
      return a instanceof Thunk ? a.value : a;
    };
    const drvPath = x.find("drvPath");
    if (drvPath >= 0) {
      const d = computed(drvPath);
      if (typeof d === "string" || d instanceof NixString) drv.drvPath = stringBytes(d);
    }
    const outPath = x.find("outPath");
    if (outPath >= 0) {
      const o = computed(outPath);
      if (typeof o === "string" || o instanceof NixString) drv.outPath = stringBytes(o);
    }
    return drv;
  }
  if (x instanceof NixLambda) {
    const lam = x.expr;
    const p = xmlPos(lam.pos);
    const out: XmlValue & { kind: "lambda" } = { kind: "lambda", arg: lam.arg, ...(p ? { pos: p } : {}) };
    if (lam.formals !== null) out.formals = { names: lam.formals.entries.map((f) => f.name), ellipsis: lam.formals.ellipsis };
    return out;
  }
  return { kind: "unevaluated" };
}

// `nix-instantiate --xml`: attributes carry their positions unless --no-location.
setXmlOutput((v, location, strict) => renderXml(() => valueToXml(v, 0, new ContextBuilder(), strict), { location, leave: leaveCall }));

definePrimOp("__toXML", 1, ([v], pos) => {
  const ctx = new ContextBuilder();
  const text = renderXml(() => valueToXml(v!, pos, ctx), { leave: leaveCall });
  return ctx.make(text);
});
