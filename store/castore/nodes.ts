import { DIGEST_SIZE, blake3Hex, type Digest } from "./digest.js";

/**
 * What one name in a store path is, as the castore records it. A file up to
 * SINGLE_BLOB_MAX bytes is named by the BLAKE3 digest of its contents (one blob); a
 * larger one by the BLAKE3 digest of its chunk list (`encodeChunkList`), which names
 * its chunks. A directory is named by the BLAKE3 digest of its encoding
 * (`encodeDirectory`). So a whole tree is a Merkle tree of digests, every object
 * checkable on its own.
 */
export type CasNode = CasFile | CasSymlink | CasDirectory;

export interface CasFile {
  readonly kind: "file";
  readonly executable: boolean;
  readonly size: number;
  /** For an inline file, computed from `contents` when first read. */
  readonly digest: Digest;
  /**
   * Set for a small file kept inside its directory node (ingestion with `inlineMax`):
   * no blob of its own, so no object to create, fetch or collect. Read contents with
   * `fileContents`, which handles both.
   */
  readonly contents?: Buffer;
}

/** The largest file a directory node may hold inline. */
export const INLINE_LIMIT = 16 << 10;

/** A file node whose contents live in its directory node. */
export function inlineFile(executable: boolean, contents: Buffer): CasFile {
  let digest: Digest | undefined;
  return {
    kind: "file",
    executable,
    size: contents.length,
    contents,
    get digest() {
      return (digest ??= blake3Hex(contents));
    },
  };
}

export interface CasSymlink {
  readonly kind: "symlink";
  readonly target: Buffer;
}

export interface CasDirectory {
  readonly kind: "directory";
  /** Bytes of this directory's node in a NAR (so a NAR's size is known without reading it). */
  readonly size: number;
  readonly digest: Digest;
}

export interface CasEntry {
  readonly name: Buffer;
  readonly node: CasNode;
}

export class CastoreFormatError extends Error {
  override name = "CastoreFormatError";
}

/*
 * Directory encoding, version 1 (all integers little-endian):
 *
 *   magic      4 bytes  "LCD1"
 *   count      u32      number of entries
 *   entries, sorted by name as raw bytes, names unique:
 *     kind     u8       1 regular file, 2 executable file, 3 symlink, 4 directory,
 *                       5 inline regular file, 6 inline executable file
 *     nameLen  u32      1..4096; the name: no "/" or NUL, not "." or ".."
 *     name     nameLen bytes
 *     file:      size u64, digest 32 bytes (BLAKE3 of the contents, or of the chunk list)
 *     symlink:   targetLen u32 (1..4096), target bytes (no NUL)
 *     directory: size u64 (the NAR size of its node), digest 32 bytes (BLAKE3 of its encoding)
 *     inline:    size u32 (0..INLINE_LIMIT), the contents
 *
 * There is exactly one encoding of each directory: the decoder rejects anything
 * `encodeDirectory` would not write, so the digest names the tree, not a spelling.
 */
const MAGIC = Buffer.from("LCD1");
const KIND_FILE = 1;
const KIND_EXECUTABLE = 2;
const KIND_SYMLINK = 3;
const KIND_DIRECTORY = 4;
const KIND_INLINE = 5;
const KIND_INLINE_EXECUTABLE = 6;
const MAX_NAME = 4096;
const MAX_TARGET = 4096;
const MAX_SIZE = Number.MAX_SAFE_INTEGER;

export function checkEntryName(name: Buffer): void {
  const bad =
    name.length === 0 ||
    name.length > MAX_NAME ||
    (name.length === 1 && name[0] === 0x2e) ||
    (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) ||
    name.includes(0x2f) ||
    name.includes(0);
  if (bad) throw new CastoreFormatError(`invalid entry name '${name.toString("latin1")}'`);
}

function checkTarget(target: Buffer): void {
  if (target.length === 0 || target.length > MAX_TARGET || target.includes(0)) {
    throw new CastoreFormatError("invalid symlink target");
  }
}

function encodedLength(entries: readonly CasEntry[]): number {
  let length = MAGIC.length + 4;
  for (const { name, node } of entries) {
    length += 1 + 4 + name.length;
    if (node.kind === "file" && node.contents) length += 4 + node.contents.length;
    else length += node.kind === "symlink" ? 4 + node.target.length : 8 + DIGEST_SIZE;
  }
  return length;
}

/** The canonical encoding of a directory; `entries` must be sorted by name bytes. */
export function encodeDirectory(entries: readonly CasEntry[]): Buffer {
  const out = Buffer.allocUnsafe(encodedLength(entries));
  let pos = MAGIC.copy(out, 0);
  pos = out.writeUInt32LE(entries.length, pos);
  let previous: Buffer | undefined;
  for (const { name, node } of entries) {
    checkEntryName(name);
    if (previous && Buffer.compare(previous, name) >= 0) throw new CastoreFormatError("directory entries must be sorted and unique");
    previous = name;
    const inline = node.kind === "file" ? node.contents : undefined;
    const kind =
      node.kind === "file"
        ? inline
          ? node.executable
            ? KIND_INLINE_EXECUTABLE
            : KIND_INLINE
          : node.executable
            ? KIND_EXECUTABLE
            : KIND_FILE
        : node.kind === "symlink"
          ? KIND_SYMLINK
          : KIND_DIRECTORY;
    out[pos++] = kind;
    pos = out.writeUInt32LE(name.length, pos);
    pos += name.copy(out, pos);
    if (inline) {
      if (inline.length > INLINE_LIMIT || inline.length !== (node as CasFile).size) throw new CastoreFormatError("invalid inline file");
      pos = out.writeUInt32LE(inline.length, pos);
      pos += inline.copy(out, pos);
    } else if (node.kind === "symlink") {
      checkTarget(node.target);
      pos = out.writeUInt32LE(node.target.length, pos);
      pos += node.target.copy(out, pos);
    } else {
      if (!Number.isSafeInteger(node.size) || node.size < 0) throw new CastoreFormatError("invalid size");
      pos = out.writeUInt32LE(node.size >>> 0, pos);
      pos = out.writeUInt32LE(Math.floor(node.size / 0x1_0000_0000), pos);
      const written = out.write(node.digest, pos, "hex");
      if (written !== DIGEST_SIZE) throw new CastoreFormatError("invalid digest");
      pos += written;
    }
  }
  return out;
}

