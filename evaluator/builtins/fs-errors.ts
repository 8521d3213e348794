/** CppNix's SysError texts (`<what>: <strerror>`) for Node's file-system errors. */
import { EvalError } from "../eval/index.js";

const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EMFILE: "Too many open files",
  ENXIO: "No such device or address",
  EIO: "Input/output error",
  EINVAL: "Invalid argument",
};

/** The error CppNix raises for a failed system call described by `what`. */
export function sysError(what: string, err: unknown, pos: number): EvalError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const text = code !== undefined ? (STRERROR[code] ?? code) : String(err);
  return new EvalError(`${what}: ${text}`, pos);
}

/** A Nix byte-string path as the exact bytes Node should pass to the kernel. */
export function fsPath(path: string): Buffer {
  return Buffer.from(path, "latin1");
}
