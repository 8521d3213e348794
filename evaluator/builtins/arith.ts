/**
 * Arithmetic builtins not owned by the core (`__sub __mul __div __lessThan` are).
 * `builtins.add` raises the core's integer-overflow error, like `+`: the issue
 * asks for current Nix's checked 64-bit integers (CppNix 2.8 wraps).
 */
import { addInts, definePrimOp, force, forceFloat, forceInt, type Lazy } from "../eval/index.js";

definePrimOp("__add", 2, ([a, b]) => {
  const x = force(a!);
  const y = force(b!);
  const first = "while evaluating the first argument of the addition";
  const second = "while evaluating the second argument of the addition";
  if (typeof x === "number" || typeof y === "number") return forceFloat(x, 0, first) + forceFloat(y, 0, second);
  return addInts(forceInt(x, 0, first), forceInt(y, 0, second));
});

const bitArg = (v: Lazy, which: string, name: string): bigint => forceInt(v, 0, `while evaluating the ${which} argument passed to builtins.${name}`);
definePrimOp("__bitAnd", 2, ([a, b]) => bitArg(a!, "first", "bitAnd") & bitArg(b!, "second", "bitAnd"));
definePrimOp("__bitOr", 2, ([a, b]) => bitArg(a!, "first", "bitOr") | bitArg(b!, "second", "bitOr"));
definePrimOp("__bitXor", 2, ([a, b]) => bitArg(a!, "first", "bitXor") ^ bitArg(b!, "second", "bitXor"));

const INT64_MIN = -(1n << 63n);
const TWO_63 = 2 ** 63;

/** C++'s double → int64 conversion on x86-64: out of range (and NaN) gives INT64_MIN. */
function doubleToInt(x: number): bigint {
  if (!(x >= -TWO_63 && x < TWO_63)) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

definePrimOp("__ceil", 1, ([x]) => doubleToInt(Math.ceil(forceFloat(x!, 0, "while evaluating the first argument passed to builtins.ceil"))));
definePrimOp("__floor", 1, ([x]) => doubleToInt(Math.floor(forceFloat(x!, 0, "while evaluating the first argument passed to builtins.floor"))));
