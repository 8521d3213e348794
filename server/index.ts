export { createApp, startServer } from "./app.js";
export { loadConfig, type ServerConfig } from "./config.js";
