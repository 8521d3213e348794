import { homedir } from "node:os";

/**
 * CppNix's `canonPath` without symlink resolution: drops empty and `.`
 * components, applies `..` lexically (never above `/`), no trailing slash.
 */
export function canonPath(path: string): string {
  if (isCanonical(path)) return path;
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Absolute, no empty, `.` or `..` components, no trailing slash (the common case). */
function isCanonical(path: string): boolean {
  const n = path.length;
  if (n === 0 || path.charCodeAt(0) !== 47) return false;
  if (n === 1) return true;
  if (path.charCodeAt(n - 1) === 47) return false;
  for (let i = 0; i < n; i++) {
    if (path.charCodeAt(i) !== 47) continue;
    const c = path.charCodeAt(i + 1);
    if (c === 47) return false;
    if (c === 46) {
      const d = path.charCodeAt(i + 2);
      if (d === 47 || i + 2 === n) return false;
      if (d === 46 && (path.charCodeAt(i + 3) === 47 || i + 3 === n)) return false;
    }
  }
  return true;
}

/** CppNix's `absPath(path, dir)`: relative paths are taken from `dir`, then canonicalised. */
export function absPath(path: string, dir: string): string {
  if (path.charCodeAt(0) === 47) return canonPath(path);
  // `./x` against a canonical directory: skip the leading `./`.
  if (path.charCodeAt(0) === 46 && path.charCodeAt(1) === 47) path = path.slice(2);
  return canonPath(dir === "/" ? `/${path}` : `${dir}/${path}`);
}

/** The directory part of a path, as CppNix's `dirOf` (`/` for top-level entries). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

/** $HOME as CppNix's `getHome()` reads it. */
export function homeDir(): string {
  return process.env.HOME ?? homedir();
}
