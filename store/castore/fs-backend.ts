import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CastoreCorruptionError, OBJECT_KINDS, type CastoreBackend, type ObjectKind, type StoredObject } from "./backend.js";
import { blake3Hex, isDigest } from "./digest.js";

const PATH_KEY_RE = /^[0-9a-df-np-sv-z]{32}$/;

function errnoCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

function readdirQuietly(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (err) {
    if (errnoCode(err) === "ENOENT" || errnoCode(err) === "ENOTDIR") return [];
    throw err;
  }
}

function unlinkQuietly(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return false;
    throw err;
  }
}

/**
 * The castore in a local directory: `<root>/<kind>/<first two characters>/<key>`, each
 * object written to a `.tmp.*` name beside it and renamed into place (atomic).
 * Digest-named objects are verified on every read. File-system calls are synchronous:
 * for many small objects that is much faster than a thread-pool hop per call.
 */
export class FsCastoreBackend implements CastoreBackend {
  private readonly madeDirs = new Set<string>();

  private readonly verify: boolean;
  private readonly refreshAfterMs: number;

  /**
   * `verifyReads: false` skips hashing what is read, for a directory only this
   * process writes (rendering then costs about a third less); the default checks.
   * `refreshAfterMs` (default 10 minutes): a put that finds its object modified more
   * recently than this leaves its time alone (one metadata write less per reused
   * object); GC's grace period must exceed it plus the longest ingestion.
   */
  constructor(
    readonly root: string,
    options: { verifyReads?: boolean; refreshAfterMs?: number } = {},
  ) {
    this.verify = options.verifyReads ?? true;
    this.refreshAfterMs = options.refreshAfterMs ?? 10 * 60_000;
    mkdirSync(root, { recursive: true });
  }

  private pathOf(kind: ObjectKind, key: string): string {
    const valid = kind === "path" ? PATH_KEY_RE.test(key) : isDigest(key);
    if (!valid) throw new Error(`invalid castore ${kind} key '${key}'`);
    return `${this.root}/${kind}/${key.slice(0, 2)}/${key}`;
  }

  async has(kind: ObjectKind, key: string): Promise<boolean> {
    return statSync(this.pathOf(kind, key), { throwIfNoEntry: false }) !== undefined;
  }

  async get(kind: ObjectKind, key: string): Promise<Buffer | undefined> {
    return this.getSync(kind, key);
  }

  getSync(kind: ObjectKind, key: string): Buffer | undefined {
    let bytes;
    try {
      bytes = readFileSync(this.pathOf(kind, key));
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
    if (this.verify && kind !== "path" && blake3Hex(bytes) !== key) throw new CastoreCorruptionError(kind, key);
    return bytes;
  }

  async put(kind: ObjectKind, key: string, bytes: Uint8Array): Promise<boolean> {
    const path = this.pathOf(kind, key);
    // Content-named: present means identical; refresh its time for the GC grace period.
    const present = kind === "path" ? undefined : statSync(path, { throwIfNoEntry: false });
    if (present) {
      const now = new Date();
      if (now.getTime() - present.mtimeMs < this.refreshAfterMs) return false;
      try {
        utimesSync(path, now, now);
        return false;
      } catch (err) {
        if (errnoCode(err) !== "ENOENT") throw err; // collected meanwhile: write it again
      }
    }
    const dir = join(this.root, kind, key.slice(0, 2));
    if (!this.madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    // Written next to its final name: the rename then changes one directory only.
    const temporary = `${dir}/.tmp.${key}.${randomBytes(6).toString("hex")}`;
    writeFileSync(temporary, bytes);
    try {
      renameSync(temporary, path);
    } catch (err) {
      unlinkSync(temporary);
      throw err;
    }
    return true;
  }

  async delete(kind: ObjectKind, key: string, unmodifiedSince?: number): Promise<boolean> {
    const path = this.pathOf(kind, key);
    if (unmodifiedSince === undefined) return unlinkQuietly(path);
    // Move it aside first, then look at its time: a put that refreshed it before the
    // move shows in the time (then it goes back); one after the move writes a new copy.
    const aside = `${path.slice(0, path.length - key.length)}.gc.${key}.${randomBytes(6).toString("hex")}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return false;
      throw err;
    }
    const st = statSync(aside, { throwIfNoEntry: false });
    if (!st) return false; // another collector's removeStale put it back
    if (st.mtimeMs >= unmodifiedSince) {
      try {
        renameSync(aside, path);
      } catch (err) {
        if (errnoCode(err) !== "ENOENT") throw err;
      }
      return false;
    }
    return unlinkQuietly(aside);
  }

  /**
   * Cleans up after crashed processes, for what was last touched before `cutoffMs`:
   * deletes `.tmp.*` files (a write that never reached its rename) and puts `.gc.*`
   * files (a deletion that stopped halfway) back under their name when that is free —
   * the next collection decides about them again. Returns how many it handled.
   */
  async removeStale(cutoffMs: number): Promise<number> {
    let handled = 0;
    for (const kind of OBJECT_KINDS) {
      const base = join(this.root, kind);
      for (const fan of readdirQuietly(base)) {
        const dir = join(base, fan);
        for (const name of readdirQuietly(dir)) {
          const isTemporary = name.startsWith(".tmp.");
          if (!isTemporary && !name.startsWith(".gc.")) continue;
          const file = join(dir, name);
          const st = statSync(file, { throwIfNoEntry: false });
          if (!st || st.mtimeMs >= cutoffMs) continue;
          const key = name.split(".")[2] ?? "";
          const target = join(dir, key);
          if (!isTemporary && key && !statSync(target, { throwIfNoEntry: false })) {
            try {
              renameSync(file, target);
              handled++;
              continue;
            } catch (err) {
              if (errnoCode(err) !== "ENOENT") throw err;
            }
          }
          if (unlinkQuietly(file)) handled++;
        }
      }
    }
    return handled;
  }

  async *list(kind: ObjectKind): AsyncIterable<StoredObject> {
    const base = join(this.root, kind);
    let fans: string[];
    try {
      fans = readdirSync(base);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return;
      throw err;
    }
    for (const fan of fans) {
      for (const key of readdirSync(join(base, fan))) {
        if (key.startsWith(".")) continue; // a write or a deletion in progress
        const st = statSync(join(base, fan, key), { throwIfNoEntry: false });
        if (st) yield { key, size: st.size, modifiedMs: st.mtimeMs };
      }
    }
  }
}
