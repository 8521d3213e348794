/**
 * Evaluation errors as current CppNix prints them on stderr: the trace frames
 * first (outermost first, each `… message` with its position and code excerpt),
 * then the final `error: message` with its own position. Also the value printer
 * error messages use (`expected a list but found an integer: 1`), which elides
 * deep or long values. Only runs when an error is shown: nothing here is on the
 * success path.
 */
import { readFileSync } from "node:fs";
import { printString } from "../builtins/support/string-escape.js";
import { formatFloat } from "../syntax/show.js";
import { resolvePos, sourceOf } from "../syntax/source.js";
import { NixAttrs, NixFloat, NixLambda, NixPath, NixString, PrimOp, PrimOpApp, Thunk, fromFsPath, toFsPath, type Lazy } from "./value.js";
import type { EvalError, TraceFrame } from "./errors.js";

// Printed text is bytes (latin1 chars): these are the UTF-8 bytes of the glyphs.
const ELLIPSIS = fromFsPath("…");
const LQ = fromFsPath("«");
const RQ = fromFsPath("»");

/** How a position's file is shown: the path, `«string»` (`-E`) or `«stdin»`. */
export function showPosCurrent(pos: number): string | undefined {
  if (pos === 0) return undefined;
  const p = resolvePos(pos);
  const src = sourceOf(pos);
  if (p === undefined || src === undefined) return undefined;
  const file = src.origin === "file" ? p.file : src.origin === "stdin" ? `${LQ}stdin${RQ}` : `${LQ}string${RQ}`;
  return p.column > 0 ? `${file}:${p.line}:${p.column}` : `${file}:${p.line}`;
}

/** The lines around a position (a line ends at `\n`, `\r\n` or a lone `\r`). */
function codeLines(pos: number): string | undefined {
  const p = resolvePos(pos);
  const src = sourceOf(pos);
  if (p === undefined || src === undefined || p.line === 0) return undefined;
  let text: string;
  try {
    text = src.origin === "file" ? readFileSync(toFsPath(src.path), "latin1") : src.text;
  } catch {
    return undefined;
  }
  // CppNix's parser source ends at the first NUL of a string source.
  if (src.origin !== "file") {
    const nul = text.indexOf("\0");
    if (nul >= 0) text = text.slice(0, nul);
  }
  const lines = text.split(/\r\n|\r|\n/);
  const row = (n: number): string => `\n ${String(n).padStart(5)}| ${lines[n - 1]}`;
  let s = "";
  if (p.line > 1 && p.line - 1 <= lines.length) s += row(p.line - 1);
  if (p.line <= lines.length) {
    s += row(p.line);
    if (p.column > 0) s += `\n      |${" ".repeat(p.column)}^`;
  }
  if (p.line + 1 <= lines.length) s += row(p.line + 1);
  return s;
}

/** `at file:1:2:` and the code excerpt, or "" without a position. */
function showAt(indent: string, pos: number): string {
  const at = showPosCurrent(pos);
  if (at === undefined) return "";
  const code = codeLines(pos);
  return `${indent}at ${at}:` + (code !== undefined ? `${code}\n` : "");
}

/**
 * The error (or a warning with frames, `level` "warning") as current nix-instantiate
 * prints it (ends with a newline). Without
 * `--show-trace` only the first few frames are shown (a frame with a position
 * counts twice), then a "stack trace truncated" line; runs of frames seen
 * before are printed as "(N duplicate frames omitted)" when longer than five.
 */
export function formatEvalError(err: EvalError, showTrace: boolean, level: "error" | "warning" = "error"): string {
  let s = "";
  // Frames are stored innermost first; they are shown outermost first.
  const frames = err.traces;
  if (frames.length > 0) {
    const seen = new Set<string>();
    let skipped: TraceFrame[] = [];
    let count = 0;
    let truncate = false;
    const printFrame = (t: TraceFrame): void => {
      s += `\n${ELLIPSIS} ${t.message}\n`;
      const at = showAt("  ", t.pos);
      if (at !== "") {
        s += at;
        count++;
      }
    };
    const flushSkipped = (): void => {
      if (skipped.length === 0) return;
      if (skipped.length <= 5) for (const t of skipped) printFrame(t);
      else {
        // The set of frames seen is kept (CppNix clears only a copy of it).
        s += `\n(${skipped.length} duplicate frames omitted)\n`;
      }
      skipped = [];
    };
    for (let i = frames.length - 1; i >= 0; i--) {
      const t = frames[i]!;
      if (t.message === "") continue;
      if (!showTrace && count > 3) truncate = true;
      if (truncate && !t.always) continue;
      const key = `${t.pos}\0${t.message}`;
      if (seen.has(key)) {
        skipped.push(t);
        continue;
      }
      seen.add(key);
      flushSkipped();
      count++;
      printFrame(t);
    }
    flushSkipped();
    if (truncate) s += "\n(stack trace truncated; use '--show-trace' to show the full, detailed trace)\n";
    s += `\n${level}: `;
  }
  s += `${err.message}\n`;
  s += showAt("", err.pos);
  if (err.suggestions.length > 0) s += `Did you mean ${showSuggestions(err.suggestions)}?\n`;
  return indentMessage(`${level}: `, " ".repeat(level.length + 2), s.replace(/[ \t\r\n]+$/, "")) + "\n";
}

