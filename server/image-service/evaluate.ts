import {
  EvalState,
  NixAttrs,
  StagingStoreWriter,
  WritingEvalStore,
  autoCall,
  evalFile,
  force,
  forceList,
  forceStringBytes,
  formatError,
  fromFsPath,
  isDerivation,
  mkString,
  type Lazy,
  type StagedPath,
  type Value,
} from "../../evaluator/index.js";
import { RegistryError, type ErrorCode } from "../distribution/index.js";
import type { Architecture } from "../image-name.js";

export const NIX_SYSTEMS: Record<Architecture, string> = { amd64: "x86_64-linux", arm64: "aarch64-linux" };

const HOST_SYSTEM = process.arch === "arm64" ? "aarch64-linux" : "x86_64-linux";

/** What nixpkgs' `shell` meta-package means (Nixery's choice); a set may define its own. */
const NIXPKGS_SHELL = ["bashInteractive", "coreutils", "moreutils", "nano"];

/** One package of the image as the package set defines it. */
export interface ResolvedPackage {
  /** The name as requested (`shell` for the meta-package's members). */
  requested: string;
  /** The attribute path actually selected, in the set's own case. */
  attrPath: string;
  drvPath: string;
  outputName: string;
  outPath: string;
}

export interface EvaluationInput {
  /** Directory of the package set's `default.nix`. */
  dir: string;
  architecture: Architecture;
  /** Requested attribute paths (validated by the image-name grammar, lower-case). */
  packages: readonly string[];
  shell: boolean;
  nixpkgs: boolean;
  /** An empty directory of the caller's where new store paths (.drv files, sources) are staged. */
  stagingDir: string;
  isValidInStore(storePath: string): boolean;
  /** Where the local store keeps valid paths on disk, so evaluation reads them there (default: the logical /nix/store). */
  realStoreDir?: string;
  /**
   * Instead of `packages`: every top-level attribute of the set that evaluates to an
   * available package (for package-set popularity), unless the set has more than
   * `limit` top-level attributes.
   */
  allPackages?: { limit: number };
}

export interface Evaluation {
  packages: ResolvedPackage[];
  /** Paths the evaluation created, references first, to commit to the store. */
  staged: StagedPath[];
  /** Architectures the set declares (`metaPackages.architectures`), or undefined. */
  architectures: Architecture[] | undefined;
  /** How many top-level attributes the set has (with `allPackages`, packages is empty when over the limit). */
  setAttributes?: number;
}

/**
 * Evaluates the package set and selects each requested package by attribute lookups
 * on the evaluated value: the names never become Nix source text, so no image name
 * can inject code. Every missing package is reported at once.
 */
export function evaluatePackages(input: EvaluationInput): Evaluation {
  const writer = new StagingStoreWriter("/nix/store", input.stagingDir, (p) => input.isValidInStore(p), input.realStoreDir ?? "/nix/store");
  const system = NIX_SYSTEMS[input.architecture];
  // builtins.currentSystem is where builds run (a set's `buildSystem` default); `system` is the image's.
  new EvalState({ store: new WritingEvalStore(writer), system: HOST_SYSTEM, cwd: input.dir, readOnly: false });
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      const message = formatError(err, false).replace(/^error: /, "").trim();
      throw new RegistryError("MANIFEST_UNKNOWN", `${what}: ${message}`, { error: message });
    }
  };

  const root = guard("the package set failed to evaluate", () => {
    const top = force(evalFile(fromFsPath(input.dir)));
    const args = NixAttrs.fromMap(new Map([["system", mkString(system)]]));
    return force(autoCall(args, top));
  });
  if (!(root instanceof NixAttrs)) throw new RegistryError("MANIFEST_UNKNOWN", "the package set is not an attribute set", undefined, 500);

  if (input.allPackages) {
    const all = setPackages(root, input.allPackages.limit);
    return { packages: all.packages, staged: writer.stagedPaths(), architectures: undefined, setAttributes: all.attributes };
  }

  const packages: ResolvedPackage[] = [];
  const missing: string[] = [];
  for (const name of input.packages) {
    const found = guard(`package '${name}' failed to evaluate`, () => lookupPath(root, name.split(".")));
    if (found === undefined) {
      missing.push(name);
      continue;
    }
    packages.push(guard(`package '${name}' failed to evaluate`, () => asPackage(name, found.path, found.value)));
  }
  if (missing.length > 0) {
    throw new RegistryError("MANIFEST_UNKNOWN", `the package set has no package${missing.length > 1 ? "s" : ""} ${missing.map((m) => `'${m}'`).join(", ")}`, {
      missing,
    });
  }
  if (input.shell) packages.push(...guard("the shell meta-package failed to evaluate", () => shellPackages(root, input.nixpkgs)));
  const architectures = guard("metaPackages.architectures failed to evaluate", () => declaredArchitectures(root));
  return { packages, staged: writer.stagedPaths(), architectures, setAttributes: root.names.length };
}

/**
 * Every top-level attribute that is an available package, in name order. One that
 * fails to evaluate, is not a derivation or is unavailable on this architecture is
 * left out: evaluation is deterministic, so the same set always gives the same list.
 */
