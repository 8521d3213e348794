/**
 * The builtins that need neither the store nor the network. Importing this module
 * registers them all (see eval/primops.ts); the core registers the language-level
 * ones and derivations/ the store-backed ones.
 */
import "./arith.js";
import "./attrs.js";
import "./context.js";
import "./control.js";
import "./debug.js";
import "./env.js";
import "./files.js";
import "./hashing.js";
import "./json-toml-xml.js";
import "./lists.js";
import "./regex-builtins.js";
import "./strings.js";
import "./toml-builtin.js";
import "./flake-refs.js";
import "./types.js";
import "./versions.js";

export { abortOnWarnEnabled, logWarning, setAbortOnWarn, setTraceSink, printValueForTrace, writeLogLine } from "./debug.js";
export { setTomlTimestamps, tomlTimestampsEnabled } from "./toml-builtin.js";
export { NIX_VERSION } from "./env.js";
export { stableSort } from "./stable-sort.js";
export { baseNameOf, setStoreFileReferences } from "./files.js";
export { utf8Problem } from "./json-toml-xml.js";
