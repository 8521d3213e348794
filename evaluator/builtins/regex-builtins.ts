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

definePrimOp("__match", 2, ([re, s]) => {
  const pattern = forceStringNoCtx(re!, 0, "while evaluating the first argument passed to builtins.match");
  return withRegex(pattern, 0, () => regexMatch(pattern, stringBytes(forceString(s!, 0, "while evaluating the second argument passed to builtins.match"))));
});

definePrimOp("__split", 2, ([re, s]) => {
  const pattern = forceStringNoCtx(re!, 0, "while evaluating the first argument passed to builtins.split");
  return withRegex(pattern, 0, () => {
    const parts = regexSplit(pattern, stringBytes(forceString(s!, 0, "while evaluating the second argument passed to builtins.split")));
    // Without a match CppNix returns the subject itself, context included.
    if (parts.length === 1) return [s!];
    return parts.map((p): Lazy => (typeof p === "string" ? p : p.slice()));
  });
});
