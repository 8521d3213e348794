export * from "./syntax/index.js";
export * from "./eval/index.js";
// Registers the builtins (side effect) so that every evaluation sees them.
import "./builtins/index.js";
export { setAbortOnWarn, setTraceSink, setTomlTimestamps } from "./builtins/index.js";
import { abortOnWarnEnabled, setAbortOnWarn, setTomlTimestamps, tomlTimestampsEnabled, writeLogLine } from "./builtins/index.js";
import { pipeOperatorsEnabled, setPipeOperators, setSyntaxWarningSink } from "./syntax/index.js";
import { shareWithWorkers, showPosCurrent } from "./eval/index.js";
// The parser's warnings go where trace lines go, positions shown as CppNix's Pos (`«string»:1:2`).
setSyntaxWarningSink((pos, message) => writeLogLine(`warning: at ${showPosCurrent(pos) ?? "«unknown»"}: ${message}`));
// Command-line settings kept in module state, copied into evaluation workers.
shareWithWorkers("pipeOperators", { get: pipeOperatorsEnabled, set: (v) => setPipeOperators(v === true) });
shareWithWorkers("tomlTimestamps", { get: tomlTimestampsEnabled, set: (v) => setTomlTimestamps(v === true) });
shareWithWorkers("abortOnWarn", { get: abortOnWarnEnabled, set: (v) => setAbortOnWarn(v === true) });
// Registers derivationStrict, derivation, toFile, path, fetchers… (store-backed builtins).
import "./derivations/index.js";
export * from "./derivations/index.js";
