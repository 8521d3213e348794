export * from "./local-store/index.js";
export * from "./substituter/index.js";
export { closureGraph, type ClosureGraph, type ClosureNode, type PathInfoSource } from "./closure.js";
export { builderConfigFromEnv, DEFAULT_SUBSTITUTERS, DEFAULT_TRUSTED_KEYS, type BuilderConfig } from "./config.js";
export { CannotRealiseError, StoreRealiser, type BuildRequest, type LocalBuilder, type Realiser, type RealiserCastoreOptions } from "./realiser.js";
export * from "./castore/index.js";
export { openBuilderStore } from "./open.js";
export * from "./build/index.js";
