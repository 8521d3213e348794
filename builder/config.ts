import { join, resolve } from "node:path";

export const DEFAULT_SUBSTITUTERS = ["https://cache.nixos.org"];
export const DEFAULT_TRUSTED_KEYS = ["cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY="];

export interface BuilderConfig {
  /** `LADING_DATA_DIR` [`STORAGE_PATH`], default `./.lading`. */
  dataDir: string;
  /** The local store's physical root: `<dataDir>/store` (objects in `<root>/nix/store`). */
  storeRoot: string;
  /** `LADING_SUBSTITUTERS`, space-separated URLs. */
  substituters: string[];
  /** `LADING_TRUSTED_KEYS`, space-separated `name:base64` keys. */
  trustedKeys: string[];
}

function words(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value.split(/\s+/).filter((w) => w !== "");
}

/** Reads the builder's settings from the environment; an empty variable means an empty list. */
export function builderConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BuilderConfig {
  const dataDir = resolve(env.LADING_DATA_DIR ?? env.STORAGE_PATH ?? "./.lading");
  return {
    dataDir,
    storeRoot: join(dataDir, "store"),
    substituters: words(env.LADING_SUBSTITUTERS, DEFAULT_SUBSTITUTERS),
    trustedKeys: words(env.LADING_TRUSTED_KEYS, DEFAULT_TRUSTED_KEYS),
  };
}
