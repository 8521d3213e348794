export { createApp, startServer } from "./app.js";
export { loadConfig, type ServerConfig } from "./config.js";
export { parseImageName, imageRequestKey, type ImageRequest, type Architecture } from "./image-name.js";
export { RegistryError, validateName } from "./distribution/index.js";
export { openImageService, ImageService, type ImageRecord, type BuildEntry } from "./image-service/index.js";
