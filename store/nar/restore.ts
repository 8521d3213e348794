import { closeSync, constants, fchmodSync, mkdirSync, openSync, symlinkSync, writeSync } from "node:fs";
import { parseNar, type NarFileSink, type NarPath, type NarSink, type NarSummary } from "./parse.js";
import type { ByteSource } from "./reader.js";
import { SysError } from "./sys-error.js";

// CppNix restores with umask 022 whatever the caller's umask: 0755 / 0644.
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;
const EXECUTABLE_MODE = 0o755;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const SLASH = 0x2f;

/**
 * Writes archive events to the file system under `root`. Why this cannot write outside
 * `root`: every node is created exclusively (mkdir, O_CREAT|O_EXCL|O_NOFOLLOW, symlink
 * all fail on an existing name, symlinks included), and the parser guarantees names
 * without `/`, `.` or `..`, each at most once per directory. So every parent on a path
 * we open is a directory this restore itself just created, never a symlink; a name
 * that collides on a case-insensitive or normalising file system fails instead.
 */
class RestoreSink implements NarSink {
  private readonly root: Buffer;
  private openFd: number | undefined;
  private readonly fixModes: boolean;

  constructor(root: string) {
    this.root = Buffer.from(root);
    // Only a umask stricter than 022 makes modes differ from CppNix's; then chmod.
    let umask = 0o022;
    try {
      umask = process.umask();
    } catch {
      umask = 0o777; // unknown (worker thread): always fix modes
    }
    this.fixModes = (umask & ~0o022) !== 0;
  }

  private pathOf(path: NarPath): Buffer {
    if (path.length === 0) return this.root;
    let length = this.root.length;
    for (const name of path) length += 1 + name.length;
    const out = Buffer.allocUnsafe(length);
    let pos = this.root.copy(out, 0);
    for (const name of path) {
      out[pos++] = SLASH;
      pos += name.copy(out, pos);
    }
    return out;
  }

  directory(path: NarPath): void {
    const target = this.pathOf(path);
    try {
      mkdirSync(target, DIR_MODE);
    } catch (err) {
      throw new SysError("creating directory", target, err);
    }
    if (this.fixModes) {
      const fd = openSync(target, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        fchmodSync(fd, DIR_MODE);
      } finally {
        closeSync(fd);
      }
    }
  }

  file(path: NarPath, executable: boolean): NarFileSink {
    const target = this.pathOf(path);
    const mode = executable ? EXECUTABLE_MODE : FILE_MODE;
    let fd: number;
    try {
      fd = openSync(target, CREATE_FLAGS, mode);
    } catch (err) {
      throw new SysError("creating file", target, err);
    }
    this.openFd = fd;
    if (this.fixModes) fchmodSync(fd, mode);
    return {
      write: (piece) => {
        let done = 0;
        while (done < piece.length) {
          try {
            done += writeSync(fd, piece, done, piece.length - done);
          } catch (err) {
            throw new SysError("writing to file", target, err);
          }
        }
      },
      end: () => {
        this.openFd = undefined;
        closeSync(fd);
      },
    };
  }

  symlink(path: NarPath, linkTarget: Buffer): void {
    const target = this.pathOf(path);
    try {
      symlinkSync(linkTarget, target);
    } catch (err) {
      throw new SysError("creating symlink", target, err);
    }
  }

  /** Closes a file left open by an archive that broke off in its contents. */
  close(): void {
    if (this.openFd !== undefined) closeSync(this.openFd);
    this.openFd = undefined;
  }
}

/**
 * Unpacks a NAR into `target`, which must not exist yet and becomes the root node (a
 * directory, file or symlink), like `nix-store --restore`. On a malformed archive it
 * throws; what was unpacked so far stays inside `target`, as with CppNix.
 */
export async function restoreNar(source: ByteSource, target: string): Promise<NarSummary> {
  const sink = new RestoreSink(target);
  try {
    return await parseNar(source, sink);
  } finally {
    sink.close();
  }
}
