/**
 * `trace` (and current Nix's `warn` and `break`, which CppNix 2.8 lacks but
 * current nixpkgs probes for). Messages go to standard error as CppNix's
 * printError writes them: `trace: <value>`.
 */
import {
  NixAttrs,
  NixLambda,
  NixPath,
  NixString,
  PrimOp,
  PrimOpApp,
  Thunk,
  definePrimOp,
  force,
  forceString,
  formatFloatShort,
  printString,
  stringBytes,
  type Lazy,
} from "../eval/index.js";
import { copied } from "./common.js";

/** Where trace and warning lines go (a byte string without the newline); tests replace it. */
let sink: (line: string) => void = (line) => {
  process.stderr.write(Buffer.from(line + "\n", "latin1"));
};

/** Replaces the trace output (returns the previous sink). */
export function setTraceSink(next: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = next;
  return prev;
}

/**
 * CppNix 2.8's `Value::print` as `trace` uses it: unevaluated values are
 * `<CODE>`, names unquoted, and a set or list met a second time `«repeated»`.
 */
export function printValueForTrace(v: Lazy, seen = new Set<object>()): string {
  if (v instanceof Thunk) {
    if (v.value === undefined) return "<CODE>";
    v = v.value;
  }
  switch (typeof v) {
    case "bigint":
      return v.toString();
    case "number":
      return formatFloatShort(v);
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return printString(v);
  }
  if (v === null) return "null";
  if (v instanceof NixString) return printString(v.s);
  if (v instanceof NixPath) return v.path;
  if (v instanceof NixAttrs) {
    if (v.size > 0) {
      if (seen.has(v)) return "«repeated»";
      seen.add(v);
    }
    let s = "{ ";
    for (const k of v.keys()) s += `${k} = ${printValueForTrace(v.getAttr(k)!.value, seen)}; `;
    return s + "}";
  }
  if (Array.isArray(v)) {
    if (v.length > 0) {
      if (seen.has(v)) return "«repeated»";
      seen.add(v);
    }
    let s = "[ ";
    for (const x of v) s += printValueForTrace(x, seen) + " ";
    return s + "]";
  }
  if (v instanceof NixLambda) return "<LAMBDA>";
  if (v instanceof PrimOp) return "<PRIMOP>";
  if (v instanceof PrimOpApp) return "<PRIMOP-APP>";
  return "<UNKNOWN>";
}

definePrimOp("__trace", 2, ([msg, value], pos) => {
  const m = force(msg!, pos);
  sink(`trace: ${typeof m === "string" || m instanceof NixString ? stringBytes(m) : printValueForTrace(m)}`);
  return copied(force(value!, pos));
});

definePrimOp("__warn", 2, ([msg, value], pos) => {
  sink(`evaluation warning: ${stringBytes(forceString(msg!, pos))}`);
  return copied(force(value!, pos));
});

// Current Nix enters its debugger here; without one it is the identity.
definePrimOp("break", 1, ([value], pos) => copied(force(value!, pos)));
