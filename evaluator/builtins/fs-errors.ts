/** CppNix's SysError texts (`<what>: <strerror>`) for Node's file-system errors. */
import { errnoText } from "../../store/index.js";
import { EvalError } from "../eval/index.js";

/** The error CppNix raises for a failed system call described by `what`. */
export function sysError(what: string, err: unknown, pos: number): EvalError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const text = code !== undefined ? (errnoText(code) ?? code) : String(err);
  return new EvalError(`${what}: ${text}`, pos);
}

/** A Nix byte-string path as the exact bytes Node should pass to the kernel. */
export function fsPath(path: string): Buffer {
  return Buffer.from(path, "latin1");
}
