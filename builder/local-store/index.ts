export {
  HashMismatchError,
  LocalStore,
  PathNotValidError,
  parsePathArgument,
  type GcOptions,
  type GcResult,
  type LocalStoreOptions,
  type StageOptions,
  type StagedNar,
} from "./local-store.js";
export { pathInfoFromJson, pathInfoToJson, referencesWithoutSelf, type NewPathInfo, type PathInfo } from "./path-info.js";
