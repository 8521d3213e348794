/** Builtins that read the process environment and evaluation settings. */
import { defineConstant, definePrimOp, evalState, forceStringNoCtx, fromFsPath, toFsPath } from "../eval/index.js";

/** The CppNix release whose behaviour this evaluator reproduces. */
export const NIX_VERSION = "2.8.0";

definePrimOp("__getEnv", 1, ([name]) => {
  const value = process.env[toFsPath(forceStringNoCtx(name!, 0, "while evaluating the first argument passed to builtins.getEnv"))];
  return value === undefined ? "" : fromFsPath(value);
});

defineConstant("__currentSystem", () => evalState().system);
defineConstant("__currentTime", () => Math.floor(Date.now() / 1000));
defineConstant("__nixVersion", NIX_VERSION);
defineConstant("__langVersion", 6);
defineConstant("__storeDir", () => evalState().store.storeDir);
