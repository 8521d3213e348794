import { hashBytes, type Derivation } from "../../store/index.js";
import { renderJson, structuredAttrsJson, structuredAttrsShell } from "./structured-attrs.js";

/** The directory the builder runs in, as the builder sees it when sandboxed. */
export const SANDBOX_BUILD_DIR = "/build";
export const HOMELESS_SHELTER = "/homeless-shelter";

export interface BuilderEnvironment {
  /** Variables, as binary strings (one char per byte). */
  env: Map<string, string>;
  /** Files to create in the build directory before the builder starts (name → bytes). */
  files: Map<string, Buffer>;
}

export interface EnvironmentOptions {
  storeDir: string;
  /** The build directory as the builder sees it. */
  buildDir: string;
  /** Output name → its (logical) store path. */
  outputs: ReadonlyMap<string, string>;
  cores: number;
  /** The host's environment, read for a fixed-output derivation's `impureEnvVars`. */
  hostEnv?: NodeJS.ProcessEnv;
}

export function isStructured(drv: Derivation): boolean {
  return drv.env.has("__json");
}

/**
 * What CppNix puts in a builder's environment: fixed variables, then the derivation's
 * own (except `passAsFile` ones, which become `<name>Path` files), then the build
 * directory variables; with structured attributes, none of the derivation's variables
 * but `.attrs.json` and `.attrs.sh`.
 */
export function builderEnvironment(drv: Derivation, options: EnvironmentOptions): BuilderEnvironment {
  const env = new Map<string, string>();
  const files = new Map<string, Buffer>();
  env.set("PATH", "/path-not-set");
  env.set("HOME", HOMELESS_SHELTER);
  env.set("NIX_STORE", options.storeDir);
  env.set("NIX_BUILD_CORES", String(options.cores));

  if (!isStructured(drv)) {
    const passAsFile = new Set((drv.env.get("passAsFile") ?? "").split(/[ \t\n\r]+/).filter((w) => w !== ""));
    for (const [name, value] of drv.env) {
      if (!passAsFile.has(name)) {
        env.set(name, value);
        continue;
      }
      const fileName = `.attr-${hashBytes("sha256", Buffer.from(name, "latin1")).toBase32()}`;
      files.set(fileName, Buffer.from(value, "latin1"));
      env.set(`${name}Path`, `${options.buildDir}/${fileName}`);
    }
  }
  for (const name of ["NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"]) env.set(name, options.buildDir);

  const fixed = [...drv.outputs.values()].some((o) => o.hash !== "");
  if (fixed) {
    env.set("NIX_OUTPUT_CHECKED", "1");
    for (const name of impureEnvVars(drv)) env.set(name, options.hostEnv?.[name] ?? "");
  }
  env.set("NIX_LOG_FD", "2");
  env.set("TERM", "xterm-256color");

  if (isStructured(drv)) {
    const jsonText = Buffer.from(drv.env.get("__json")!, "latin1").toString("utf8");
    const json = structuredAttrsJson(jsonText, options.outputs);
    files.set(".attrs.json", Buffer.from(renderJson(json), "utf8"));
    files.set(".attrs.sh", Buffer.from(structuredAttrsShell(json), "utf8"));
    env.set("NIX_ATTRS_JSON_FILE", `${options.buildDir}/.attrs.json`);
    env.set("NIX_ATTRS_SH_FILE", `${options.buildDir}/.attrs.sh`);
  }
  return { env, files };
}

/** A list-valued attribute: a JSON array with structured attributes, else space-separated words. */
export function stringsAttr(drv: Derivation, name: string): string[] | undefined {
  if (isStructured(drv)) {
    const json = JSON.parse(Buffer.from(drv.env.get("__json")!, "latin1").toString("utf8")) as Record<string, unknown>;
    const value = json[name];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error(`attribute '${name}' must be a list of strings`);
    return value as string[];
  }
  const value = drv.env.get(name);
  return value === undefined ? undefined : value.split(/[ \t\n\r]+/).filter((w) => w !== "");
}

function impureEnvVars(drv: Derivation): string[] {
  return stringsAttr(drv, "impureEnvVars") ?? [];
}
