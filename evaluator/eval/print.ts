/**
 * Values as `nix-instantiate --eval` prints them (CppNix 2.8's Value::print with
 * repeated sets/lists shown as `«repeated»`), and evaluation errors as CppNix
 * formats them on stderr.
 */
import { formatFloat, showId } from "../syntax/show.js";
import { printString } from "../builtins/support/string-escape.js";
import { resolvePos, sourceOf } from "../syntax/source.js";
import { NixAttrs, NixFloat, NixLambda, NixPath, NixString, PrimOp, PrimOpApp, Thunk, fromFsPath, type Lazy } from "./value.js";
import { formatEvalError, showPosCurrent } from "./error-format.js";

// Printed text is bytes (latin1 chars): these are the UTF-8 bytes of the glyphs.
const REPEATED = fromFsPath("«repeated»");

/**
 * Prints a value as `nix-instantiate --eval` does (CppNix's printAmbiguous);
 * unevaluated parts are `<CODE>`. A set met again (same bindings) or a list met
 * again through the same slot is `«repeated»`: CppNix tracks lists by the Value
 * holding them, and a thunk is such a slot, so a list reached through another
 * thunk (a copy in CppNix) prints again (upstream eval-okay-print).
 */
export function printValue(v: Lazy): string {
  const out: string[] = [];
  const seen = new Set<object>();
  // Entries: a value with the slot (thunk) it was reached through, or text.
  const stack: (Lazy | { text: string } | Slot)[] = [v];
  // Iterative so that deep values do not overflow the JS stack.
  while (stack.length > 0) {
    const entry = stack.pop()!;
    let item: Lazy | { text: string };
    let slot: object | undefined;
    if (entry instanceof Slot) {
      item = entry.value;
      slot = entry.thunk;
    } else item = entry;
    if (item instanceof Thunk) {
      if (item.value === undefined) out.push("<CODE>");
      else stack.push(new Slot(item.value, item));
      continue;
    }
    if (isText(item)) {
      out.push(item.text);
      continue;
    }
    const x = item;
    if (typeof x === "number" || typeof x === "bigint") out.push(String(x));
    else if (x instanceof NixFloat) out.push(formatFloat(x.value));
    else if (typeof x === "boolean") out.push(x ? "true" : "false");
    else if (x === null) out.push("null");
    else if (typeof x === "string") out.push(printString(x));
    else if (x instanceof NixString) out.push(printString(x.s));
    else if (x instanceof NixPath) out.push(x.path);
    else if (x instanceof NixAttrs) {
      if (x.size > 0 && seen.has(x)) {
        out.push(REPEATED);
        continue;
      }
      seen.add(x);
      out.push("{ ");
      const keys = x.keys();
      stack.push({ text: "}" });
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push({ text: "; " });
        stack.push(x.values[i]!);
        stack.push({ text: `${showId(keys[i]!)} = ` });
      }
    } else if (Array.isArray(x)) {
      const key = slot ?? x;
      if (x.length > 0 && seen.has(key)) {
        out.push(REPEATED);
        continue;
      }
      seen.add(key);
      out.push("[ ");
      stack.push({ text: "]" });
      for (let i = x.length - 1; i >= 0; i--) {
        stack.push({ text: " " });
        stack.push(x[i]!);
      }
    } else if (x instanceof NixLambda) out.push("<LAMBDA>");
    else if (x instanceof PrimOp) out.push("<PRIMOP>");
    else if (x instanceof PrimOpApp) out.push("<PRIMOP-APP>");
  }
  return out.join("");
}

/** A forced value and the thunk it was reached through (its CppNix Value slot). */
class Slot {
  constructor(
    readonly value: Lazy,
    readonly thunk: Thunk,
  ) {}
}

const THUNK = fromFsPath("«thunk»");
const BLACKHOLE = fromFsPath("«potential infinite recursion»");

/**
 * A value as current CppNix's ValuePrinter shows it in `trace` and error messages:
 * `«thunk»` for unevaluated parts, `«lambda name @ file:line:col»`,
 * `«primop map»`, `«partially applied primop map»`, quoted attribute names, and
 * `«repeated»` for a set (same bindings) or list (same slot) met again.
 */
export function printValueCurrent(v: Lazy, seen: Set<object> = new Set<object>(), slot?: object): string {
  if (v instanceof Thunk) {
    if (v.value === undefined) return v.code === null ? BLACKHOLE : THUNK;
    return printValueCurrent(v.value, seen, v);
  }
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (v instanceof NixFloat) return formatFloat(v.value);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) return "null";
  if (typeof v === "string") return printString(v);
  if (v instanceof NixString) return printString(v.s);
  if (v instanceof NixPath) return v.path;
  if (v instanceof NixAttrs) {
    if (seen.has(v)) return REPEATED;
    seen.add(v);
    let s = "{ ";
    const keys = v.keys();
    for (let i = 0; i < keys.length; i++) s += `${showId(keys[i]!)} = ${printValueCurrent(v.values[i]!, seen)}; `;
    return s + "}";
  }
  if (Array.isArray(v)) {
    const key = slot ?? v;
    if (v.length > 0) {
      if (seen.has(key)) return REPEATED;
      seen.add(key);
    }
    let s = "[ ";
    for (const x of v) s += printValueCurrent(x, seen) + " ";
    return s + "]";
  }
  if (v instanceof NixLambda) {
    const name = v.expr.name !== "" ? ` ${v.expr.name}` : "";
    const at = atPos(v.expr.pos);
    return fromFsPath("«") + `lambda${name}` + (at !== undefined ? ` @ ${at}` : "") + fromFsPath("»");
  }
  if (v instanceof PrimOp) return fromFsPath("«") + `primop ${v.name}` + fromFsPath("»");
  if (v instanceof PrimOpApp) return fromFsPath("«") + `partially applied primop ${v.primop.name}` + fromFsPath("»");
  return fromFsPath("«unknown»");
}

function isText(x: unknown): x is { text: string } {
  return typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

export { printString };

// ---------------------------------------------------------------- errors

/** `«string»:1:5` / `/path/f.nix:1:5` as the "at" line shows it, or undefined. */
const atPos = showPosCurrent;

export { formatEvalError };

/**
 * A warning with its position as current CppNix prints it (no blank lines, the
 * excerpt indented under `warning: `), e.g. for the literal lints:
 * `warning: <msg>\n         at f.nix:1:1:\n              1| …`. Ends with a newline.
 */
export function formatPositionedWarning(message: string, pos: number): string {
  let s = `warning: ${message}\n`;
  const at = pos !== 0 ? atPos(pos) : undefined;
  if (at === undefined) return s;
  s += `         at ${at}:\n`;
  const p = resolvePos(pos)!;
  const src = sourceOf(pos)!;
  const lines = src.text.split("\n");
  const row = (n: number): string => `         ${String(n).padStart(6)}| ${lines[n - 1]}`.replace(/[ \t\r\n]+$/, "") + "\n";
  if (p.line > 1) s += row(p.line - 1);
  s += row(p.line);
  s += `               |${" ".repeat(p.column)}^\n`;
  if (p.line < lines.length) s += row(p.line + 1);
  return s;
}
