import { homedir } from "node:os";

/**
 * CppNix's `canonPath` without symlink resolution: drops empty and `.`
 * components, applies `..` lexically (never above `/`), no trailing slash.
 */
export function canonPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** CppNix's `absPath(path, dir)`: relative paths are taken from `dir`, then canonicalised. */
export function absPath(path: string, dir: string): string {
  return canonPath(path.charCodeAt(0) === 47 ? path : `${dir}/${path}`);
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
