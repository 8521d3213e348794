/**
 * A small zip reader for fetchTarball, which CppNix unpacks with libarchive and so
 * accepts zip files (e.g. GitHub's `/archive/<rev>.zip`) as well as tarballs.
 * Entries are found through the central directory; stored and deflated members
 * are extracted, directories made, Unix symlinks recreated, and only the owner's
 * x bit is kept (all the NAR records).
 */
import { inflateRawSync } from "node:zlib";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { EvalError } from "../eval/index.js";
import { safeJoin } from "./tar.js";

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIR = 0x06054b50;
const HOST_UNIX = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/** True when `data` starts like a zip file (a member, or the end record of an empty one). */
export function isZip(data: Buffer): boolean {
  if (data.length < 4) return false;
  const magic = data.readUInt32LE(0);
  return magic === LOCAL_HEADER || magic === END_OF_CENTRAL_DIR;
}

/** The end-of-central-directory record: searched backwards, past a comment of up to 64 KiB. */
function findEnd(data: Buffer, what: string): number {
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === END_OF_CENTRAL_DIR) return i;
  }
  throw new EvalError(`unpacking '${what}': not a valid zip file (no end of central directory)`);
}

function memberData(data: Buffer, method: number, localOffset: number, compressedSize: number, name: string, what: string): Buffer {
  if (data.readUInt32LE(localOffset) !== LOCAL_HEADER) throw new EvalError(`unpacking '${what}': bad local header for '${name}'`);
  const start = localOffset + 30 + data.readUInt16LE(localOffset + 26) + data.readUInt16LE(localOffset + 28);
  const raw = data.subarray(start, start + compressedSize);
  if (method === 0) return raw;
  if (method === 8) return inflateRawSync(raw);
  throw new EvalError(`unpacking '${what}': member '${name}' uses unsupported compression method ${method}`);
}

/** Extracts a zip archive into the existing directory `destPath`. */
export function extractZip(data: Buffer, destPath: string, what: string): void {
  const dest = Buffer.from(destPath, "latin1");
  const end = findEnd(data, what);
  const count = data.readUInt16LE(end + 10);
  let pos = data.readUInt32LE(end + 16);
  if (count === 0xffff || pos === 0xffffffff) throw new EvalError(`unpacking '${what}': zip64 archives are not supported`);
  for (let i = 0; i < count; i++) {
    if (data.readUInt32LE(pos) !== CENTRAL_HEADER) throw new EvalError(`unpacking '${what}': bad zip central directory`);
    const host = data[pos + 5]!;
    const flags = data.readUInt16LE(pos + 8);
    const method = data.readUInt16LE(pos + 10);
    const compressedSize = data.readUInt32LE(pos + 20);
    const nameLength = data.readUInt16LE(pos + 28);
    const extraLength = data.readUInt16LE(pos + 30);
    const commentLength = data.readUInt16LE(pos + 32);
    const mode = host === HOST_UNIX ? data.readUInt32LE(pos + 38) >>> 16 : 0;
    const localOffset = data.readUInt32LE(pos + 42);
    const nameBytes = data.subarray(pos + 46, pos + 46 + nameLength);
    pos += 46 + nameLength + extraLength + commentLength;
    const name = nameBytes.toString("latin1");
    if (flags & 1) throw new EvalError(`unpacking '${what}': member '${name}' is encrypted`);
    const target = safeJoin(dest, nameBytes);
    if (target === null) continue;
    mkdirSync(target.subarray(0, target.lastIndexOf(0x2f)), { recursive: true });
    if (name.endsWith("/") || (mode & S_IFMT) === S_IFDIR) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    const contents = memberData(data, method, localOffset, compressedSize, name, what);
    if ((mode & S_IFMT) === S_IFLNK) symlinkSync(contents, target);
    else writeFileSync(target, contents, { mode: mode & 0o100 ? 0o755 : 0o644 });
  }
}
