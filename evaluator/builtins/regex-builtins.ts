/**
 * `builtins.match` and `builtins.split` over the POSIX ERE engine in support/,
 * which reproduces libstdc++'s std::regex as CppNix uses it.
 */
import { EvalError, definePrimOp, forceString, forceStringNoCtx, stringBytes, type Lazy } from "../eval/index.js";
import { RegexError, compileRegex, regexMatch, regexSplit } from "./support/index.js";

/** Compiles before the subject is forced, as CppNix does, turning engine errors into evaluation errors. */
function withRegex<T>(pattern: string, pos: number, run: () => T): T {
  try {
    compileRegex(pattern);
    return run();
  } catch (err) {
    if (err instanceof RegexError) throw new EvalError(err.message, pos);
    throw err;
  }
}

definePrimOp("__match", 2, ([re, s], pos) => {
  const pattern = forceStringNoCtx(re!, pos);
  return withRegex(pattern, pos, () => regexMatch(pattern, stringBytes(forceString(s!, pos))));
});

definePrimOp("__split", 2, ([re, s], pos) => {
  const pattern = forceStringNoCtx(re!, pos);
  return withRegex(pattern, pos, () => {
    const parts = regexSplit(pattern, stringBytes(forceString(s!, pos)));
    // Without a match CppNix returns the subject itself, context included.
    if (parts.length === 1) return [s!];
    return parts.map((p): Lazy => (typeof p === "string" ? p : p.slice()));
  });
});
