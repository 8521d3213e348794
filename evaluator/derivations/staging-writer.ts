/**
 * A StoreWriter that stages instead of registering. Evaluation is synchronous and
 * the local store's API is not, so each source the evaluation creates is copied into
 * a private staging directory and hashed there, and each text (.drv, toFile) is kept
 * in memory with its NAR hash (all synchronous); the caller commits
 * the staged paths to the real store afterwards, references before referrers. Nothing
 * staged is visible in the store until that commit, so an evaluation that fails or a
 * process that dies leaves only a staging directory behind.
 */
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as crypto from "node:crypto";
import { Hash, narHashAndSize, renderContentAddress, type ContentAddress } from "../../store/index.js";
import type { StoreWriter } from "./writing-store.js";

/** One path ready to be registered; plain data, so it can cross a worker boundary. */
export interface StagedPath {
  /** The store path (logical, e.g. `/nix/store/…-foo.drv`). */
  readonly path: string;
  /** The staged copy (file system path): a file, directory or symlink of its own in the staging directory. */
  readonly file: string;
  /**
   * For a text path (.drv, toFile): its contents (a byte string), not yet written to
   * `file` — commitStaged hands them to the store, which writes each straight into
   * place (one file created per text, not a staging copy as well).
   */
  readonly contents?: string;
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

/** One NAR string token: 8-byte little-endian length, the bytes, zero padding to a multiple of 8. */
function narToken(bytes: Uint8Array): Buffer {
  const padded = Math.ceil(bytes.length / 8) * 8;
  const out = Buffer.alloc(8 + padded);
  out.writeUInt32LE(bytes.length % 2 ** 32, 0);
  out.writeUInt32LE(Math.floor(bytes.length / 2 ** 32), 4);
  out.set(bytes, 8);
  return out;
}

/** The NAR of a regular, non-executable file up to its contents' length field, and what follows the contents. */
const REGULAR_PREFIX = Buffer.concat(["nix-archive-1", "(", "type", "regular", "contents"].map((t) => narToken(Buffer.from(t))));
const CLOSE = narToken(Buffer.from(")"));

type OneShot = (algo: string, data: Uint8Array, encoding: "buffer") => Buffer;

/** Node's one-shot `crypto.hash` (20.12+), else a Hash object. */
const sha256Of: (data: Uint8Array) => Buffer = (() => {
  const oneShot = (crypto as unknown as { hash?: OneShot }).hash;
  if (oneShot !== undefined) return (data: Uint8Array) => oneShot("sha256", data, "buffer");
  return (data: Uint8Array) => crypto.createHash("sha256").update(data).digest();
})();

/** The NAR of a text is assembled here (it is hashed in one call, not five updates). */
let narScratch = Buffer.alloc(1 << 14);

/** The NAR hash and size of a regular, non-executable file with these contents, without the file. */
export function textNarHash(contents: Uint8Array): { hash: Hash; size: number } {
  const n = contents.length;
  const pad = (8 - (n % 8)) % 8;
  const size = REGULAR_PREFIX.length + 8 + n + pad + CLOSE.length;
  if (size > narScratch.length) narScratch = Buffer.alloc(Math.max(size, 2 * narScratch.length));
  const nar = narScratch;
  REGULAR_PREFIX.copy(nar, 0);
  let p = REGULAR_PREFIX.length;
  nar.writeUInt32LE(n % 2 ** 32, p);
  nar.writeUInt32LE(Math.floor(n / 2 ** 32), p + 4);
  p += 8;
  nar.set(contents, p);
  p += n;
  nar.fill(0, p, p + pad);
  CLOSE.copy(nar, p + pad);
  return { hash: new Hash("sha256", sha256Of(nar.subarray(0, size))), size };
}

export class StagingStoreWriter implements StoreWriter {
  private readonly staged = new Map<string, StagedPath>();

  /**
   * @param stagingDir an existing, empty directory of this writer's own, on the file
   *   system of the store it will be committed to (staged copies are renamed into place)
   * @param isValidInStore whether the real store already holds a path (then it is not staged)
   */
  constructor(
    readonly storeDir: string,
    private readonly stagingDir: string,
    private readonly isValidInStore: (storePath: string) => boolean,
    /** Where the store keeps its valid paths on disk (`<root><storeDir>`), if not at storeDir. */
    private readonly realStoreDir: string = storeDir,
  ) {}

  /**
   * A staged path's copy (a text is written out now, so evaluation can read what it
   * has just made, and is then committed as it is), else the store's copy.
   */
  realPath(storePath: string): string {
    const staged = this.staged.get(storePath);
    if (staged === undefined) return this.realStoreDir + storePath.slice(this.storeDir.length);
    if (staged.contents !== undefined) {
      writeFileSync(staged.file, Buffer.from(staged.contents, "latin1"), { flag: "wx" });
      const { contents: _written, ...rest } = staged;
      this.staged.set(storePath, rest);
    }
    return staged.file;
  }

  isValidPath(storePath: string): boolean {
    return this.staged.has(storePath) || this.isValidInStore(storePath);
  }

  addText(storePath: string, contents: Buffer, references: readonly string[], ca: ContentAddress): void {
    this.record(storePath, this.place(storePath), references, ca, textNarHash(contents), contents.toString("latin1"));
  }

  addTree(storePath: string, sourcePath: string, ca: ContentAddress): void {
    const file = this.place(storePath);
    copyTree(Buffer.from(sourcePath, "latin1"), Buffer.from(file, "latin1"));
    this.record(storePath, file, [], ca, narHashAndSize(Buffer.from(file, "latin1")));
  }

  /** Everything staged so far, in the order it was added (which is already references first). */
  stagedPaths(): StagedPath[] {
    return [...this.staged.values()];
  }

  private place(storePath: string): string {
    return join(this.stagingDir, storePath.slice(storePath.lastIndexOf("/") + 1));
  }

  private record(
    path: string,
    file: string,
    references: readonly string[],
    ca: ContentAddress,
    nar: { hash: Hash; size: number },
    contents?: string,
  ): void {
    this.staged.set(path, {
      path,
      file,
      ...(contents === undefined ? {} : { contents }),
      references: [...references],
      ca: renderContentAddress(ca),
      narHash: nar.hash.format("base32", false),
      narSize: nar.size,
    });
  }
}
