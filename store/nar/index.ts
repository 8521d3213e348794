export { NarDumper, dumpNar, dumpNarSync, writeAllSync, writeNar } from "./dump.js";
export { narHashAndSize, pumpNar, writeNarToFd } from "./parallel-dump.js";
export { NarError, NAR_MAGIC, NAR_MAX_DEPTH, NAR_MAX_NAME_LENGTH, NAR_MAX_TARGET_LENGTH } from "./format.js";
export { SysError, errnoText } from "./sys-error.js";
export { parseNar, validateNar, type NarFileSink, type NarPath, type NarSink, type NarSummary } from "./parse.js";
export type { ByteSource } from "./reader.js";
export { restoreNar } from "./restore.js";
