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
  stringBytes,
  type Lazy,
  type NixString,
  type NixInt,
} from "../eval/index.js";
import { ContextBuilder, withContextOf } from "./common.js";

/** An int64 as a string offset: exact up to 2^53, beyond that only its sign matters (strings are shorter). */
function toOffset(n: NixInt): number {
  return typeof n === "number" ? n : n < 0n ? -Infinity : Infinity;
}

// Coercion options as constants: these builtins are hot in nixpkgs lib, and a
// literal here would be a fresh object per call.
const TO_STRING = { coerceMore: true, copyToStore: false, ctx: "while evaluating the first argument passed to builtins.toString" } as const;
const SUBSTRING_STRING = { ctx: "while evaluating the third argument (the string) passed to builtins.substring" } as const;
const STRING_LENGTH = { ctx: "while evaluating the argument passed to builtins.stringLength" } as const;

definePrimOp("toString", 1, ([x]) => coerceToString(x!, 0, TO_STRING));

definePrimOp("__substring", 3, ([start, len, s]) => {
  // Full 64-bit offsets, as current CppNix (2.8 truncated them to a C int).
  const from = toOffset(forceInt(start!, 0, "while evaluating the first argument (the start offset) passed to builtins.substring"));
  if (from < 0) throw new EvalError("negative start position in 'substring'");
  const n = toOffset(forceInt(len!, 0, "while evaluating the second argument (the substring length) passed to builtins.substring"));
  const str = coerceToString(s!, 0, SUBSTRING_STRING);
  const bytes = stringBytes(str);
  // A negative length converts to a huge size_t: everything to the end.
  const out = from >= bytes.length ? "" : n < 0 ? bytes.slice(from) : bytes.slice(from, from + n);
  return withContextOf(out, str);
});

definePrimOp("__stringLength", 1, ([s]) => stringBytes(coerceToString(s!, 0, STRING_LENGTH)).length);

definePrimOp("__concatStringsSep", 2, ([sep, xs]) => {
  const ctx = new ContextBuilder();
  const separator = ctx.take(forceString(sep!, 0, "while evaluating the first argument (the separator string) passed to builtins.concatStringsSep"));
  const list = forceList(xs!, 0, "while evaluating the second argument (the list of strings to concat) passed to builtins.concatStringsSep");
  const element = { ctx: "while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep" };
  let out = "";
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += separator;
    out += ctx.take(coerceToString(list[i]!, 0, element));
  }
  return ctx.make(out);
});

definePrimOp("__replaceStrings", 3, ([fromList, toList, s]) => {
  const froms = forceList(fromList!, 0, "while evaluating the first argument passed to builtins.replaceStrings");
  const tos = forceList(toList!, 0, "while evaluating the second argument passed to builtins.replaceStrings");
  if (froms.length !== tos.length) {
    throw new EvalError("'from' and 'to' arguments passed to builtins.replaceStrings have different lengths");
  }
  const n = froms.length;
  const from = new Array<string>(n);
  let hasEmpty = false;
  for (let i = 0; i < n; i++) {
    const f = stringBytes(forceString(froms[i]!, 0, "while evaluating one of the strings to replace passed to builtins.replaceStrings"));
    from[i] = f;
    if (f.length === 0) hasEmpty = true;
  }
  const str = forceString(s!, 0, "while evaluating the third argument passed to builtins.replaceStrings");
  const input = stringBytes(str);
  // No pattern occurs (the usual case for lib's escaping helpers): the string as
  // it is, context included, and no replacement is forced.
  if (!hasEmpty && !from.some((f) => input.includes(f))) return str;
  return hasEmpty ? replaceWithEmpty(input, str, from, tos) : replaceNonEmpty(input, str, from, tos);
});

/** A replacement string, forced on its first use only. */
function replacementOf(tos: readonly Lazy[], i: number): string | NixString {
  return forceString(tos[i]!, 0, "while evaluating one of the replacement strings passed to builtins.replaceStrings");
}

/**
 * replaceStrings without empty patterns, by native searches: at each step the
 * leftmost next occurrence wins, the earliest pattern in the list on a tie, which
 * is what the byte-by-byte scan (first position, then patterns in order) finds.
 */
function replaceNonEmpty(input: string, str: string | NixString, from: readonly string[], tos: readonly Lazy[]): string | NixString {
  const n = from.length;
  const next = new Array<number>(n);
  for (let i = 0; i < n; i++) next[i] = input.indexOf(from[i]!);
  const to: (string | NixString | undefined)[] = new Array(n);
  const ctx = new ContextBuilder();
  ctx.take(str);
  let out = "";
  let p = 0;
  for (;;) {
    let best = -1;
    let at = input.length;
    for (let i = 0; i < n; i++) {
      let q = next[i]!;
      // An occurrence overlapped by the last replacement: search again from here.
      if (q >= 0 && q < p) q = next[i] = input.indexOf(from[i]!, p);
      if (q >= 0 && q < at) {
        at = q;
        best = i;
      }
    }
    if (best < 0) break;
    let r = to[best];
    if (r === undefined) {
      r = to[best] = replacementOf(tos, best);
      // A replacement's context is added the first time it is used.
      ctx.take(r);
    }
    out += input.slice(p, at) + stringBytes(r);
    p = at + from[best]!.length;
  }
  out += input.slice(p);
  return ctx.make(out);
}

/** replaceStrings with an empty pattern (it matches before every byte and at the end): a byte-by-byte scan. */
function replaceWithEmpty(input: string, str: string | NixString, from: readonly string[], tos: readonly Lazy[]): string | NixString {
  // Current CppNix forces a replacement only when its pattern matches
  // (upstream eval-okay-replacestrings: an unused `throw` is never evaluated).
  const to: (string | NixString)[] = [];
  // A replacement's context is added the first time it is used (CppNix clears it after).
  const toContextUsed: boolean[] = [];
  const ctx = new ContextBuilder();
  ctx.take(str);
  let out = "";
  let runStart = 0;
  for (let p = 0; p <= input.length; ) {
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
    const replacement = (to[matched] ??= replacementOf(tos, matched));
    out += stringBytes(replacement);
    if (pattern.length === 0) {
      // An empty pattern matches before every byte and at the end; the byte is kept.
      if (p < input.length) out += input[p];
      p++;
    } else p += pattern.length;
    runStart = Math.min(p, input.length);
    if (toContextUsed[matched] !== true) {
      toContextUsed[matched] = true;
      ctx.take(replacement);
    }
  }
  out += input.slice(runStart);
  return ctx.make(out);
}
