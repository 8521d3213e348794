export { CastorePaths, overlayPathInfo, type CastorePathInfo } from "./castore-paths.js";
export { fanOut } from "./tee.js";