/**
 * CppNix's indent(): each line prefixed and right-trimmed of " \t\r\n" only (its chomp;
 * `\s` would also eat byte 0xA0, the tail of UTF-8 characters such as "à").
 */
export function indentMessage(first: string, rest: string, s: string): string {
  return s
    .split("\n")
    .map((l, i) => ((i === 0 ? first : rest) + l).replace(/[ \t\r\n]+$/, ""))
    .join("\n");
}

function showSuggestions(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  return `one of ${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}

// ---------------------------------------------------------------- values in messages

const RESERVED = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit"]);

/**
 * An attribute name as the error printer shows it (bare when it is a variable name):
 * current CppNix prints every symbol in a message this way (printIdentifier), so
 * `{ }."a b"` fails with `attribute '"a b"' missing`.
 */
export function printIdentifier(name: string): string {
  return attrName(name);
}

function attrName(name: string): string {
  if (name !== "" && !RESERVED.has(name) && /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name)) return name;
  return literal(name, Infinity);
}

function literal(bytes: string, max: number): string {
  const quoted = printString(bytes, max);
  return bytes.length > max ? `${quoted} ${elided(bytes.length - max, "byte", "bytes")}` : quoted;
}

function elided(n: number, one: string, many: string): string {
  return `${LQ}${n} ${n === 1 ? one : many} elided${RQ}`;
}

const MAX_DEPTH = 10;
const MAX_ITEMS = 10;
const MAX_STRING = 1024;

/**
 * A value as current CppNix shows it in error messages (its errorPrintOptions):
 * at most 10 levels, 10 attributes and 10 list items in all, strings cut after
 * 1024 bytes, `type`/`_type` listed first in sets, unevaluated parts `«thunk»`.
 */
export function printErrorValue(v: Lazy): string {
  const state = { attrs: 0, items: 0, seen: new Set<object>() };
  return printLimited(v, 0, state);
}

function printLimited(v: Lazy, depth: number, st: { attrs: number; items: number; seen: Set<object> }, slot?: object): string {
  if (v instanceof Thunk) {
    if (v.value === undefined) return v.code === null ? `${LQ}potential infinite recursion${RQ}` : `${LQ}thunk${RQ}`;
    return printLimited(v.value, depth, st, v);
  }
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (v instanceof NixFloat) return formatFloat(v.value);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) return "null";
  if (typeof v === "string") return literal(v, MAX_STRING);
  if (v instanceof NixString) return literal(v.s, MAX_STRING);
  if (v instanceof NixPath) return v.path;
  if (v instanceof NixAttrs) {
    if (st.seen.has(v)) return `${LQ}repeated${RQ}`;
    st.seen.add(v);
    if (depth >= MAX_DEPTH) return "{ ... }";
    const keys = [...v.keys()];
    const important = (k: string): boolean => k === "type" || k === "_type";
    const order = keys.map((k, i) => [k, i] as const).sort((a, b) => Number(important(b[0])) - Number(important(a[0])) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let s = "{";
    let printed = 0;
    for (const [k, i] of order) {
      s += " ";
      if (st.attrs >= MAX_ITEMS) {
        s += elided(order.length - printed, "attribute", "attributes");
        break;
      }
      s += `${attrName(k)} = ${printLimited(v.values[i]!, depth + 1, st)};`;
      st.attrs++;
      printed++;
    }
    return s + " }";
  }
  if (Array.isArray(v)) {
    const key = slot ?? v;
    if (v.length > 0) {
      if (st.seen.has(key)) return `${LQ}repeated${RQ}`;
      st.seen.add(key);
    }
    if (depth >= MAX_DEPTH) return "[ ... ]";
    let s = "[";
    let printed = 0;
    for (const x of v) {
      s += " ";
      if (st.items >= MAX_ITEMS) {
        s += elided(v.length - printed, "item", "items");
        break;
      }
      s += printLimited(x, depth + 1, st);
      st.items++;
      printed++;
    }
    return s + " ]";
  }
  if (v instanceof NixLambda) {
    const name = v.expr.name !== "" ? ` ${v.expr.name}` : "";
    const at = showPosCurrent(v.expr.pos);
    return `${LQ}lambda${name}` + (at !== undefined ? ` @ ${at}` : "") + RQ;
  }
  if (v instanceof PrimOp) return `${LQ}primop ${v.name.replace(/^__/, "")}${RQ}`;
  if (v instanceof PrimOpApp) return `${LQ}partially applied primop ${v.primop.name.replace(/^__/, "")}${RQ}`;
  return `${LQ}unknown${RQ}`;
}
