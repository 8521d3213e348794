export {
  AttrSiteCache,
  UpdateSite,
  sameArray,
  zeroPositions,
  Env,
  NixAttrs,
  NixFloat,
  NixLambda,
  NixPath,
  NixString,
  PrimOp,
  PrimOpApp,
  Thunk,
  EMPTY_CONTEXT,
  bytesToNix,
  fromFsPath,
  intToBigInt,
  intToNumber,
  isFloat,
  isFunction,
  isInt,
  isList,
  isString,
  lazy,
  lazyApply,
  lazyApply1,
  lazyApply2,
  lazyApplyCode,
  LazyList,
  mergeContext,
  mkFloat,
  mkInt,
  mkPath,
  mkString,
  nixToBytes,
  normalizeContext,
  showType,
  showTypeName,
  stringBytes,
  stringContext,
  toFsPath,
  typeOf,
  type Lazy,
  type NixInt,
  type PrimOpImpl,
  type TypeName,
  type Value,
} from "./value.js";
export {
  AbortError,
  AssertionError,
  EvalError,
  InfiniteRecursionError,
  MissingArgumentError,
  NixTypeError,
  StackOverflowError,
  ThrownError,
  UndefinedVarError,
  UsageError,
  isCatchable,
  typeError,
  hideFromTraces,
  type TraceFrame,
} from "./errors.js";
export { definePrimOp, defineConstant, getPrimOp, isRegistered, type ConstantDef } from "./primops.js";
export { DEFAULT_MAX_CALL_DEPTH, callDepthExceeded, enterCall, leaveCall, saveCallDepth, restoreCallDepth } from "./call-depth.js";
export { apply, attrName, bestMatches, callFunction, callLambda, callLambda2, evalExpr, force, forceListLazily, maybeThunk, missingAttr, showLambda } from "./interpreter.js";
export {
  addInts,
  coerceToPath,
  coerceToString,
  divInts,
  eqValues,
  forceAttrs,
  forceBool,
  forceDeep,
  forceFloat,
  forceFunction,
  forceInt,
  forceList,
  forceString,
  forceStringBytes,
  forceStringNoCtx,
  isDerivation,
  lessThan,
  mulInts,
  subInts,
  type CoerceOptions,
} from "./operations.js";
export { EvalState, evalState, parseSearchPath, computingStore, type EvalOptions, type SearchPathEntry, type StoreBackend } from "./state.js";
export { realiseContextPath, setPathRealiser, type PathRealiser } from "./state.js";
export { floatToString as formatFloatFixed } from "../builtins/support/float-format.js";
/** C++ `ostream << double` (%g): the parser module's formatter. */
export { formatFloat as formatFloatShort } from "../syntax/show.js";
export { dropParsedFiles, evalFile, evalFileScoped, evalString, findFile, parseFile, parseString, resolveExprPath } from "./files.js";
export { baseScope, initGlobals } from "./globals.js";
export { CORE_PRIMOPS } from "./core-primops.js";
export { bindVars, StaticScope } from "./scope.js";
export { formatEvalError, printString, printValue } from "./print.js";
export { indentMessage, printErrorValue, printIdentifier, showPosCurrent } from "./error-format.js";
export { formatPositionedWarning, printValueCurrent } from "./print.js";
export { autoCall, findAlongAttrPath, formatError, instantiate, setXmlOutput, type InstantiateOptions, type InstantiateResult } from "./instantiate.js";
export { defaultParseCacheDir, parseCacheDir, parseFileCached, pruneParseCache, setParseCacheDir } from "./parse-cache.js";
export { applySharedSettings, callInWorker, mainThreadStackKb, shareWithWorkers, WORKER_STACK_MB, type WorkerLimits } from "./worker.js";
