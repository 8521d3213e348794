export type * from "./ast.js";
export { parse, type ParseOptions } from "./parse.js";
export { NixSyntaxError } from "./errors.js";
export { showExpr, showString, showId, showAttrPath, formatFloat, defaultPreInterned, type ShowOptions } from "./show.js";
export { NO_POS, Source, addSource, resolvePos, showPos, sourceOf, type Position, type SourceEncoding, type SourceOrigin } from "./source.js";
export { canonPath, absPath, dirOf } from "./paths.js";
export { setLiteralLints, type LiteralLints, type LintLevel } from "./lints.js";
export { setPipeOperators, pipeOperatorsEnabled } from "./features.js";
export { setSyntaxWarningSink, syntaxWarningCount, type SyntaxWarningSink } from "./warnings.js";
