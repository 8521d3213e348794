export { main } from "./main.js";
export { CliError, UsageError } from "./errors.js";
