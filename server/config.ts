import { parseCompression, type CompressionSettings } from "../layering/index.js";

/** Registry configuration, read from the environment (Nixery's names accepted as aliases). */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** `LADING_PKGS_PATH` [`NIXERY_PKGS_PATH`]: a local package set. */
  pkgsPath: string | undefined;
  /** `LADING_PKGS_REPO` [`NIXERY_PKGS_REPO`]: a git repository whose refs are tags. */
  pkgsRepo: string | undefined;
  /** `LADING_CHANNEL` [`NIXERY_CHANNEL`], default `nixos-unstable`. */
  channel: string;
  /** `LADING_POPULARITY_URL` [`NIX_POPULARITY_URL`]: a file or http(s) URL of popularity JSON. */
  popularityUrl: string | undefined;
  /**
   * `LADING_POPULARITY_SET_LIMIT`: without a popularity URL, sets with at most this many
   * top-level attributes get package-set-wide popularity (default 2000); larger ones
   * in-closure popularity.
   */
  popularitySetLimit: number | undefined;
  /** `LADING_LAYER_BUDGET`: store-path layers per image (default leaves room for child images). */
  layerBudget: number | undefined;
  /** `LADING_ARCHITECTURES` (e.g. `amd64 arm64`): what to build when the package set does not say. */
  architectures: ("amd64" | "arm64")[] | undefined;
  /** `LADING_CLIENT_WAIT`: seconds a request waits for a cold build before being told to retry. */
  clientWaitSeconds: number;
  /** `LADING_LAYER_COMPRESSION`: `gzip[-N]` (default gzip-6) or `zstd[-N]` (OCI manifests only). */
  layerCompression: CompressionSettings;
}

function pick(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const portText = pick(env, "PORT") ?? "8080";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got '${portText}'`);
  }
  return {
    port,
    host: pick(env, "LADING_HOST") ?? "0.0.0.0",
    dataDir: pick(env, "LADING_DATA_DIR", "STORAGE_PATH") ?? "./.lading",
    pkgsPath: pick(env, "LADING_PKGS_PATH", "NIXERY_PKGS_PATH"),
    pkgsRepo: pick(env, "LADING_PKGS_REPO", "NIXERY_PKGS_REPO"),
    channel: pick(env, "LADING_CHANNEL", "NIXERY_CHANNEL") ?? "nixos-unstable",
    popularityUrl: pick(env, "LADING_POPULARITY_URL", "NIX_POPULARITY_URL"),
    popularitySetLimit: positive(env, "LADING_POPULARITY_SET_LIMIT"),
    layerBudget: positive(env, "LADING_LAYER_BUDGET"),
    architectures: architectures(pick(env, "LADING_ARCHITECTURES")),
    clientWaitSeconds: positive(env, "LADING_CLIENT_WAIT") ?? 300,
    layerCompression: layerCompression(pick(env, "LADING_LAYER_COMPRESSION")),
  };
}

function layerCompression(text: string | undefined): CompressionSettings {
  try {
    return parseCompression(text);
  } catch (err) {
    throw new Error(`LADING_LAYER_COMPRESSION: ${(err as Error).message}`);
  }
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = pick(env, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got '${text}'`);
  return value;
}

function architectures(text: string | undefined): ("amd64" | "arm64")[] | undefined {
  if (text === undefined) return undefined;
  const words = text.split(/[\s,]+/).filter((w) => w !== "");
  for (const w of words) if (w !== "amd64" && w !== "arm64") throw new Error(`LADING_ARCHITECTURES: unknown architecture '${w}' (amd64, arm64)`);
  return words as ("amd64" | "arm64")[];
}
