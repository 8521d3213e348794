/**
 * Builtins that put sources into the store: `toFile`, `path`, `filterSource`,
 * and `storePath` (which names an existing one). Results carry the store path as
 * their context, so derivations using them get them as input sources.
 */
import { lstatSync, realpathSync } from "node:fs";
import { isInStore, isStorePath, makeFixedOutputPath, splitStorePath, type FileIngestionMethod, type Hash } from "../../store/index.js";
import {
  EvalError,
  NixString,
  callFunction,
  coerceToPath,
  definePrimOp,
  forceAttrs,
  forceBool,
  forceFunction,
  forceString,
  forceStringNoCtx,
  mkString,
  stringBytes,
  stringContext,
  type Value,
} from "../eval/index.js";
import { canonPath } from "../syntax/paths.js";
import { drvState } from "./drv-state.js";
import { storeCall } from "./eval-store.js";
import type { PathFilter } from "./filtered-nar.js";
import { parseHashAllowEmpty } from "./hash-parse.js";

function baseNameOf(path: string): string {
  const end = path.endsWith("/") && path.length > 1 ? path.length - 1 : path.length;
  return path.slice(path.lastIndexOf("/", end - 1) + 1, end);
}

definePrimOp("__toFile", 2, ([nameArg, contentsArg], pos) => {
  const name = forceStringNoCtx(nameArg!, pos);
  const contents = forceString(contentsArg!, pos);
  const refs: string[] = [];
  for (const c of stringContext(contents)) {
    if (!c.startsWith("/")) {
      throw new EvalError(
        `in 'toFile': the file named '${name}' must not contain a reference to a derivation but contains (${c})`,
        pos,
      );
    }
    refs.push(c);
  }
  const path = drvState().store.addTextToStore(name, stringBytes(contents), refs);
  return new NixString(path, [path]);
});

/** CppNix's addPath: copies (or only hashes) `path` under `name`, checking `expected`. */
function addPath(pos: number, name: string, path: string, filterFun: Value | null, method: FileIngestionMethod, expected: Hash | null): Value {
  try {
    const { store } = drvState();
    const filter: PathFilter | undefined =
      filterFun === null
        ? undefined
        : (p, type) => forceBool(callFunction(filterFun, [p, type], 0), 0, "while evaluating the return value of the path filter function");
    let want: string | undefined;
    if (expected !== null) {
      want = storeCall(() => makeFixedOutputPath(name, method, expected, {}, store.storeDir)).render(store.storeDir);
      // Already valid: CppNix does not read or filter the source again (it must exist).
      if (store.isValidPath(want)) {
        resolveSymlinks(path);
        return new NixString(want, [want]);
      }
    }
    const dst = store.addToStore(path, name, method, filter);
    if (want !== undefined && want !== dst) throw new EvalError(`store path mismatch in (possibly filtered) path added from '${path}'`);
    return new NixString(dst, [dst]);
  } catch (err) {
    // Current CppNix: a frame without a position (its excerpt would only repeat the call's).
    if (err instanceof EvalError) err.addTrace(0, `while adding path '${path}'`);
    throw err;
  }
}

definePrimOp("__filterSource", 2, ([filterArg, pathArg], pos) => {
  const { path } = coerceToPath(pathArg!, 0, "while evaluating the second argument (the path to filter) passed to 'builtins.filterSource'");
  const filter = forceFunction(filterArg!, 0, "while evaluating the first argument passed to builtins.filterSource");
  return addPath(pos, baseNameOf(path), path, filter, "recursive", null);
});

definePrimOp("__path", 1, ([arg], pos) => {
  const attrs = forceAttrs(arg!, pos);
  let path = "";
  let name = "";
  let filter: Value | null = null;
  let method: FileIngestionMethod = "recursive";
  let expected: Hash | null = null;
  for (let i = 0; i < attrs.names.length; i++) {
    const n = attrs.names[i]!;
    if (n === "path") path = coerceToPath(attrs.values[i]!, attrs.positions[i]!).path;
    else if (n === "name") name = forceStringNoCtx(attrs.values[i]!, attrs.positions[i]!);
    else if (n === "filter") filter = forceFunction(attrs.values[i]!, attrs.positions[i]!, "while evaluating the `filter` parameter passed to builtins.path");
    else if (n === "recursive") method = forceBool(attrs.values[i]!, attrs.positions[i]!) ? "recursive" : "flat";
    else if (n === "sha256") expected = parseHashAllowEmpty(forceStringNoCtx(attrs.values[i]!, attrs.positions[i]!), "sha256");
    else throw new EvalError(`unsupported argument '${n}' to 'builtins.path'`, attrs.positions[i]!);
  }
  if (path === "") throw new EvalError("missing required 'path' attribute in the first argument to 'builtins.path'");
  if (name === "") name = baseNameOf(path);
  return addPath(pos, name, path, filter, method, expected);
});

definePrimOp("__storePath", 1, ([arg], pos) => {
  const { path: given, context } = coerceToPath(arg!, 0, "while evaluating the first argument passed to 'builtins.storePath'");
  const storeDir = drvState().store.storeDir;
  let path = given;
  // Symlinks are resolved unless the path is itself a store path (nix-push relies on it).
  if (!isStorePath(path, storeDir)) {
    path = resolveSymlinks(canonPath(path));
  }
  if (!isInStore(path, storeDir)) throw new EvalError(`path '${path}' is not in the Nix store`, pos);
  const storePath = storeCall(() => splitStorePath(path, storeDir)).storePath.render(storeDir);
  return mkString(path, [...context, storePath]);
});

/** CppNix's canonPath(path, true): symlinks resolved; a missing component is an error. */
function resolveSymlinks(path: string): string {
  try {
    return Buffer.from(realpathSync(Buffer.from(path, "latin1"), { encoding: "buffer" })).toString("latin1");
  } catch {
    let prefix = "";
    for (const part of path.split("/").filter((p) => p !== "")) {
      prefix += "/" + part;
      try {
        lstatSync(Buffer.from(prefix, "latin1"));
      } catch {
        throw new EvalError(`getting status of '${prefix}': No such file or directory`);
      }
    }
    return path;
  }
}
