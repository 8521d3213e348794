/**
 * `trace` (and current Nix's `warn` and `break`, which CppNix 2.8 lacks but
 * current nixpkgs probes for). Messages go to standard error as CppNix's
 * printError writes them: `trace: <value>`.
 */
import {
  EvalError,
  NixString,
  definePrimOp,
  force,
  forceString,
  indentMessage,
  printValueCurrent,
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
 * A value as current CppNix's `trace` prints it (its ValuePrinter: `«thunk»`,
 * `«lambda @ …»`, `«primop …»`; 2.8 printed `<CODE>`, `<LAMBDA>`, `<PRIMOP>`).
 */
export function printValueForTrace(v: Lazy): string {
  return printValueCurrent(v);
}

definePrimOp("__trace", 2, ([msg, value], pos) => {
  const m = force(msg!, pos);
  sink(`trace: ${typeof m === "string" || m instanceof NixString ? stringBytes(m) : printValueForTrace(m)}`);
  return copied(force(value!, pos));
});

/** Current CppNix's traceVerbose without `--trace-verbose` (its default): the second argument, the first untouched. */
definePrimOp("__traceVerbose", 2, ([, value], pos) => copied(force(value!, pos)));

/** Writes a whole formatted log entry (e.g. a warning with frames) where trace lines go. */
export function writeLogLine(text: string): void {
  sink(text);
}

/** CppNix's Logger::warn: `warning: <message>` (not an evaluation warning: no indentation, no abort-on-warn). */
export function logWarning(message: string): void {
  sink(`warning: ${message}`);
}

let abortOnWarn = false;

/** Current CppNix's `abort-on-warn` setting (`--abort-on-warn`, NIX_ABORT_ON_WARN). */
export function setAbortOnWarn(enabled: boolean): void {
  abortOnWarn = enabled;
}

export function abortOnWarnEnabled(): boolean {
  return abortOnWarn;
}

definePrimOp("__warn", 2, ([msg, value], pos) => {
  const text = stringBytes(forceString(msg!, pos)).replace(/[ \t\r\n]+$/, "");
  // As current CppNix: later lines align under the message, unless it starts with a newline.
  sink(text.startsWith("\n") ? "evaluation warning:" + text : indentMessage("evaluation warning: ", " ".repeat(20), text));
  // Not catchable by tryEval, as in CppNix (an EvalBaseError there).
  if (abortOnWarn) throw new EvalError("aborting to reveal stack trace of warning, as abort-on-warn is set", pos);
  return copied(force(value!, pos));
});

// Current Nix enters its debugger here; without one it is the identity.
definePrimOp("break", 1, ([value], pos) => copied(force(value!, pos)));
