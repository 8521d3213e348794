import { once } from "node:events";
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, writeSync, type Dirent } from "node:fs";
import type { Writable } from "node:stream";
import { NAR_MAGIC, paddingOf } from "./format.js";
import { SysError, errnoCode } from "./sys-error.js";

/** Output chunk size: large reads and writes keep syscalls and per-chunk work rare. */
const DEFAULT_CHUNK_SIZE = 1 << 20;

const SLASH = Buffer.from("/");
const EMPTY = Buffer.alloc(0);
const OPEN_FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
// CppNix (2.8) marks a file executable by the owner's x bit alone, not group or other.
const S_IXUSR = 0o100;

/** What readdir says an entry is, so the walk can skip an lstat per entry. */
const enum Kind {
  Unknown,
  File,
  Directory,
  Symlink,
}

interface DirFrame {
  readonly dir: Buffer;
  readonly names: Buffer[];
  readonly kinds: Kind[];
  next: number;
}

function kindOf(entry: Dirent): Kind {
  if (entry.isFile()) return Kind.File;
  if (entry.isDirectory()) return Kind.Directory;
  if (entry.isSymbolicLink()) return Kind.Symlink;
  return Kind.Unknown;
}

interface OpenFile {
  readonly path: Buffer;
  readonly fd: number;
  readonly size: number;
  remaining: number;
}

/** Keyword tokens, pre-encoded once with their length prefix and padding. */
function encodeToken(text: string): Buffer {
  const bytes = Buffer.from(text);
  const out = Buffer.alloc(8 + bytes.length + paddingOf(bytes.length));
  out.writeUInt32LE(bytes.length, 0);
  bytes.copy(out, 8);
  return out;
}

const T_MAGIC = encodeToken(NAR_MAGIC);
const T_OPEN = encodeToken("(");
const T_CLOSE = encodeToken(")");
// Common runs of tokens are joined so each costs one copy.
const T_REGULAR = Buffer.concat([T_OPEN, encodeToken("type"), encodeToken("regular")]);
const T_EXECUTABLE = Buffer.concat([encodeToken("executable"), encodeToken("")]);
const T_CONTENTS = encodeToken("contents");
const T_SYMLINK_TARGET = Buffer.concat([T_OPEN, encodeToken("type"), encodeToken("symlink"), encodeToken("target")]);
const T_DIRECTORY = Buffer.concat([T_OPEN, encodeToken("type"), encodeToken("directory")]);
const T_ENTRY_NAME = Buffer.concat([encodeToken("entry"), T_OPEN, encodeToken("name")]);
const T_NODE = encodeToken("node");

