export * from "./syntax/index.js";
export * from "./eval/index.js";
// Registers the builtins (side effect) so that every evaluation sees them.
import "./builtins/index.js";
export { setAbortOnWarn, setTraceSink, setTomlTimestamps } from "./builtins/index.js";
// Registers derivationStrict, derivation, toFile, path, fetchers… (store-backed builtins).
import "./derivations/index.js";
export * from "./derivations/index.js";
