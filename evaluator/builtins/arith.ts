/**
 * Arithmetic builtins not owned by the core (`__sub __mul __div __lessThan` are).
 * `builtins.add` raises the core's integer-overflow error, like `+`: the issue
 * asks for current Nix's checked 64-bit integers (CppNix 2.8 wraps).
 */
import { NixFloat, addInts, definePrimOp, force, forceFloat, forceInt, intToBigInt, mkInt, type Lazy, type NixInt } from "../eval/index.js";

definePrimOp("__add", 2, ([a, b]) => {
  const x = force(a!);
  const y = force(b!);
  const first = "while evaluating the first argument of the addition";
  const second = "while evaluating the second argument of the addition";
  if (x instanceof NixFloat || y instanceof NixFloat) return new NixFloat(forceFloat(x, 0, first) + forceFloat(y, 0, second));
  return addInts(forceInt(x, 0, first), forceInt(y, 0, second));
});

const bitArg = (v: Lazy, which: string, name: string): NixInt => forceInt(v, 0, `while evaluating the ${which} argument passed to builtins.${name}`);

/** True for an int in the int32 range, where JS's 32-bit bit operators agree with 64-bit ones. */
function isInt32(n: NixInt): n is number {
  return typeof n === "number" && (n | 0) === n;
}

definePrimOp("__bitAnd", 2, ([a, b]) => {
  const x = bitArg(a!, "first", "bitAnd");
  const y = bitArg(b!, "second", "bitAnd");
  return isInt32(x) && isInt32(y) ? x & y : mkInt(intToBigInt(x) & intToBigInt(y));
});
definePrimOp("__bitOr", 2, ([a, b]) => {
  const x = bitArg(a!, "first", "bitOr");
  const y = bitArg(b!, "second", "bitOr");
  return isInt32(x) && isInt32(y) ? x | y : mkInt(intToBigInt(x) | intToBigInt(y));
});
definePrimOp("__bitXor", 2, ([a, b]) => {
  const x = bitArg(a!, "first", "bitXor");
  const y = bitArg(b!, "second", "bitXor");
  return isInt32(x) && isInt32(y) ? x ^ y : mkInt(intToBigInt(x) ^ intToBigInt(y));
});

const INT64_MIN = -(1n << 63n);
const TWO_63 = 2 ** 63;

/** C++'s double → int64 conversion on x86-64: out of range (and NaN) gives INT64_MIN. */
function doubleToInt(x: number): NixInt {
  if (!(x >= -TWO_63 && x < TWO_63)) return INT64_MIN;
  return mkInt(Number.isSafeInteger(x) ? Math.trunc(x) : BigInt(Math.trunc(x)));
}

definePrimOp("__ceil", 1, ([x]) => doubleToInt(Math.ceil(forceFloat(x!, 0, "while evaluating the first argument passed to builtins.ceil"))));
definePrimOp("__floor", 1, ([x]) => doubleToInt(Math.floor(forceFloat(x!, 0, "while evaluating the first argument passed to builtins.floor"))));
