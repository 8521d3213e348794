/**
 * The local store's registration database: the metadata of every valid path, as
 * files in one directory. A path registered alone has a file of its own
 * (`<base>.json`, pathInfoToJson). A batch (commitMany: an instantiation's
 * thousands of .drv files, a substituted closure) has one file for all its paths
 * (`batch-<unique>.jsonl`, one compact record a line): creating a file costs far
 * more than writing a few hundred bytes into one, and an instantiation created two
 * files per .drv before.
 *
 * Each record is in exactly one file. Changing or deleting a batch member first
 * "explodes" its batch into files of their own (written and made durable before
 * the batch file is removed); a crash midway leaves some records in both, with the
 * same contents, and the next load finishes the explode. Every file is written
 * under a temporary name and renamed into place, so a reader sees a whole file or
 * none; a record that does not parse is dropped with a warning (its path is then
 * not valid and its object a leftover), never trusted.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { readFile, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fsyncPath, isErrno, uniqueName, writeFileAtomic } from "./fs-util.js";
import { pathInfoFromJson, pathInfoToJson, pathInfoToLine, type PathInfo } from "./path-info.js";

const BATCH_SUFFIX = ".jsonl";

/** Creates `file` with `data` and fsyncs it (synchronous: one short step each). */
function writeDurably(file: string, data: string): void {
  const fd = openSync(file, "wx", 0o644);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(file);
    throw err;
  }
  closeSync(fd);
}

export class MetadataDb {
  /** Which batch file holds a path's record (absent: its own file). */
  private readonly batchOf = new Map<string, string>();
  /** The paths whose records each batch file holds. */
  private readonly members = new Map<string, Set<string>>();

  constructor(
    private readonly dir: string,
    private readonly storeDir: string,
  ) {}

  /**
   * Reads every record (base name → record), removing temporaries of writes that
   * never committed and finishing interrupted explodes. `warn` hears about each
   * record dropped because it does not parse.
   */
  async load(warn: (file: string, err: Error) => void): Promise<Map<string, PathInfo>> {
    this.batchOf.clear();
    this.members.clear();
    const own = new Map<string, PathInfo>();
    const batched = new Map<string, { file: string; info: PathInfo }>();
    // Batches to move into files of their own: a damaged line, or an interrupted explode.
    const explode = new Set<string>();
    for (const name of await readdir(this.dir)) {
      const file = join(this.dir, name);
      if (name.startsWith(".tmp-")) {
        await unlink(file).catch(() => {}); // a write that never committed
      } else if (name.endsWith(BATCH_SUFFIX)) {
        const members = new Set<string>();
        this.members.set(name, members);
        for (const line of (await readFile(file, "utf8")).split("\n")) {
          if (line === "") continue;
          try {
            const info = pathInfoFromJson(line, this.storeDir);
            batched.set(info.path.baseName, { file: name, info });
            members.add(info.path.baseName);
            this.batchOf.set(info.path.baseName, name);
          } catch (err) {
            warn(file, err as Error);
            explode.add(name);
          }
        }
      } else if (name.endsWith(".json")) {
        try {
          const info = pathInfoFromJson(await readFile(file, "utf8"), this.storeDir);
          if (`${info.path.baseName}.json` !== name) throw new Error("file name does not match the path");
          own.set(info.path.baseName, info);
        } catch (err) {
          warn(file, err as Error);
          await unlink(file).catch(() => {});
        }
      }
    }
    const records = new Map<string, PathInfo>();
    for (const [base, { info }] of batched) records.set(base, info);
    // A record in its own file and in a batch: an explode was interrupted.
    for (const [base, info] of own) {
      records.set(base, info);
      const batch = this.batchOf.get(base);
      if (batch !== undefined) explode.add(batch);
    }
    for (const batch of explode) await this.explode(batch, (base) => (own.has(base) ? undefined : records.get(base)));
    return records;
  }

  /** Writes one path's record (registration or an update) durably in a file of its own. */
  async writeOne(info: PathInfo, recordOf: (base: string) => PathInfo | undefined): Promise<void> {
    const batch = this.batchOf.get(info.path.baseName);
    if (batch !== undefined) await this.explode(batch, (base) => (base === info.path.baseName ? undefined : recordOf(base)));
    await writeFileAtomic(this.fileOf(info.path.baseName), pathInfoToJson(info, this.storeDir));
  }

  /**
   * Writes the records of a batch of new paths durably as one file: written and
   * fsynced under a temporary name, renamed into place, directory fsynced.
   */
  async writeBatch(infos: readonly PathInfo[]): Promise<void> {
    if (infos.length === 0) return;
    const name = uniqueName("batch-") + BATCH_SUFFIX;
    const temp = join(this.dir, uniqueName(".tmp-"));
    const lines = infos.map((info) => pathInfoToLine(info, this.storeDir)).join("");
    writeDurably(temp, lines);
    renameSync(temp, join(this.dir, name));
    await fsyncPath(this.dir);
    const members = new Set<string>();
    for (const info of infos) {
      members.add(info.path.baseName);
      this.batchOf.set(info.path.baseName, name);
    }
    this.members.set(name, members);
  }

  /** Removes a path's record durably (the path is no longer valid). */
  async remove(base: string, recordOf: (base: string) => PathInfo | undefined): Promise<void> {
    const batch = this.batchOf.get(base);
    if (batch !== undefined) await this.explode(batch, (b) => (b === base ? undefined : recordOf(b)));
    await unlink(this.fileOf(base)).catch((err) => {
      if (!isErrno(err, "ENOENT")) throw err;
    });
    await fsyncPath(this.dir);
  }

  /**
   * Moves a batch's records into files of their own (those `recordOf` gives; the
   * rest are dropped with the batch), durably, then removes the batch file.
   */
  private async explode(batch: string, recordOf: (base: string) => PathInfo | undefined): Promise<void> {
    const members = this.members.get(batch) ?? new Set<string>();
    for (const base of members) {
      const info = recordOf(base);
      if (info === undefined) continue;
      const temp = join(this.dir, uniqueName(".tmp-"));
      writeDurably(temp, pathInfoToJson(info, this.storeDir));
      renameSync(temp, this.fileOf(base));
    }
    await fsyncPath(this.dir);
    await unlink(join(this.dir, batch)).catch((err) => {
      if (!isErrno(err, "ENOENT")) throw err;
    });
    await fsyncPath(this.dir);
    for (const base of members) this.batchOf.delete(base);
    this.members.delete(batch);
  }

  private fileOf(base: string): string {
    return join(this.dir, `${base}.json`);
  }
}
