import { closeSync, constants, openSync, readSync } from "node:fs";
import { SysError } from "./sys-error.js";

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Reads exactly `size` bytes of the regular file `path` into `target` at `offset`. */
export function readFileInto(target: Uint8Array, path: Buffer, offset: number, size: number): void {
  let fd;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    throw new SysError("opening file", path, err);
  }
  try {
    let done = 0;
    while (done < size) {
      let got;
      try {
        got = readSync(fd, target, offset + done, size - done, null);
      } catch (err) {
        throw new SysError("reading file", path, err);
      }
      if (got === 0) throw new Error(`file '${path.toString()}' changed size while it was being archived`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
}
