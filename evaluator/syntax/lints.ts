/**
 * Current CppNix's literal lints (`--lint-absolute-path-literals`,
 * `--lint-short-path-literals`, `--lint-url-literals`, each `warn` or `fatal`),
 * checked while parsing. Process-wide, like CppNix's settings: the command line
 * sets them once before anything is parsed.
 */

export type LintLevel = "ignore" | "warn" | "fatal";

export interface LiteralLints {
  absolutePaths: LintLevel;
  shortPaths: LintLevel;
  urls: LintLevel;
  /** Receives a warning's message and global position. */
  warn: (message: string, pos: number) => void;
}

let lints: LiteralLints = { absolutePaths: "ignore", shortPaths: "ignore", urls: "ignore", warn: () => {} };

/** Replaces the lint settings; returns the previous ones. */
export function setLiteralLints(next: LiteralLints): LiteralLints {
  const prev = lints;
  lints = next;
  return prev;
}

/** The lint finding for a path literal as written (`/a`, `~/a`, `a/b`), if any. */
export function pathLiteralLint(text: string): { level: LintLevel; message: string } | undefined {
  if (text.startsWith("/")) {
    if (lints.absolutePaths === "ignore") return undefined;
    return { level: lints.absolutePaths, message: `absolute path literals are not portable. Consider replacing path literal '${text}' by a string, relative path, or parameter (lint-absolute-path-literals)` };
  }
  if (text.startsWith("~/")) {
    if (lints.absolutePaths === "ignore") return undefined;
    return { level: lints.absolutePaths, message: `home path literals are not portable. Consider replacing path literal '${text}' by a string, relative path, or parameter (lint-absolute-path-literals)` };
  }
  if (text.startsWith("./") || text.startsWith("../")) return undefined;
  if (lints.shortPaths === "ignore") return undefined;
  return { level: lints.shortPaths, message: `relative path literal '${text}' should be prefixed with '.' for clarity: './${text}' (lint-short-path-literals)` };
}

/** The lint finding for a URL literal, if any. */
export function urlLiteralLint(text: string): { level: LintLevel; message: string } | undefined {
  if (lints.urls === "ignore") return undefined;
  const verb = lints.urls === "fatal" ? "disallowed" : "discouraged";
  return { level: lints.urls, message: `URL literals are ${verb}. Consider using a string literal "${text}" instead (lint-url-literals)` };
}

/** Reports a warning through the configured sink. */
export function lintWarn(message: string, pos: number): void {
  lints.warn(message, pos);
}
