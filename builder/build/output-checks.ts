import { isStorePath, parseStorePath, sortStorePaths, type Derivation, type StorePath } from "../../store/index.js";
import type { LocalStore } from "../local-store/index.js";
import { isStructured, stringsAttr } from "./environment.js";
import { BuildError } from "./errors.js";

/** What the builder produced for one output, as the checks need it. */
export interface CheckedOutput {
  name: string;
  path: StorePath;
  narSize: number;
  references: StorePath[];
}

interface Checks {
  ignoreSelfRefs: boolean;
  maxSize?: number;
  maxClosureSize?: number;
  allowedReferences?: string[];
  allowedRequisites?: string[];
  disallowedReferences?: string[];
  disallowedRequisites?: string[];
}

const LIST_CHECKS = ["allowedReferences", "allowedRequisites", "disallowedReferences", "disallowedRequisites"] as const;

/** The checks an output is under: `outputChecks.<name>` with structured attributes, else the four list attributes. */
function checksFor(drv: Derivation, drvName: string, output: string): Checks | undefined {
  if (!isStructured(drv)) {
    const checks: Checks = { ignoreSelfRefs: true };
    for (const key of LIST_CHECKS) checks[key] = stringsAttr(drv, key);
    return checks;
  }
  const json = JSON.parse(Buffer.from(drv.env.get("__json")!, "latin1").toString("utf8")) as Record<string, unknown>;
  const spec = (json.outputChecks as Record<string, Record<string, unknown>> | undefined)?.[output];
  if (!spec || typeof spec !== "object") return undefined;
  const checks: Checks = { ignoreSelfRefs: false };
  if (typeof spec.maxSize === "number") checks.maxSize = spec.maxSize;
  if (typeof spec.maxClosureSize === "number") checks.maxClosureSize = spec.maxClosureSize;
  for (const key of LIST_CHECKS) {
    const value = spec[key];
    if (value === undefined) continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      throw new BuildError(`attribute '${key}' of derivation '${drvName}' must be a list of strings`);
    }
    checks[key] = value as string[];
  }
  return checks;
}

/**
 * CppNix's output checks: `allowedReferences`, `allowedRequisites`,
 * `disallowedReferences`, `disallowedRequisites` (store paths or output names), and
 * with structured attributes `outputChecks.<output>` with `maxSize` and `maxClosureSize` too.
 */
export function checkOutputs(drv: Derivation, drvName: string, outputs: readonly CheckedOutput[], store: LocalStore): void {
  const byBase = new Map(outputs.map((o) => [o.path.baseName, o]));
  const closure = (path: StorePath): { paths: Map<string, StorePath>; size: number } => {
    const paths = new Map<string, StorePath>();
    let size = 0;
    const queue = [path];
    while (queue.length > 0) {
      const p = queue.shift()!;
      if (paths.has(p.baseName)) continue;
      paths.set(p.baseName, p);
      const own = byBase.get(p.baseName);
      const info = own ?? store.queryPathInfo(p);
      if (!info) throw new BuildError(`path '${p.render(store.storeDir)}' is not valid`);
      size += info.narSize;
      queue.push(...info.references);
    }
    return { paths, size };
  };

  for (const output of outputs) {
    const checks = checksFor(drv, drvName, output.name);
    if (!checks) continue;
    const where = output.path.render(store.storeDir);
    if (checks.maxSize !== undefined && output.narSize > checks.maxSize) {
      throw new BuildError(`path '${where}' is too large at ${output.narSize} bytes; limit is ${checks.maxSize} bytes`);
    }
    if (checks.maxClosureSize !== undefined) {
      const size = closure(output.path).size;
      if (size > checks.maxClosureSize) {
        throw new BuildError(`closure of path '${where}' is too large at ${size} bytes; limit is ${checks.maxClosureSize} bytes`);
      }
    }
    const checkRefs = (value: string[] | undefined, allowed: boolean, recursive: boolean): void => {
      if (!value) return;
      const spec = new Set<string>();
      for (const item of value) {
        if (isStorePath(item, store.storeDir)) spec.add(parseStorePath(item, store.storeDir).baseName);
        else {
          const named = outputs.find((o) => o.name === item);
          if (!named) throw new BuildError(`derivation contains an illegal reference specifier '${item}'`);
          spec.add(named.path.baseName);
        }
      }
      const used = recursive ? closure(output.path).paths : new Map(output.references.map((r) => [r.baseName, r]));
      if (recursive && checks.ignoreSelfRefs) used.delete(output.path.baseName);
      const bad = sortStorePaths([...used.values()].filter((p) => spec.has(p.baseName) !== allowed));
      if (bad.length > 0) {
        throw new BuildError(
          `output '${where}' is not allowed to refer to the following paths:${bad.map((p) => `\n  ${p.render(store.storeDir)}`).join("")}`,
        );
      }
    };
    checkRefs(checks.allowedReferences, true, false);
    checkRefs(checks.allowedRequisites, true, true);
    checkRefs(checks.disallowedReferences, false, false);
    checkRefs(checks.disallowedRequisites, false, true);
  }
}
