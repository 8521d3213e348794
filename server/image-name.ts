import { RegistryError } from "./distribution/index.js";

export type Architecture = "amd64" | "arm64";

/** What an image name asks for, normalised so equal requests have equal keys. */
export interface ImageRequest {
  /** Attribute paths of the requested packages (meta-packages expanded), sorted, unique. */
  packages: string[];
  /** The architecture forced by the `arm64` meta-package, or undefined for the index of all. */
  architecture: Architecture | undefined;
  /** True when the `shell` meta-package was named (the package set decides what it means). */
  shell: boolean;
}

/** One attribute-path segment: lower-case letters and digits, inner `-` and `_` (may start with a digit). */
const SEGMENT = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/;
const MAX_PACKAGES = 64;

/**
 * Parses the repository part of an image name (`shell/curl/python3packages.numpy`).
 * Each component is a package attribute path whose segments are validated here, before
 * anything reaches the evaluator; the evaluator selects attributes by name and never
 * sees the component as code.
 */
export function parseImageName(name: string): ImageRequest {
  const packages = new Set<string>();
  let architecture: Architecture | undefined;
  let shell = false;
  const components = name.split("/");
  if (components.length > MAX_PACKAGES) {
    throw new RegistryError("NAME_INVALID", `an image may name at most ${MAX_PACKAGES} packages`, { name });
  }
  for (const component of components) {
    if (component === "shell") {
      shell = true;
      continue;
    }
    if (component === "arm64") {
      architecture = "arm64";
      continue;
    }
    const segments = component.split(".");
    if (!segments.every((s) => SEGMENT.test(s))) {
      throw new RegistryError("NAME_INVALID", `'${component}' is not a valid package attribute path`, { name, component });
    }
    packages.add(component);
  }
  if (packages.size === 0 && !shell) {
    throw new RegistryError("NAME_INVALID", "the image name names no packages", { name });
  }
  return { packages: [...packages].sort(), architecture, shell };
}

/** A stable key for a request at a package-set revision, used for the manifest cache. */
export function imageRequestKey(request: ImageRequest, revision: string): string {
  return JSON.stringify([revision, request.architecture ?? "*", request.shell, request.packages]);
}
