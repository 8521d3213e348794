/**
 * `builtins.fromTOML`: support/toml.ts parses as toml11 (CppNix 2.8) does; this
 * file turns the result into Nix values as CppNix's prim_fromTOML does.
 */
import { Attr, EvalError, NixAttrs, definePrimOp, forceStringNoCtx, type Lazy, type Value } from "../eval/index.js";
import { TomlArray, TomlDateTime, TomlError, TomlTable, parseToml, type TomlValue } from "./support/index.js";

/** Thrown while converting; CppNix reports it like a syntax error. */
class DatesUnsupported extends Error {}

function tomlToValue(t: TomlValue): Value {
  if (t instanceof TomlTable) {
    const m = new Map<string, Attr>();
    for (const [k, v] of t.entries) m.set(k, new Attr(tomlToValue(v), 0));
    return new NixAttrs(m);
  }
  if (t instanceof TomlArray) return t.items.map((el): Lazy => tomlToValue(el));
  if (t instanceof TomlDateTime) throw new DatesUnsupported("Dates and times are not supported");
  // CppNix makes the Nix string from the C string: it ends at the first NUL.
  if (typeof t === "string") return t.includes("\0") ? t.slice(0, t.indexOf("\0")) : t;
  return t;
}

// CppNix 2.8 registers it without underscores: a global `fromTOML` as well as `builtins.fromTOML`.
definePrimOp("fromTOML", 1, ([s], pos) => {
  const text = forceStringNoCtx(s!, pos);
  try {
    return tomlToValue(parseToml(text));
  } catch (err) {
    if (err instanceof TomlError || err instanceof DatesUnsupported) {
      throw new EvalError(`while parsing a TOML string: ${err.message}`, pos);
    }
    throw err;
  }
});
