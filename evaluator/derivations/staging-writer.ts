/**
 * A StoreWriter that stages instead of registering. Evaluation is synchronous and
 * the local store's API is not, so each path the evaluation creates is copied into a
 * private staging directory and hashed there (both synchronous); the caller commits
 * the staged paths to the real store afterwards, references before referrers. Nothing
 * staged is visible in the store until that commit, so an evaluation that fails or a
 * process that dies leaves only a staging directory behind.
 */
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { narHashAndSize, renderContentAddress, type ContentAddress } from "../../store/index.js";
import type { StoreWriter } from "./writing-store.js";

/** One path ready to be registered; plain data, so it can cross a worker boundary. */
export interface StagedPath {
  /** The store path (logical, e.g. `/nix/store/…-foo.drv`). */
  readonly path: string;
  /** The staged copy (file system path). */
  readonly file: string;
  readonly references: readonly string[];
  /** Rendered content address (`text:sha256:…`, `fixed:r:sha256:…`). */
  readonly ca: string;
  /** sha256 NAR hash of the staged copy, nixbase32 without prefix. */
  readonly narHash: string;
  readonly narSize: number;
}

/** Copies a tree as a NAR sees it: directories, regular files (executable or not), symlinks verbatim. */
function copyTree(src: Buffer, dst: Buffer): void {
  const st = lstatSync(src);
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(src, { encoding: "buffer" }), dst);
  else if (st.isDirectory()) {
    mkdirSync(dst);
    for (const name of readdirSync(src, { encoding: "buffer" })) {
      copyTree(Buffer.concat([src, Buffer.from("/"), name]), Buffer.concat([dst, Buffer.from("/"), name]));
    }
  } else if (st.isFile()) {
    copyFileSync(src, dst);
    chmodSync(dst, st.mode & 0o100 ? 0o755 : 0o644);
  } else {
    throw new Error(`file '${src.toString("latin1")}' has an unsupported type`);
  }
}

export class StagingStoreWriter implements StoreWriter {
  private readonly staged = new Map<string, StagedPath>();

  /**
   * @param stagingDir an existing, empty directory of this writer's own
   * @param isValidInStore whether the real store already holds a path (then it is not staged)
   */
  constructor(
    readonly storeDir: string,
    private readonly stagingDir: string,
    private readonly isValidInStore: (storePath: string) => boolean,
  ) {}

  isValidPath(storePath: string): boolean {
    return this.staged.has(storePath) || this.isValidInStore(storePath);
  }

  addText(storePath: string, contents: Buffer, references: readonly string[], ca: ContentAddress): void {
    const file = this.stagingPath(storePath);
    writeFileSync(file, contents);
    this.record(storePath, file, references, ca);
  }

  addTree(storePath: string, sourcePath: string, ca: ContentAddress): void {
    const file = this.stagingPath(storePath);
    copyTree(Buffer.from(sourcePath, "latin1"), Buffer.from(file, "latin1"));
    this.record(storePath, file, [], ca);
  }

  /** Everything staged so far, in the order it was added (which is already references first). */
  stagedPaths(): StagedPath[] {
    return [...this.staged.values()];
  }

  private stagingPath(storePath: string): string {
    return join(this.stagingDir, storePath.slice(storePath.lastIndexOf("/") + 1));
  }

  private record(path: string, file: string, references: readonly string[], ca: ContentAddress): void {
    const { hash, size } = narHashAndSize(Buffer.from(file, "latin1"));
    this.staged.set(path, { path, file, references: [...references], ca: renderContentAddress(ca), narHash: hash.format("base32", false), narSize: size });
  }
}