function compareBytes(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/**
 * Serialises a file-system tree as a NAR, pulled one chunk at a time. It walks the
 * tree with an explicit stack (deep trees cannot overflow anything) and reads file
 * contents straight into the output buffer. File-system calls are synchronous: each
 * `next()` does a bounded amount of work (about one chunk), which is far faster than
 * a thread-pool round trip per small file.
 */
export class NarDumper {
  protected out: Buffer;
  protected pos = 0;
  private readonly stack: DirFrame[] = [];
  private file: OpenFile | undefined;
  private state: "start" | "walk" | "done" = "start";

  constructor(
    private readonly root: string | Buffer,
    protected readonly chunkSize = DEFAULT_CHUNK_SIZE,
  ) {
    this.out = EMPTY;
  }

  /** The buffer the next chunk is written into. */
  protected allocate(): Buffer {
    return Buffer.allocUnsafe(this.chunkSize);
  }

  /** The next chunk of the archive (a fresh buffer the caller may keep), or undefined at the end. */
  next(): Buffer | undefined {
    if (this.state === "done") return undefined;
    if (this.out.length === 0) this.out = this.allocate();
    try {
      if (this.state === "start") {
        this.state = "walk";
        this.put(T_MAGIC);
        this.beginNode(typeof this.root === "string" ? Buffer.from(this.root) : this.root);
      }
      while (this.pos < this.chunkSize && this.state === "walk") this.step();
    } catch (err) {
      this.abort();
      throw err;
    }
    const chunk = this.out.subarray(0, this.pos);
    this.out = EMPTY;
    this.pos = 0;
    return chunk.length > 0 ? chunk : this.next();
  }

  /** Closes a file left open when the caller stops early. */
  abort(): void {
    if (this.file) {
      closeSync(this.file.fd);
      this.file = undefined;
    }
    this.state = "done";
  }

  private step(): void {
    if (this.file) {
      this.readFile(this.file);
      return;
    }
    const frame = this.stack[this.stack.length - 1];
    if (!frame) {
      this.state = "done";
      return;
    }
    if (frame.next < frame.names.length) {
      const index = frame.next++;
      const name = frame.names[index]!;
      this.put(T_ENTRY_NAME);
      this.putString(name);
      this.put(T_NODE);
      this.beginNode(Buffer.concat([frame.dir, SLASH, name]), frame.kinds[index]!);
      return;
    }
    this.stack.pop();
    this.put(T_CLOSE);
    this.endNode();
  }

  /** After a node's closing `)`: inside a directory, also close the `entry`. */
  protected endNode(): void {
    if (this.stack.length > 0) this.put(T_CLOSE);
    else this.state = "done";
  }

  /**
   * Whether a file readdir reports as regular may be opened and fstat'ed instead of
   * lstat'ed first (one path lookup fewer); subclasses that read small files
   * elsewhere say no.
   */
  protected openFilesDirectly(): boolean {
    return true;
  }

  /**
   * Starts the node at `path`. `kind` is readdir's word for it: a hint that saves the
   * lstat when it is still true (O_NOFOLLOW and the fstat check that it is); on any
   * surprise the node is examined from scratch with lstat.
   */
  private beginNode(path: Buffer, kind: Kind = Kind.Unknown): void {
    if (kind === Kind.File && this.openFilesDirectly() && this.beginOpenedFile(path)) return;
    if (kind === Kind.Directory && this.beginDirectory(path, true)) return;
    let st;
    try {
      st = lstatSync(path);
    } catch (err) {
      throw new SysError("getting status of", path, err);
    }
    if (st.isFile()) {
      this.put(T_REGULAR);
      if (st.mode & S_IXUSR) this.put(T_EXECUTABLE);
      this.put(T_CONTENTS);
      this.putU64(st.size);
      this.contents(path, st.size);
    } else if (st.isSymbolicLink()) {
      let target;
      try {
        target = readlinkSync(path, { encoding: "buffer" });
      } catch (err) {
        throw new SysError("reading symbolic link", path, err);
      }
      this.put(T_SYMLINK_TARGET);
      this.putString(target);
      this.put(T_CLOSE);
      this.endNode();
    } else if (st.isDirectory()) {
      this.beginDirectory(path, false);
    } else {
      throw new Error(`file '${path.toString()}' has an unsupported type`);
    }
  }

  /** Opens a file readdir called regular; false (and nothing written) if it is not one now. */
  private beginOpenedFile(path: Buffer): boolean {
    let fd;
    try {
      fd = openSync(path, OPEN_FILE_FLAGS);
    } catch {
      return false;
    }
    let st;
    try {
      st = fstatSync(fd);
    } catch (err) {
      closeSync(fd);
      throw new SysError("getting status of", path, err);
    }
    if (!st.isFile()) {
      closeSync(fd);
      return false;
    }
    this.put(T_REGULAR);
    if (st.mode & S_IXUSR) this.put(T_EXECUTABLE);
    this.put(T_CONTENTS);
    this.putU64(st.size);
    if (st.size === 0) {
      closeSync(fd);
      this.finishContents(0);
    } else {
      this.file = { path, fd, size: st.size, remaining: st.size };
      this.readFile(this.file);
    }
    return true;
  }

  /** Lists and starts a directory; with `optimistic`, false when `path` turned out not to be one. */
  private beginDirectory(path: Buffer, optimistic: boolean): boolean {
    let entries: Dirent[];
    try {
      entries = readdirSync(path, { encoding: "buffer", withFileTypes: true }) as unknown as Dirent[];
    } catch (err) {
      if (optimistic && (errnoCode(err) === "ENOTDIR" || errnoCode(err) === "ENOENT")) return false;
      throw new SysError("opening directory", path, err);
    }
    // CppNix orders entries by raw bytes (std::string comparison), never by locale.
    const named = entries.map((e) => ({ name: e.name as unknown as Buffer, kind: kindOf(e) }));
    named.sort((a, b) => compareBytes(a.name, b.name));
    this.put(T_DIRECTORY);
    this.stack.push({ dir: path, names: named.map((e) => e.name), kinds: named.map((e) => e.kind), next: 0 });
    return true;
  }

  /**
   * Writes a regular file's contents (its size is already written), then pads and
   * closes the node. Subclasses may defer the reading of small files.
   */
  protected contents(path: Buffer, size: number): void {
    if (size === 0) {
      this.finishContents(0);
      return;
    }
    let fd;
    try {
      fd = openSync(path, OPEN_FILE_FLAGS);
    } catch (err) {
      throw new SysError("opening file", path, err);
    }
    this.file = { path, fd, size, remaining: size };
    this.readFile(this.file);
  }

  /** Reads as much of the open file as fits in the current chunk, then pads and closes it. */
  private readFile(file: OpenFile): void {
    while (file.remaining > 0) {
      const room = this.out.length - this.pos;
      if (room === 0) return;
      const want = Math.min(room, file.remaining);
      let got;
      try {
        got = readSync(file.fd, this.out, this.pos, want, null);
      } catch (err) {
        throw new SysError("reading file", file.path, err);
      }
      if (got === 0) throw new Error(`file '${file.path.toString()}' changed size while it was being archived`);
      this.pos += got;
      file.remaining -= got;
    }
    this.file = undefined;
    closeSync(file.fd);
    this.finishContents(file.size);
  }

  /** After `size` bytes of contents: their padding and the end of the file node. */
  protected finishContents(size: number): void {
    this.putZeros(paddingOf(size));
    this.put(T_CLOSE);
    this.endNode();
  }

  protected reserve(n: number): void {
    if (this.pos + n <= this.out.length) return;
    // Tokens never split across chunks; a rare long token grows the buffer instead.
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + n));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }

  protected put(bytes: Buffer): void {
    this.reserve(bytes.length);
    bytes.copy(this.out, this.pos);
    this.pos += bytes.length;
  }

  protected putU64(n: number): void {
    this.reserve(8);
    this.out.writeUInt32LE(n >>> 0, this.pos);
    this.out.writeUInt32LE(Math.floor(n / 0x1_0000_0000), this.pos + 4);
    this.pos += 8;
  }

  protected putZeros(n: number): void {
    if (n === 0) return;
    this.reserve(n);
    this.out.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  protected putString(bytes: Buffer): void {
    this.putU64(bytes.length);
    this.put(bytes);
    this.putZeros(paddingOf(bytes.length));
  }
}

/** The NAR of `path` as a synchronous sequence of chunks. */
export function* dumpNarSync(path: string | Buffer, chunkSize = DEFAULT_CHUNK_SIZE): Generator<Buffer, void, undefined> {
  const dumper = new NarDumper(path, chunkSize);
  try {
    for (let chunk = dumper.next(); chunk; chunk = dumper.next()) yield chunk;
  } finally {
    dumper.abort();
  }
}

/** The NAR of `path` as an async sequence of chunks; lets other I/O run between chunks. */
export async function* dumpNar(path: string | Buffer, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<Buffer, void, undefined> {
  for (const chunk of dumpNarSync(path, chunkSize)) {
    yield chunk;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Writes the NAR of `path` to a stream, honouring back-pressure. */
export async function writeNar(path: string | Buffer, out: Writable): Promise<void> {
  for (const chunk of dumpNarSync(path)) {
    if (!out.write(chunk)) await once(out, "drain");
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `bytes` to a file descriptor, waiting out EAGAIN on a non-blocking one. */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      if (errnoCode(err) !== "EAGAIN") throw err;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}
