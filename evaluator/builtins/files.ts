/**
 * File-system builtins that need no store: readFile, readDir, readFileType,
 * pathExists, baseNameOf, dirOf, toPath. Paths are byte strings handed to the
 * kernel unchanged (as Buffers), so names that are not UTF-8 survive.
 */
import { lstatSync, readFileSync, readdirSync, realpathSync, type Dirent, type Stats } from "node:fs";
import { canonPath, dirOf } from "../syntax/index.js";
import {
  EvalError,
  NixAttrs,
  NixPath,
  bytesToNix,
  coerceToPath,
  coerceToString,
  definePrimOp,
  force,
  mkString,
  realiseContextPath,
  stringBytes,
  type Lazy,
} from "../eval/index.js";
import { fsPath, sysError } from "./fs-errors.js";
import { withContextOf } from "./common.js";

/**
 * CppNix's realisePath: an absolute path from a path or string value, after the
 * store paths in its context are checked to be valid; a path in the store is read
 * where the store keeps it (realiseContextPath).
 */
export function realisePath(v: Lazy, pos: number): string {
  const r = coerceToPath(v, 0, "while realising the context of a path");
  return realiseContextPath(r.path, r.context, pos);
}

/** Current CppNix's messages for a path that is missing or is not a directory. */
function pathError(path: string, err: unknown, fallback: string, pos: number): EvalError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT") return new EvalError(`path '${path}' does not exist`, pos);
  if (code === "ENOTDIR") {
    let resolved = path;
    try {
      resolved = realpathSync(fsPath(path), { encoding: "buffer" }).toString("latin1");
    } catch {
      // keep the path as given
    }
    return new EvalError(`'${resolved}' is not a directory`, pos);
  }
  return sysError(fallback, err, pos);
}

/** A file's bytes, with CppNix's error texts. */
export function readFileBytes(path: string, pos: number): Buffer {
  try {
    return readFileSync(fsPath(path));
  } catch (err) {
    const syscall = (err as NodeJS.ErrnoException).syscall;
    throw pathError(path, err, syscall === "open" ? `opening file '${path}'` : "reading from file", pos);
  }
}

/**
 * The store paths a file in the store refers to (its store path's references), set
 * by the derivations layer, which knows the store: CppNix 2.8's readFile gives them
 * to the contents as context.
 */
let storeFileReferences: ((path: string) => readonly string[]) | undefined;

export function setStoreFileReferences(fn: ((path: string) => readonly string[]) | undefined): void {
  storeFileReferences = fn;
}

definePrimOp("__readFile", 1, ([p], pos) => {
  const r = coerceToPath(p!, 0, "while realising the context of a path");
  const path = realiseContextPath(r.path, r.context, pos);
  const bytes = readFileBytes(path, pos);
  if (bytes.includes(0)) throw new EvalError(`the contents of the file '${path}' cannot be represented as a Nix string`, pos);
  const refs = storeFileReferences?.(r.path);
  return refs === undefined || refs.length === 0 ? bytesToNix(bytes) : mkString(bytesToNix(bytes), refs);
});

function fileTypeName(st: Stats | Dirent): string {
  if (st.isFile()) return "regular";
  if (st.isDirectory()) return "directory";
  if (st.isSymbolicLink()) return "symlink";
  return "unknown";
}

definePrimOp("__readDir", 1, ([p], pos) => {
  const path = realisePath(p!, pos);
  let entries: Dirent[];
  try {
    entries = readdirSync(fsPath(path), { withFileTypes: true, encoding: "buffer" }) as unknown as Dirent[];
  } catch (err) {
    throw pathError(path, err, `opening directory '${path}'`, pos);
  }
  const m = new Map<string, Lazy>();
  for (const ent of entries) {
    const name = (ent.name as unknown as Buffer).toString("latin1");
    m.set(name, fileTypeName(ent));
  }
  return NixAttrs.fromMap(m);
});

// Not in CppNix 2.8 (added in 2.14); current nixpkgs uses it when present.
definePrimOp("__readFileType", 1, ([p], pos) => {
  const path = realisePath(p!, pos);
  try {
    return fileTypeName(lstatSync(fsPath(path)));
  } catch (err) {
    throw pathError(path, err, `getting status of '${path}'`, pos);
  }
});

definePrimOp("__pathExists", 1, ([p], pos) => {
  const path = realisePath(p!, pos);
  // lstat, as CppNix: a dangling symlink exists; any failure means "no".
  try {
    lstatSync(fsPath(path));
    return true;
  } catch {
    return false;
  }
});

/** CppNix's baseNameOf: the last component, ignoring one trailing slash. */
export function baseNameOf(path: string): string {
  if (path === "") return "";
  let last = path.length - 1;
  if (path[last] === "/" && last > 0) last--;
  const slash = path.lastIndexOf("/", last);
  return path.slice(slash + 1, last + 1);
}

definePrimOp("baseNameOf", 1, ([p]) => {
  const s = coerceToString(p!, 0, { coerceMore: false, copyToStore: false, ctx: "while evaluating the first argument passed to builtins.baseNameOf" });
  return withContextOf(baseNameOf(stringBytes(s)), s);
});

definePrimOp("dirOf", 1, ([p], pos) => {
  const v = force(p!, pos);
  const s = coerceToString(v, 0, { coerceMore: false, copyToStore: false, ctx: "while evaluating the first argument passed to 'builtins.dirOf'" });
  const dir = dirOf(stringBytes(s));
  return v instanceof NixPath ? new NixPath(dir) : withContextOf(dir, s);
});

definePrimOp("__toPath", 1, ([p]) => {
  const { path, context } = coerceToPath(p!, 0, "while evaluating the first argument passed to builtins.toPath");
  return mkString(canonPath(path), context);
});
