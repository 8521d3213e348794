/**
 * POSIX ustar headers with PAX extended headers, written from the POSIX pax
 * specification. Every field that could vary between machines is fixed by the
 * caller (uid/gid 0, empty user and group names, the given mtime).
 */

export const BLOCK_SIZE = 512;
const NAME_FIELD = 100;
/** 11 octal digits: the largest size a ustar header holds. */
const MAX_OCTAL_SIZE = 0o77777777777;

export const TYPE_FILE = 0x30; // '0'
export const TYPE_SYMLINK = 0x32; // '2'
export const TYPE_DIRECTORY = 0x35; // '5'
const TYPE_PAX = 0x78; // 'x'

export interface HeaderFields {
  /** Path bytes as stored (directories end in `/`). */
  path: Buffer;
  type: number;
  mode: number;
  size: number;
  mtime: number;
  linkTarget?: Buffer;
}

/** The header blocks (a PAX header and its data first when needed) for one entry. */
export function encodeHeader(fields: HeaderFields): Buffer[] {
  const records: Buffer[] = [];
  if (needsPax(fields.path)) records.push(paxRecord("path", fields.path));
  if (fields.linkTarget && needsPax(fields.linkTarget)) records.push(paxRecord("linkpath", fields.linkTarget));
  if (fields.size > MAX_OCTAL_SIZE) records.push(paxRecord("size", Buffer.from(String(fields.size))));
  const blocks: Buffer[] = [];
  if (records.length > 0) {
    const data = Buffer.concat(records);
    blocks.push(
      ustarBlock({ path: paxHeaderName(fields.path), type: TYPE_PAX, mode: 0o644, size: data.length, mtime: fields.mtime }),
      data,
      padding(data.length),
    );
  }
  blocks.push(ustarBlock(fields));
  return blocks;
}

/** Zero bytes that bring `size` to a multiple of the block size. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? EMPTY : Buffer.alloc(BLOCK_SIZE - rest);
}

const EMPTY = Buffer.alloc(0);

/** Names that ustar cannot hold verbatim: longer than its field, or not plain printable ASCII. */
function needsPax(bytes: Buffer): boolean {
  if (bytes.length > NAME_FIELD) return true;
  for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return true;
  return false;
}

/** `"<length> <key>=<value>\n"` where length counts the whole record including its own digits. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = 1 + key.length + 1 + value.length + 1;
  let length = rest + String(rest).length;
  if (String(length).length !== String(rest).length) length++;
  return Buffer.concat([Buffer.from(`${length} ${key}=`), value, Buffer.from("\n")]);
}

/** A stable name for the PAX header entry (readers that ignore PAX see it as a file). */
function paxHeaderName(path: Buffer): Buffer {
  const trimmed = path[path.length - 1] === 0x2f ? path.subarray(0, -1) : path;
  const base = trimmed.subarray(trimmed.lastIndexOf(0x2f) + 1);
  return Buffer.concat([Buffer.from("PaxHeaders/"), asciiFallback(base, NAME_FIELD - 11)]);
}

/** What ustar-only readers see instead of a PAX name: non-ASCII bytes as `_`, cut to fit. */
function asciiFallback(bytes: Buffer, limit: number): Buffer {
  const out = Buffer.from(bytes.subarray(0, limit));
  for (let i = 0; i < out.length; i++) if (out[i]! < 0x20 || out[i]! > 0x7e) out[i] = 0x5f;
  return out;
}

function ustarBlock(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  asciiFallback(fields.path, NAME_FIELD).copy(block, 0);
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, Math.min(fields.size, MAX_OCTAL_SIZE));
  writeOctal(block, 136, 12, fields.mtime);
  block[156] = fields.type;
  if (fields.linkTarget) asciiFallback(fields.linkTarget, NAME_FIELD).copy(block, 157);
  block.write("ustar\x0000", 257, "latin1");
  // uname and gname stay empty.
  writeOctal(block, 329, 8, 0); // devmajor
  writeOctal(block, 337, 8, 0); // devminor
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeOctal(block, 148, 7, sum); // six digits, NUL; the space after stays
  return block;
}

/** Zero-padded octal digits filling `width - 1` bytes, then NUL. */
function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(value.toString(8).padStart(width - 1, "0"), offset, width - 1, "latin1");
  block[offset + width - 1] = 0;
}
