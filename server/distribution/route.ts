import { RegistryError } from "./errors.js";

/** A repository name as the distribution spec allows: lower-case components separated by `/`. */
const NAME_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const MAX_NAME_LENGTH = 255;

export type RegistryRoute =
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "tags"; name: string }
  | { kind: "upload"; name: string };

export function validateName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !name.split("/").every((c) => NAME_COMPONENT.test(c))) {
    throw new RegistryError("NAME_INVALID", "invalid repository name", { name });
  }
}

export function isTag(reference: string): boolean {
  return TAG.test(reference);
}

/**
 * Splits `/v2/<name>/<endpoint>` where the name itself has slashes; undefined when the
 * path is no distribution endpoint at all.
 */
export function parseRegistryPath(path: string): RegistryRoute | undefined {
  if (!path.startsWith("/v2/")) return undefined;
  const rest = path.slice(4);
  let m = /^(.+)\/manifests\/([^/]+)$/.exec(rest);
  if (m) return { kind: "manifest", name: m[1]!, reference: m[2]! };
  m = /^(.+)\/blobs\/uploads(?:\/.*)?$/.exec(rest);
  if (m) return { kind: "upload", name: m[1]! };
  m = /^(.+)\/blobs\/([^/]+)$/.exec(rest);
  if (m) return { kind: "blob", name: m[1]!, digest: m[2]! };
  m = /^(.+)\/tags\/list$/.exec(rest);
  if (m) return { kind: "tags", name: m[1]! };
  return undefined;
}
