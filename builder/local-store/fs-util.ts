import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync as fsyncFd, lstatSync, lutimesSync, openSync, readdirSync } from "node:fs";
import { chmod, lstat, open, readdir, rename, rm, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Store objects carry mtime 1 (1970-01-01T00:00:01Z) so nothing depends on when they were made. */
const CANONICAL_MTIME = 1;

/** A name no other writer picks: pid, then random bytes. */
export function uniqueName(prefix: string): string {
  return `${prefix}${process.pid}.${randomBytes(6).toString("hex")}`;
}

export async function fsyncPath(path: string, flags = "r"): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` atomically: a temporary sibling is written and fsynced, then
 * renamed over `path` (the commit point), then the directory is fsynced so the rename
 * survives a power loss. Readers see the old file or the new one, never a torn one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), uniqueName(".tmp-"));
  const handle = await open(temp, "wx", 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await fsyncPath(dirname(path));
}

/**
 * Makes a restored tree what a store object is: read-only (files 0444 or 0555 when
 * executable, directories 0555) with mtime 1. Optionally fsyncs every file, so the
 * contents are on disk before the metadata that declares them valid. The calls are
 * synchronous: a thread-pool round trip per chmod/utimes made this 10x slower, and
 * each call is short (the tree was just written, its metadata is in the cache).
 */
export async function canonicaliseTree(path: string, fsyncFiles = false): Promise<void> {
  // Buffer paths: store objects may hold names that are not UTF-8, which a string path would mangle.
  const stack: { path: Buffer; visited: boolean }[] = [{ path: Buffer.from(path), visited: false }];
  let sinceYield = 0;
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (++sinceYield >= 2000) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve)); // let other work run on big trees
    }
    if (top.visited) {
      // A directory after its entries: making it read-only first would not stop chmod of
      // its entries, but fsync and utimes belong after the entries' own changes.
      chmodSync(top.path, 0o555);
      lutimesSync(top.path, CANONICAL_MTIME, CANONICAL_MTIME);
      if (fsyncFiles) fsyncSync(top.path);
      continue;
    }
    const st = lstatSync(top.path);
    if (st.isSymbolicLink()) {
      lutimesSync(top.path, CANONICAL_MTIME, CANONICAL_MTIME);
    } else if (st.isDirectory()) {
      stack.push({ path: top.path, visited: true });
      for (const name of readdirSync(top.path, { encoding: "buffer" })) stack.push({ path: childPath(top.path, name), visited: false });
    } else if (st.isFile()) {
      chmodSync(top.path, st.mode & 0o100 ? 0o555 : 0o444);
      lutimesSync(top.path, CANONICAL_MTIME, CANONICAL_MTIME);
      if (fsyncFiles) fsyncSync(top.path);
    } else {
      throw new Error(`'${top.path.toString()}' is neither a file, a directory nor a symlink`);
    }
  }
}

const SLASH = Buffer.from("/");

function childPath(parent: Buffer, name: Buffer): Buffer {
  return Buffer.concat([parent, SLASH, name]);
}

function fsyncSync(path: Buffer): void {
  const fd = openSync(path, "r");
  try {
    fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Deletes a tree even when its directories are read-only (as store objects are). */
export async function removeTree(path: string | Buffer): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (st.isDirectory()) {
    await chmod(path, 0o755);
    const dir = Buffer.from(path);
    for (const name of await readdir(dir, { encoding: "buffer" })) await removeTree(childPath(dir, name));
  }
  await rm(path, { recursive: true, force: true });
}

/** Total bytes of the files in a tree (what deleting it frees, roughly). */
export async function treeSize(path: string | Buffer): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  const dir = Buffer.from(path);
  for (const name of await readdir(dir, { encoding: "buffer" })) total += await treeSize(childPath(dir, name));
  return total;
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException)?.code ?? "");
}
