/**
 * `builtins.fromTOML`: support/toml.ts parses as toml11 does; this file turns the
 * result into Nix values as current CppNix's prim_fromTOML does: out-of-range
 * integers and NUL bytes are errors, and dates and times are errors unless the
 * `parse-toml-timestamps` experimental feature makes them
 * `{ _type = "timestamp"; value = …; }` (upstream eval-okay-fromTOML-timestamps).
 */
import { EvalError, NixAttrs, NixFloat, definePrimOp, forceStringNoCtx, mkInt, type Lazy, type Value } from "../eval/index.js";
import { TomlArray, TomlDateTime, TomlError, TomlTable, nulStringError, parseToml, type TomlValue } from "./support/index.js";

let timestamps = false;

/** `--extra-experimental-features parse-toml-timestamps` (process-wide, like CppNix's settings). */
export function setTomlTimestamps(enabled: boolean): void {
  timestamps = enabled;
}

export function tomlTimestampsEnabled(): boolean {
  return timestamps;
}

/** Current CppNix's printing of a date/time: `T` between date and time, fractions in 3, 6 or 9 digits, `Z`. */
export function formatTomlDateTime(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})?(?:[Tt ]?(\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (!m) return text;
  const [, date, time, frac, offset] = m;
  let out = date ?? "";
  if (time !== undefined) {
    if (date !== undefined) out += "T";
    out += time;
    // CppNix picks the precision by the value: 3, 6 or 9 digits, none for zero.
    const nine = (frac ?? "").slice(0, 9).padEnd(9, "0");
    if (!/^0*$/.test(nine)) out += "." + (/0{6}$/.test(nine) ? nine.slice(0, 3) : /0{3}$/.test(nine) ? nine.slice(0, 6) : nine);
    if (offset !== undefined) out += offset === "z" || offset === "Z" ? "Z" : offset;
  }
  return out;
}

/** Thrown while converting: a NUL byte in a key or string. */
class NulInString extends Error {}

/** Thrown while converting; CppNix reports it like a syntax error. */
class DatesUnsupported extends Error {}

function tomlToValue(t: TomlValue): Value {
  if (t instanceof TomlTable) {
    const m = new Map<string, Lazy>();
    for (const [k, v] of t.entries) {
      if (k.includes("\0")) throw new NulInString(`error: ${nulStringError(k)}`);
      m.set(k, tomlToValue(v));
    }
    return NixAttrs.fromMap(m);
  }
  if (t instanceof TomlArray) return t.items.map((el): Lazy => tomlToValue(el));
  if (t instanceof TomlDateTime) {
    if (!timestamps) throw new DatesUnsupported("Dates and times are not supported");
    return NixAttrs.fromMap(new Map([["_type", "timestamp"], ["value", formatTomlDateTime(t.text)]]));
  }
  if (typeof t === "string" && t.includes("\0")) throw new NulInString(`error: ${nulStringError(t)}`);
  // support/toml.ts gives ints as bigint and floats as number.
  if (typeof t === "bigint") return mkInt(t);
  if (typeof t === "number") return new NixFloat(t);
  return t;
}

// CppNix 2.8 registers it without underscores: a global `fromTOML` as well as `builtins.fromTOML`.
definePrimOp("fromTOML", 1, ([s], pos) => {
  const text = forceStringNoCtx(s!, pos);
  try {
    return tomlToValue(parseToml(text, "current"));
  } catch (err) {
    if (err instanceof TomlError || err instanceof DatesUnsupported || err instanceof NulInString) {
      throw new EvalError(`while parsing TOML: ${err.message}`, pos);
    }
    throw err;
  }
});
