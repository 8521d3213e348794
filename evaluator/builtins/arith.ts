/**
 * Arithmetic builtins not owned by the core (`__sub __mul __div __lessThan` are).
 * `builtins.add` raises the core's integer-overflow error, like `+`: the issue
 * asks for current Nix's checked 64-bit integers (CppNix 2.8 wraps).
 */
import { addInts, definePrimOp, force, forceFloat, forceInt } from "../eval/index.js";

definePrimOp("__add", 2, ([a, b], pos) => {
  const x = force(a!, pos);
  const y = force(b!, pos);
  if (typeof x === "number" || typeof y === "number") return forceFloat(x, pos) + forceFloat(y, pos);
  return addInts(forceInt(x, pos), forceInt(y, pos), pos);
});

definePrimOp("__bitAnd", 2, ([a, b], pos) => forceInt(a!, pos) & forceInt(b!, pos));
definePrimOp("__bitOr", 2, ([a, b], pos) => forceInt(a!, pos) | forceInt(b!, pos));
definePrimOp("__bitXor", 2, ([a, b], pos) => forceInt(a!, pos) ^ forceInt(b!, pos));

const INT64_MIN = -(1n << 63n);
const TWO_63 = 2 ** 63;

/** C++'s double → int64 conversion on x86-64: out of range (and NaN) gives INT64_MIN. */
function doubleToInt(x: number): bigint {
  if (!(x >= -TWO_63 && x < TWO_63)) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

definePrimOp("__ceil", 1, ([x], pos) => doubleToInt(Math.ceil(forceFloat(x!, pos))));
definePrimOp("__floor", 1, ([x], pos) => doubleToInt(Math.floor(forceFloat(x!, pos))));
