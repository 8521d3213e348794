export * from "./syntax/index.js";
export * from "./eval/index.js";
// Registers the builtins (side effect) so that every evaluation sees them.
import "./builtins/index.js";
