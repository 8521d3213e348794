/**
 * The builtins the language core itself depends on: the desugared operators,
 * `import`/`scopedImport`, search paths, `throw`/`abort`/`tryEval`/
 * `addErrorContext`, and the constants `true false null`. Every other builtin
 * lives under evaluator/builtins/.
 */
import { NixAttrs, NixFloat, NixPath, stringBytes } from "./value.js";
import { AbortError, EvalError, ThrownError, isCatchable } from "./errors.js";
import { defineConstant, definePrimOp } from "./primops.js";
import { force } from "./interpreter.js";
import { calls } from "./call-depth.js";
import {
  coerceToPath,
  coerceToString,
  divInts,
  forceAttrs,
  forceFloat,
  forceInt,
  forceList,
  forceStringNoCtx,
  lessThan,
  mulInts,
  subInts,
} from "./operations.js";
import { evalFile, evalFileScoped, findFile } from "./files.js";
import { evalState, realiseContextPath, type SearchPathEntry } from "./state.js";

/** The names registered here; evaluator/builtins must not register them again. */
export const CORE_PRIMOPS: readonly string[] = [
  "__sub", "__mul", "__div", "__lessThan", "import", "scopedImport", "__findFile", "__nixPath",
  "throw", "abort", "__tryEval", "__addErrorContext", "true", "false", "null",
];

defineConstant("true", true);
defineConstant("false", false);
defineConstant("null", null);

// Errors name the operand (current CppNix's frames) and carry no position: the "while calling" frame has it.
definePrimOp("__sub", 2, (args, pos) => {
  const x = force(args[0]!, pos);
  const y = force(args[1]!, pos);
  if (typeof x === "number" && typeof y === "number") return subInts(x, y);
  if (x instanceof NixFloat || y instanceof NixFloat) return new NixFloat(forceFloat(x, 0, "while evaluating the first argument of the subtraction") - forceFloat(y, 0, "while evaluating the second argument of the subtraction"));
  return subInts(forceInt(x, 0, "while evaluating the first argument of the subtraction"), forceInt(y, 0, "while evaluating the second argument of the subtraction"));
});

definePrimOp("__mul", 2, (args, pos) => {
  const x = force(args[0]!, pos);
  const y = force(args[1]!, pos);
  if (x instanceof NixFloat || y instanceof NixFloat) return new NixFloat(forceFloat(x, 0, "while evaluating the first of the multiplication") * forceFloat(y, 0, "while evaluating the second argument of the multiplication"));
  return mulInts(forceInt(x, 0, "while evaluating the first argument of the multiplication"), forceInt(y, 0, "while evaluating the second argument of the multiplication"));
});

definePrimOp("__div", 2, ([a, b], pos) => {
  const x = force(a!, pos);
  const y = force(b!, pos);
  if (forceFloat(y, 0, "while evaluating the second operand of the division") === 0) throw new EvalError("division by zero");
  if (x instanceof NixFloat || y instanceof NixFloat) return new NixFloat(forceFloat(x, 0, "while evaluating the first operand of the division") / forceFloat(y, 0, "while evaluating the second operand of the division"));
  const i1 = forceInt(x, 0, "while evaluating the first operand of the division");
  const i2 = forceInt(y, 0, "while evaluating the second operand of the division");
  return divInts(i1, i2);
});

definePrimOp("__lessThan", 2, (args, pos) => {
  const x = force(args[0]!, pos);
  const y = force(args[1]!, pos);
  if (typeof x === "number" && typeof y === "number") return x < y;
  return lessThan(x, y, 0);
});

/** `import`'s argument: a path value or a string holding an absolute path. */
function importPath(v: Parameters<typeof force>[0], pos: number): string {
  const x = force(v, pos);
  if (x instanceof NixPath) return x.path;
  let r: { path: string; context: readonly string[] };
  try {
    r = coerceToPath(x, pos);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(pos, "while realising the context of a path");
    throw err;
  }
  return realiseContextPath(r.path, r.context, pos);
}

definePrimOp("import", 1, ([p], pos) => evalFile(importPath(p!, pos)));

definePrimOp("scopedImport", 2, ([scope, p], pos) => {
  const attrs = forceAttrs(scope!, pos);
  return evalFileScoped(importPath(p!, pos), attrs);
});

definePrimOp("__findFile", 2, ([sp, name], pos) => {
  const entries: SearchPathEntry[] = [];
  for (const el of forceList(sp!, pos)) {
    const attrs = forceAttrs(el, pos);
    const prefix = attrs.get("prefix");
    const path = attrs.get("path");
    if (path === undefined) throw new EvalError("attribute 'path' missing", pos);
    entries.push({
      prefix: prefix === undefined ? "" : forceStringNoCtx(prefix, pos),
      path: stringBytes(coerceToString(path, pos, { coerceMore: false, copyToStore: false })),
    });
  }
  return new NixPath(findFile(entries, forceStringNoCtx(name!, pos), pos));
});

defineConstant("__nixPath", () =>
  evalState().searchPath.map((e) => NixAttrs.of({ path: e.path, prefix: e.prefix })),
);

definePrimOp("throw", 1, ([msg], pos) => {
  throw new ThrownError(stringBytes(coerceToString(msg!, pos)));
});

definePrimOp("abort", 1, ([msg], pos) => {
  throw new AbortError(`evaluation aborted with the following error message: '${stringBytes(coerceToString(msg!, pos))}'`);
});

definePrimOp("__tryEval", 1, ([e], pos) => {
  const depth = calls.depth;
  try {
    const v = force(e!, pos);
    return NixAttrs.of({ success: true, value: v });
  } catch (err) {
    // The levels the error unwound were not left (call-depth.ts). Not caught: max-call-depth (as CppNix).
    if (isCatchable(err)) {
      calls.depth = depth;
      return NixAttrs.of({ success: false, value: false });
    }
    throw err;
  }
});

definePrimOp("__addErrorContext", 2, ([ctx, e], pos) => {
  try {
    return force(e!, pos);
  } catch (err) {
    // Shown even past the truncation of frames (CppNix's TracePrint::Always).
    if (err instanceof EvalError) err.addTrace(0, stringBytes(coerceToString(ctx!, pos)), true);
    throw err;
  }
});
