export { RegistryError, ERROR_STATUS, type ErrorCode } from "./errors.js";
export { parseRegistryPath, validateName, isTag, type RegistryRoute } from "./route.js";
export { parseRange } from "./range.js";
export { registerDistributionRoutes, type DistributionOptions, type ManifestSource, type ManifestResponse } from "./routes.js";