function setPackages(root: NixAttrs, limit: number): { packages: ResolvedPackage[]; attributes: number } {
  const names = root.names;
  if (names.length > limit) return { packages: [], attributes: names.length };
  const packages: ResolvedPackage[] = [];
  for (const name of names) {
    try {
      const value = force(root.get(name)!);
      if (isDerivation(value)) packages.push(asPackage(name, name, value));
    } catch {
      // Not a package of this set on this architecture.
    }
  }
  return { packages, attributes: names.length };
}

/** `segments` looked up one by one, each case-insensitively when that is unambiguous. */
function lookupPath(root: NixAttrs, segments: readonly string[]): { path: string; value: Value } | undefined {
  let here: Value = root;
  const path: string[] = [];
  for (const segment of segments) {
    if (!(here instanceof NixAttrs)) return undefined;
    const attr = findAttr(here, segment, path);
    if (!attr) return undefined;
    path.push(attr.name);
    here = force(attr.value);
  }
  return { path: path.join("."), value: here };
}

function findAttr(attrs: NixAttrs, segment: string, parent: readonly string[]): { name: string; value: Lazy } | undefined {
  const exact = attrs.get(segment);
  if (exact !== undefined) return { name: segment, value: exact };
  const lower = segment.toLowerCase();
  const matches = attrs.names.filter((n) => n.toLowerCase() === lower);
  if (matches.length > 1) {
    const where = [...parent, segment].join(".");
    throw new RegistryError("MANIFEST_UNKNOWN", `'${where}' is ambiguous: the package set has ${matches.map((m) => `'${m}'`).join(", ")}`, {
      ambiguous: where,
      candidates: matches,
    });
  }
  const name = matches[0];
  return name === undefined ? undefined : { name, value: attrs.get(name)! };
}

function asPackage(requested: string, attrPath: string, value: Value): ResolvedPackage {
  if (!isDerivation(value)) {
    throw new RegistryError("MANIFEST_UNKNOWN", `'${attrPath}' is not a package (a derivation) of the package set`, { package: requested });
  }
  const attrs = value as NixAttrs;
  const meta = attrs.get("meta");
  const metaValue = meta !== undefined ? force(meta) : undefined;
  if (metaValue instanceof NixAttrs && metaValue.has("available") && force(metaValue.get("available")!) === false) {
    const reason = metaValue.get("unavailableReason");
    const why = reason !== undefined ? `: ${forceStringBytes(reason)}` : "";
    throw new RegistryError("MANIFEST_UNKNOWN", `package '${attrPath}' is not available for this architecture${why}`, { package: requested });
  }
  const text = (name: string): string => {
    const at = attrs.find(name);
    if (at < 0) throw new RegistryError("MANIFEST_UNKNOWN", `package '${attrPath}' has no '${name}'`, { package: requested });
    return forceStringBytes(attrs.values[at]!, attrs.positions[at]!);
  };
  const outputName = attrs.has("outputName") ? text("outputName") : "out";
  return { requested, attrPath, drvPath: text("drvPath"), outputName, outPath: text("outPath") };
}

function metaPackages(root: NixAttrs): NixAttrs | undefined {
  const meta = root.get("metaPackages");
  if (meta === undefined) return undefined;
  const value = force(meta);
  return value instanceof NixAttrs ? value : undefined;
}

function shellPackages(root: NixAttrs, nixpkgs: boolean): ResolvedPackage[] {
  const defined = metaPackages(root)?.get("shell");
  if (defined !== undefined) {
    const value = force(defined);
    const members = Array.isArray(value) ? forceList(value) : [value];
    return members.map((member, i) => asPackage("shell", `metaPackages.shell.${i}`, force(member)));
  }
  const names = NIXPKGS_SHELL.filter((name) => root.has(name));
  if (names.length === 0 || (!nixpkgs && !names.includes("bashInteractive"))) {
    throw new RegistryError("MANIFEST_UNKNOWN", "the package set defines no 'shell' meta-package (metaPackages.shell)", { missing: ["shell"] });
  }
  return names.map((name) => asPackage("shell", name, force(root.get(name)!)));
}

function declaredArchitectures(root: NixAttrs): Architecture[] | undefined {
  const declared = metaPackages(root)?.get("architectures");
  if (declared === undefined) return undefined;
  const list = forceList(declared).map((v) => forceStringBytes(v));
  return (["amd64", "arm64"] as const).filter((a) => list.includes(a));
}

/** A RegistryError as plain data, to cross a worker boundary. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  detail: unknown;
  status: number;
}

/** `evaluatePackages` for a worker thread: plain data in and out, nothing in the store counted as valid. */
export function evaluatePackagesData(input: Omit<EvaluationInput, "isValidInStore">): { ok: true; value: Evaluation } | { ok: false; error: ErrorData } {
  try {
    return { ok: true, value: evaluatePackages({ ...input, isValidInStore: () => false }) };
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    return { ok: false, error: { code: err.code, message: err.message, detail: err.detail, status: err.status } };
  }
}