/** Decodes a directory, strictly (see the format above). */
export function decodeDirectory(bytes: Buffer): CasEntry[] {
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new CastoreFormatError("truncated directory");
  };
  need(8);
  if (!bytes.subarray(0, 4).equals(MAGIC)) throw new CastoreFormatError("not a castore directory");
  const count = bytes.readUInt32LE(4);
  pos = 8;
  const entries: CasEntry[] = [];
  let previous: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    need(5);
    const kind = bytes[pos++]!;
    const nameLength = bytes.readUInt32LE(pos);
    pos += 4;
    need(nameLength);
    const name = bytes.subarray(pos, pos + nameLength);
    pos += nameLength;
    checkEntryName(name);
    if (previous && Buffer.compare(previous, name) >= 0) throw new CastoreFormatError("directory entries must be sorted and unique");
    previous = name;
    if (kind === KIND_SYMLINK) {
      need(4);
      const length = bytes.readUInt32LE(pos);
      pos += 4;
      need(length);
      const target = Buffer.from(bytes.subarray(pos, pos + length));
      pos += length;
      checkTarget(target);
      entries.push({ name, node: { kind: "symlink", target } });
      continue;
    }
    if (kind === KIND_INLINE || kind === KIND_INLINE_EXECUTABLE) {
      need(4);
      const size = bytes.readUInt32LE(pos);
      pos += 4;
      if (size > INLINE_LIMIT) throw new CastoreFormatError("inline file too large");
      need(size);
      // A view, not a copy: the directory's bytes stay alive as long as a node does.
      entries.push({ name, node: inlineFile(kind === KIND_INLINE_EXECUTABLE, bytes.subarray(pos, pos + size)) });
      pos += size;
      continue;
    }
    need(8 + DIGEST_SIZE);
    const size = bytes.readUInt32LE(pos) + bytes.readUInt32LE(pos + 4) * 0x1_0000_0000;
    if (size > MAX_SIZE) throw new CastoreFormatError("invalid size");
    const digest = bytes.toString("hex", pos + 8, pos + 8 + DIGEST_SIZE);
    pos += 8 + DIGEST_SIZE;
    if (kind === KIND_FILE || kind === KIND_EXECUTABLE) {
      entries.push({ name, node: { kind: "file", executable: kind === KIND_EXECUTABLE, size, digest } });
    } else if (kind === KIND_DIRECTORY) {
      entries.push({ name, node: { kind: "directory", size, digest } });
    } else {
      throw new CastoreFormatError(`unknown entry kind ${kind}`);
    }
  }
  if (pos !== bytes.length) throw new CastoreFormatError("trailing bytes after directory");
  return entries;
}

/** A directory node for `entries` (sorted), with its encoding to store. */
export function directoryNode(entries: readonly CasEntry[]): { node: CasDirectory; encoding: Buffer } {
  const encoding = encodeDirectory(entries);
  return { node: { kind: "directory", size: narDirectorySize(entries), digest: blake3Hex(encoding) }, encoding };
}

// NAR sizes: every token is a u64 length, the bytes and padding to 8.
const str = (length: number) => 8 + length + ((8 - (length % 8)) % 8);
const FILE_OVERHEAD = str(1) + str(4) + str(7) + str(8) + 8 + str(1); // ( type regular contents <size> … )
const EXECUTABLE_OVERHEAD = str(10) + str(0);
const SYMLINK_OVERHEAD = str(1) + str(4) + str(7) + str(6) + str(1); // ( type symlink target … )
const DIRECTORY_OVERHEAD = str(1) + str(4) + str(9) + str(1); // ( type directory … )
const ENTRY_OVERHEAD = str(5) + str(1) + str(4) + str(4) + str(1); // entry ( name … node … )

/** Bytes of `node`'s serialisation inside a NAR. */
export function narNodeSize(node: CasNode): number {
  switch (node.kind) {
    case "file":
      return FILE_OVERHEAD + (node.executable ? EXECUTABLE_OVERHEAD : 0) + node.size + ((8 - (node.size % 8)) % 8);
    case "symlink":
      return SYMLINK_OVERHEAD + str(node.target.length);
    case "directory":
      return node.size;
  }
}

function narDirectorySize(entries: readonly CasEntry[]): number {
  let size = DIRECTORY_OVERHEAD;
  for (const { name, node } of entries) size += ENTRY_OVERHEAD + str(name.length) + narNodeSize(node);
  return size;
}

/** Bytes of a whole NAR whose root is `root`. */
export function narSizeOf(root: CasNode): number {
  return str(13) + narNodeSize(root);
}
