export { type ClosureNode, type LayerGroup, type Popularity, GroupingError } from "./types.js";
export {
  DEFAULT_LAYER_BUDGET,
  DEFAULT_MAX_LAYERS,
  DEFAULT_POPULARITY_PERCENTILE,
  DEFAULT_SIZE_THRESHOLD,
  groupLayers,
  groupOnePerPath,
  type GroupingOptions,
} from "./group.js";
export { parsePopularity, popularityFromGraph, popularityThreshold, scoreOf, packageNameOf } from "./popularity.js";
export { immediateDominators } from "./dominators.js";
export { measureSharing, type SharingReport } from "./sharing.js";
export { popularityFromBuildClosures, popularityJson, type DerivationEdges } from "./set-popularity.js";
