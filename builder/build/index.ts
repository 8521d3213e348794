export { type BuildEvent, type BuildEventListener } from "./events.js";
export { SandboxedBuilder, type SandboxedBuilderOptions } from "./sandboxed-builder.js";
export { BuildError } from "./outputs.js";
export { buildSettingsFromEnv, type BuildSettings } from "./settings.js";
export { parseSandboxPaths, sandboxSupport, type HostPath, type SandboxSupport } from "./sandbox.js";
export { ReferenceScanner } from "./refscan.js";
export { cannotBuildHere, hostSystem } from "./platform.js";
