/** Type predicates and `typeOf`. */
import { NixPath, NixString, definePrimOp, force, isFloat, isFunction, isInt, typeOf } from "../eval/index.js";

definePrimOp("__typeOf", 1, ([x], pos) => typeOf(force(x!, pos)));
definePrimOp("isNull", 1, ([x], pos) => force(x!, pos) === null);
// Sets with `__functor` are callable but are not functions here (CppNix's nFunction).
definePrimOp("__isFunction", 1, ([x], pos) => isFunction(force(x!, pos)));
definePrimOp("__isInt", 1, ([x], pos) => isInt(force(x!, pos)));
definePrimOp("__isFloat", 1, ([x], pos) => isFloat(force(x!, pos)));
definePrimOp("__isString", 1, ([x], pos) => {
  const v = force(x!, pos);
  return typeof v === "string" || v instanceof NixString;
});
definePrimOp("__isBool", 1, ([x], pos) => typeof force(x!, pos) === "boolean");
definePrimOp("__isPath", 1, ([x], pos) => force(x!, pos) instanceof NixPath);
