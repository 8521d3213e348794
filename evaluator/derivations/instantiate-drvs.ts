/**
 * `nix-instantiate` without `--eval`: evaluates, collects the derivations the
 * result denotes (CppNix's getDerivations: a derivation, the derivations among a
 * set's attributes — recursing only into sets with `recurseForDerivations` — or
 * among a list's elements) and prints one .drv path per derivation, with
 * `!<output>` when the selected output is not `out`.
 */
import { readFileSync } from "node:fs";
import {
  EvalError,
  EvalState,
  NixAttrs,
  NixTypeError,
  Thunk,
  autoCall,
  evalExpr,
  findAlongAttrPath,
  findFile,
  force,
  forceBool,
  forceStringBytes,
  formatError,
  fromFsPath,
  isDerivation,
  parseFile,
  parseSearchPath,
  parseString,
  resolveExprPath,
  type InstantiateOptions,
  type InstantiateResult,
  type Lazy,
  type SearchPathEntry,
  type Value,
} from "../eval/index.js";
import { absPath } from "../syntax/paths.js";
import type { Expr } from "../syntax/ast.js";
import type { EvalStore } from "./eval-store.js";

const GC_WARNING = "warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n";
const ATTR_NAME = /^[A-Za-z_][A-Za-z0-9\-_+]*$/;

interface Found {
  attrs: NixAttrs;
}

/** getDerivation: true when `v` is not a derivation (the caller may look inside). */
function takeDerivation(v: Value, found: Found[], done: Set<NixAttrs>): boolean {
  if (!isDerivation(v)) return true;
  const attrs = v as NixAttrs;
  if (done.has(attrs)) return false;
  done.add(attrs);
  found.push({ attrs });
  return false;
}

function getDerivations(vIn: Lazy, autoArgs: NixAttrs, found: Found[], done: Set<NixAttrs>): void {
  const v = force(autoCall(autoArgs, force(vIn)));
  if (!takeDerivation(v, found, done)) return;
  if (v instanceof NixAttrs) {
    for (let i = 0; i < v.names.length; i++) {
      if (!ATTR_NAME.test(v.names[i]!)) continue;
      const x = force(v.values[i]!);
      if (takeDerivation(x, found, done) && x instanceof NixAttrs) {
        const rec = x.find("recurseForDerivations");
        if (rec >= 0 && forceBool(x.values[rec]!, x.positions[rec]!)) getDerivations(x, autoArgs, found, done);
      }
    }
  } else if (Array.isArray(v)) {
    for (const el of v) {
      const x = force(el);
      if (takeDerivation(x, found, done)) getDerivations(x, autoArgs, found, done);
    }
  } else {
    throw new NixTypeError("expression does not evaluate to a derivation (or a set or list of those)");
  }
}

function includeEntry(arg: string): SearchPathEntry {
  const eq = arg.indexOf("=");
  return eq < 0 ? { prefix: "", path: arg } : { prefix: arg.slice(0, eq), path: arg.slice(eq + 1) };
}

let defaultStore: (() => EvalStore) | undefined;

/**
 * Sets the store `instantiateDrvs` writes to when its caller passes none (e.g. a
 * WritingEvalStore over the local store, registered in the CLI's worker).
 */
export function setDefaultEvalStore(factory: (() => EvalStore) | undefined): void {
  defaultStore = factory;
}

/** Runs nix-instantiate (no `--eval`); never throws for Nix errors. `store` writes when not read-only. */
export function instantiateDrvs(opts: InstantiateOptions, givenStore?: EvalStore): InstantiateResult {
  const store = givenStore ?? defaultStore?.();
  let stdout = "";
  let stderr = "";
  try {
    const searchPath: SearchPathEntry[] = [
      ...opts.includes.map(includeEntry),
      ...parseSearchPath(opts.nixPath ?? process.env.NIX_PATH ?? ""),
    ];
    const state = new EvalState({ searchPath, showTrace: opts.showTrace, readOnly: opts.readOnly, maxCallDepth: opts.maxCallDepth, ...(store ? { store } : {}) });
    const cwd = fromFsPath(opts.cwd ?? process.cwd());
    const argMap = new Map<string, Lazy>();
    for (const a of opts.args) {
      const value: Lazy = a.isString ? fromFsPath(a.value) : new Thunk(parseString(fromFsPath(a.value), cwd), state.baseEnv);
      argMap.set(a.name, value);
    }
    const autoArgs = NixAttrs.fromMap(argMap);
    const exprs: Expr[] = [];
    if (opts.readStdin) exprs.push(parseString(readFileSync(0, "latin1"), cwd));
    const inputs = opts.inputs.length === 0 && !opts.fromArgs && !opts.readStdin ? ["./default.nix"] : opts.inputs;
    for (const input of inputs) {
      if (opts.fromArgs) exprs.push(parseString(fromFsPath(input), cwd));
      else {
        const arg = fromFsPath(input);
        const file =
          arg.length > 2 && arg.startsWith("<") && arg.endsWith(">") ? findFile(state.searchPath, arg.slice(1, -1), 0) : absPath(arg, cwd);
        exprs.push(parseFile(resolveExprPath(file)));
      }
    }
    const attrPaths = opts.attrPaths.length === 0 ? [""] : opts.attrPaths;
    let warned = false;
    for (const e of exprs) {
      const root = evalExpr(e, state.baseEnv);
      for (const path of attrPaths) {
        const v = force(findAlongAttrPath(fromFsPath(path), autoArgs, root));
        const found: Found[] = [];
        getDerivations(v, autoArgs, found, new Set());
        for (const { attrs } of found) {
          const drvAttr = attrs.find("drvPath");
          if (drvAttr < 0) throw new EvalError("derivation does not contain a 'drvPath' attribute");
          const drvPath = forceStringBytes(attrs.values[drvAttr]!, attrs.positions[drvAttr]!);
          const outAttr = attrs.find("outputName");
          const outputName = outAttr < 0 ? "" : forceStringBytes(attrs.values[outAttr]!, attrs.positions[outAttr]!);
          if (outputName === "") throw new EvalError(`derivation '${drvPath}' lacks an 'outputName' attribute`);
          if (!warned) {
            stderr += GC_WARNING;
            warned = true;
          }
          stdout += drvPath + (outputName !== "out" ? "!" + outputName : "") + "\n";
        }
      }
    }
    return { stdout, stderr, exitCode: 0 };
  } catch (err) {
    const status = (err as { exitStatus?: unknown }).exitStatus;
    const stackOverflow = err instanceof RangeError && /call stack/.test(err.message);
    return { stdout, stderr: stderr + formatError(err, opts.showTrace), exitCode: typeof status === "number" ? status : 1, stackOverflow };
  }
}
