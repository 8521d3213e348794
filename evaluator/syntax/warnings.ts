/**
 * Warnings the parser itself gives (current CppNix's deprecation of `or` used as an
 * identifier), through a settable sink: the evaluator prints them where trace lines
 * go, with positions as CppNix shows them. Counted, so a cache of parsed files can
 * leave out a file whose parse warned (a cached parse would not warn again).
 */
import { showPos } from "./source.js";

export type SyntaxWarningSink = (pos: number, message: string) => void;

let sink: SyntaxWarningSink = (pos, message) => process.stderr.write(Buffer.from(`warning: at ${showPos(pos)}: ${message}\n`, "latin1"));
let count = 0;

/** Replaces the sink; returns the previous one. */
export function setSyntaxWarningSink(next: SyntaxWarningSink): SyntaxWarningSink {
  const prev = sink;
  sink = next;
  return prev;
}

export function syntaxWarning(pos: number, message: string): void {
  count++;
  sink(pos, message);
}

/** How many warnings parsing has given so far in this thread. */
export function syntaxWarningCount(): number {
  return count;
}
