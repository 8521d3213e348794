/**
 * String builtins (CppNix 2.8 primops.cc, "String manipulation"). Strings are
 * byte strings, so lengths and offsets count bytes as CppNix does.
 */
import {
  EvalError,
  coerceToString,
  definePrimOp,
  forceInt,
  forceList,
  forceString,
  mkString,
  stringBytes,
  stringContext,
  type Lazy,
} from "../eval/index.js";
import { ContextBuilder } from "./common.js";

/** A C `int` conversion of an int64, as CppNix does for substring's arguments. */
function cInt(n: bigint): number {
  return Number(BigInt.asIntN(32, n));
}

definePrimOp("toString", 1, ([x], pos) => coerceToString(x!, pos, { coerceMore: true, copyToStore: false }));

definePrimOp("__substring", 3, ([start, len, s], pos) => {
  const from = cInt(forceInt(start!, pos));
  const n = cInt(forceInt(len!, pos));
  const str = coerceToString(s!, pos);
  if (from < 0) throw new EvalError("negative start position in 'substring'", pos);
  const bytes = stringBytes(str);
  // A negative length converts to a huge size_t: everything to the end.
  const out = from >= bytes.length ? "" : n < 0 ? bytes.slice(from) : bytes.slice(from, from + n);
  return mkString(out, stringContext(str));
});

definePrimOp("__stringLength", 1, ([s], pos) => BigInt(stringBytes(coerceToString(s!, pos)).length));

definePrimOp("__concatStringsSep", 2, ([sep, xs], pos) => {
  const ctx = new ContextBuilder();
  const separator = ctx.take(forceString(sep!, pos));
  const list = forceList(xs!, pos);
  let out = "";
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += separator;
    out += ctx.take(coerceToString(list[i]!, pos));
  }
  return ctx.make(out);
});

definePrimOp("__replaceStrings", 3, ([fromList, toList, s], pos) => {
  const froms = forceList(fromList!, pos);
  const tos = forceList(toList!, pos);
  if (froms.length !== tos.length) {
    throw new EvalError("'from' and 'to' arguments to 'replaceStrings' have different lengths", pos);
  }
  const from = froms.map((x: Lazy) => stringBytes(forceString(x, pos)));
  // Current CppNix forces a replacement only when its pattern matches
  // (upstream eval-okay-replacestrings: an unused `throw` is never evaluated).
  const to: ReturnType<typeof forceString>[] = [];
  const replacementAt = (i: number): ReturnType<typeof forceString> => (to[i] ??= forceString(tos[i]!, pos));
  // A replacement's context is added the first time it is used (CppNix clears it after).
  const toContextUsed = new Array<boolean>(to.length).fill(false);
  const ctx = new ContextBuilder();
  const str = forceString(s!, pos);
  const input = ctx.take(str);
  const hasEmpty = from.some((f) => f.length === 0);
  // Bytes that can start a pattern: other positions are copied in runs.
  const starts = new Set(from.map((f) => f.charCodeAt(0)));
  let out = "";
  let runStart = 0;
  for (let p = 0; p <= input.length; ) {
    if (!hasEmpty && p < input.length && !starts.has(input.charCodeAt(p))) {
      p++;
      continue;
    }
    let matched = -1;
    for (let i = 0; i < from.length; i++) {
      if (input.startsWith(from[i]!, p)) {
        matched = i;
        break;
      }
    }
    if (matched < 0) {
      p++;
      continue;
    }
    out += input.slice(runStart, p);
    const pattern = from[matched]!;
    const replacement = replacementAt(matched);
    out += stringBytes(replacement);
    if (pattern.length === 0) {
      // An empty pattern matches before every byte and at the end; the byte is kept.
      if (p < input.length) out += input[p];
      p++;
    } else p += pattern.length;
    runStart = Math.min(p, input.length);
    if (!toContextUsed[matched]) {
      toContextUsed[matched] = true;
      ctx.take(replacement);
    }
  }
  out += input.slice(runStart);
  return ctx.make(out);
});
