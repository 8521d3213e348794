import { randomBytes } from "node:crypto";
import { chmod, lstat, lutimes, open, readdir, rename, rm, unlink } from "node:fs/promises";
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
 * contents are on disk before the metadata that declares them valid.
 */
export async function canonicaliseTree(path: string, fsyncFiles = false): Promise<void> {
  const st = await lstat(path);
  if (st.isSymbolicLink()) {
    await lutimes(path, CANONICAL_MTIME, CANONICAL_MTIME);
    return;
  }
  if (st.isDirectory()) {
    for (const name of await readdir(path)) await canonicaliseTree(join(path, name), fsyncFiles);
    await chmod(path, 0o555);
    await lutimes(path, CANONICAL_MTIME, CANONICAL_MTIME);
    if (fsyncFiles) await fsyncPath(path);
    return;
  }
  if (!st.isFile()) throw new Error(`'${path}' is neither a file, a directory nor a symlink`);
  await chmod(path, st.mode & 0o100 ? 0o555 : 0o444);
  await lutimes(path, CANONICAL_MTIME, CANONICAL_MTIME);
  if (fsyncFiles) await fsyncPath(path);
}

/** Deletes a tree even when its directories are read-only (as store objects are). */
export async function removeTree(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (st.isDirectory()) {
    await chmod(path, 0o755);
    for (const name of await readdir(path)) await removeTree(join(path, name));
  }
  await rm(path, { recursive: true, force: true });
}

/** Total bytes of the files in a tree (what deleting it frees, roughly). */
export async function treeSize(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path)) total += await treeSize(join(path, name));
  return total;
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException)?.code ?? "");
}
