export { ImageService, asRegistryError, type ImageServiceOptions, type ImageServiceEvents } from "./service.js";
export { openImageService, loadPopularity, countSubstitutedBytes, type OpenedImageService } from "./open.js";
export { negotiate, recordDigests, type ImageRecord, type ManifestRef, type PlatformRecord } from "./image-record.js";
export { openPackageSet, PathPackageSet, GitPackageSet, ChannelPackageSet, type PackageSetSource, type PackageSetRevision } from "./package-set.js";
export { evaluatePackages, NIX_SYSTEMS, type ResolvedPackage, type Evaluation } from "./evaluate.js";
export { buildImageRecord, type BuildTimings, type PipelineContext } from "./build-image.js";
export { RecentBuilds, type BuildEntry } from "./recent-builds.js";
export { KeyedFlight, type BuildFlight } from "./single-flight.js";
export { EvaluationWorker } from "./eval-worker.js";
