/**
 * File-system builtins that need no store: readFile, readDir, readFileType,
 * pathExists, baseNameOf, dirOf, toPath. Paths are byte strings handed to the
 * kernel unchanged (as Buffers), so names that are not UTF-8 survive.
 */
import { lstatSync, readFileSync, readdirSync, type Dirent, type Stats } from "node:fs";
import { canonPath, dirOf } from "../syntax/index.js";
import {
  Attr,
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
  stringContext,
  type Lazy,
} from "../eval/index.js";
import { fsPath, sysError } from "./fs-errors.js";

/**
 * CppNix's realisePath: an absolute path from a path or string value, after the
 * store paths in its context are checked to be valid; a path in the store is read
 * where the store keeps it (realiseContextPath).
 */
export function realisePath(v: Lazy, pos: number): string {
  let r: { path: string; context: readonly string[] };
  try {
    r = coerceToPath(v, pos);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(pos, "while realising the context of a path");
    throw err;
  }
  return realiseContextPath(r.path, r.context, pos);
}

/** A file's bytes, with CppNix's error texts. */
export function readFileBytes(path: string, pos: number): Buffer {
  try {
    return readFileSync(fsPath(path));
  } catch (err) {
    const syscall = (err as NodeJS.ErrnoException).syscall;
    throw sysError(syscall === "open" ? `opening file '${path}'` : "reading from file", err, pos);
  }
}

definePrimOp("__readFile", 1, ([p], pos) => {
  const path = realisePath(p!, pos);
  const bytes = readFileBytes(path, pos);
  if (bytes.includes(0)) throw new EvalError(`the contents of the file '${path}' cannot be represented as a Nix string`, pos);
  return bytesToNix(bytes);
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
    throw sysError(`opening directory '${path}'`, err, pos);
  }
  const m = new Map<string, Attr>();
  for (const ent of entries) {
    const name = (ent.name as unknown as Buffer).toString("latin1");
    m.set(name, new Attr(fileTypeName(ent), 0));
  }
  return new NixAttrs(m);
});

// Not in CppNix 2.8 (added in 2.14); current nixpkgs uses it when present.
definePrimOp("__readFileType", 1, ([p], pos) => {
  const path = realisePath(p!, pos);
  try {
    return fileTypeName(lstatSync(fsPath(path)));
  } catch (err) {
    throw sysError(`getting status of '${path}'`, err, pos);
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

definePrimOp("baseNameOf", 1, ([p], pos) => {
  const s = coerceToString(p!, pos, { coerceMore: false, copyToStore: false });
  return mkString(baseNameOf(stringBytes(s)), stringContext(s));
});

definePrimOp("dirOf", 1, ([p], pos) => {
  const v = force(p!, pos);
  const s = coerceToString(v, pos, { coerceMore: false, copyToStore: false });
  const dir = dirOf(stringBytes(s));
  return v instanceof NixPath ? new NixPath(dir) : mkString(dir, stringContext(s));
});

definePrimOp("__toPath", 1, ([p], pos) => {
  const { path, context } = coerceToPath(p!, pos);
  return mkString(canonPath(path), context);
});
