/**
 * The local store's registration database: the metadata of every valid path, as
 * files in one directory. A path registered alone has a file of its own
 * (`<base>.json`, pathInfoToJson). A batch (commitMany: an instantiation's
 * thousands of .drv files, a substituted closure) has one file for all its paths
 * (`batch-<unique>.jsonl`, one compact record a line): creating a file costs far
 * more than writing a few hundred bytes into one, and an instantiation created two
 * files per .drv before.
 *
 * Each record is in exactly one file. Changing or removing batch members rewrites
 * the batch file (once for all the members a garbage collection removes). Every
 * file is written and fsynced under a temporary name and renamed into place, so a
 * reader sees a whole file, old or new, never a torn one. A record that does not
 * parse is dropped with a warning (its path is then not valid and its object a
 * leftover), never trusted; a record found both in a file of its own and in a batch
 * keeps its own file's version.
 */
import { readFile, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fsyncPath, isErrno, uniqueName, writeFileAtomic } from "./fs-util.js";
import { pathInfoFromJson, pathInfoToJson, pathInfoToLine, type PathInfo } from "./path-info.js";

const BATCH_SUFFIX = ".jsonl";

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
   * never committed and rewriting batches with damaged or duplicated records. `warn` hears about each
   * record dropped because it does not parse.
   */
  async load(warn: (file: string, err: Error) => void): Promise<Map<string, PathInfo>> {
    this.batchOf.clear();
    this.members.clear();
    const own = new Map<string, PathInfo>();
    const batched = new Map<string, { file: string; info: PathInfo }>();
    // Batches to rewrite: with a damaged line, or with a record that also has a file of its own.
    const rewrite = new Set<string>();
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
            rewrite.add(name);
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
    for (const [base, info] of own) {
      records.set(base, info);
      const batch = this.batchOf.get(base);
      if (batch !== undefined) rewrite.add(batch);
    }
    for (const batch of rewrite) await this.rewrite(batch, (base) => (own.has(base) ? undefined : records.get(base)));
    if (rewrite.size > 0) await fsyncPath(this.dir);
    return records;
  }

  /** Writes one path's record (registration or an update) durably. */
  async writeOne(info: PathInfo, recordOf: (base: string) => PathInfo | undefined): Promise<void> {
    const base = info.path.baseName;
    const batch = this.batchOf.get(base);
    if (batch === undefined) {
      await writeFileAtomic(this.fileOf(base), pathInfoToJson(info, this.storeDir));
      return;
    }
    await this.rewrite(batch, (b) => (b === base ? info : recordOf(b)));
    await fsyncPath(this.dir);
  }

  /**
   * Writes the records of a batch of new paths durably as one file: written and
   * fsynced under a temporary name, renamed into place, directory fsynced.
   */
  async writeBatch(infos: readonly PathInfo[]): Promise<void> {
    if (infos.length === 0) return;
    const name = uniqueName("batch-") + BATCH_SUFFIX;
    await writeFileAtomic(join(this.dir, name), infos.map((info) => pathInfoToLine(info, this.storeDir)).join(""));
    await fsyncPath(this.dir);
    const members = new Set<string>();
    for (const info of infos) {
      members.add(info.path.baseName);
      this.batchOf.set(info.path.baseName, name);
    }
    this.members.set(name, members);
  }

  /** Removes paths' records durably (the paths are no longer valid): each batch concerned is rewritten once. */
  async removeMany(bases: Iterable<string>, recordOf: (base: string) => PathInfo | undefined): Promise<void> {
    const gone = new Set(bases);
    const batches = new Set<string>();
    for (const base of gone) {
      const batch = this.batchOf.get(base);
      if (batch !== undefined) batches.add(batch);
      else {
        await unlink(this.fileOf(base)).catch((err) => {
          if (!isErrno(err, "ENOENT")) throw err;
        });
      }
    }
    for (const batch of batches) await this.rewrite(batch, (b) => (gone.has(b) ? undefined : recordOf(b)));
    await fsyncPath(this.dir);
  }

  /**
   * Rewrites a batch file with the records `recordOf` gives for its members (the
   * others leave it), or removes it when none is left. The caller fsyncs the directory.
   */
  private async rewrite(batch: string, recordOf: (base: string) => PathInfo | undefined): Promise<void> {
    const members = this.members.get(batch) ?? new Set<string>();
    const kept: PathInfo[] = [];
    for (const base of members) {
      const info = recordOf(base);
      if (info !== undefined) kept.push(info);
      else this.batchOf.delete(base);
    }
    if (kept.length === 0) {
      this.members.delete(batch);
      await unlink(join(this.dir, batch)).catch((err) => {
        if (!isErrno(err, "ENOENT")) throw err;
      });
      return;
    }
    await writeFileAtomic(join(this.dir, batch), kept.map((info) => pathInfoToLine(info, this.storeDir)).join(""));
    this.members.set(batch, new Set(kept.map((info) => info.path.baseName)));
  }

  private fileOf(base: string): string {
    return join(this.dir, `${base}.json`);
  }
}
