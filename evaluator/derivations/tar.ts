/**
 * A small tar reader for fetchTarball and fetchGit (`git archive`): ustar, pax
 * (`path`, `linkpath`) and GNU long names; regular files, directories, symlinks and
 * hard links are extracted into a directory. Only the owner's x bit matters to the
 * NAR, so other permission bits are normalised.
 */
import { gunzipSync } from "node:zlib";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { EvalError } from "../eval/index.js";

/**
 * xz, bzip2 and zstd by their programs: evaluation is synchronous, Node's zlib has
 * none of them, and the only xz binding (node-liblzma, ESM-only) would cost every
 * evaluation its start-up to load.
 */
function decompressWith(program: string, data: Buffer, what: string): Buffer {
  const r = spawnSync(program, ["-dc"], { input: data, maxBuffer: 2 ** 31 - 1 });
  if (r.error) throw new EvalError(`unpacking '${what}': cannot run ${program} (${r.error.message})`);
  if (r.status !== 0) throw new EvalError(`unpacking '${what}': ${r.stderr.toString("latin1").trim()}`);
  return r.stdout;
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** Decompresses gzip, xz, bzip2 or zstd by magic number (as libarchive does); anything else is returned as it is. */
export function decompressArchive(data: Buffer, what: string): Buffer {
  if (data[0] === 0x1f && data[1] === 0x8b) return gunzipSync(data);
  if (data.subarray(0, 6).equals(XZ_MAGIC)) return decompressWith("xz", data, what);
  if (data.subarray(0, 3).toString("latin1") === "BZh") return decompressWith("bzip2", data, what);
  if (data.subarray(0, 4).equals(ZSTD_MAGIC)) return decompressWith("zstd", data, what);
  return data;
}

function field(block: Buffer, offset: number, length: number): Buffer {
  const raw = block.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return nul < 0 ? raw : raw.subarray(0, nul);
}

function octal(block: Buffer, offset: number, length: number): number {
  const text = field(block, offset, length).toString("latin1").trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** pax records: `<len> <key>=<value>\n`. */
function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.subarray(pos, space).toString("latin1"), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq >= 0) out.set(record.subarray(0, eq).toString("latin1"), record.subarray(eq + 1));
    pos += len;
  }
  return out;
}

/** Rejects absolute names and `..` so nothing is written outside `dest`. */
export function safeJoin(dest: Buffer, name: Buffer): Buffer | null {
  const parts = name.toString("latin1").split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0) return null;
  if (parts.includes("..")) throw new EvalError(`archive member '${name.toString("latin1")}' leaves the extraction directory`);
  return Buffer.concat([dest, Buffer.from("/" + parts.join("/"), "latin1")]);
}

/** Extracts a (decompressed) tar archive into the existing directory `dest`. */
export function extractTar(tar: Buffer, destPath: string): void {
  const dest = Buffer.from(destPath, "latin1");
  let pos = 0;
  let longName: Buffer | null = null;
  let longLink: Buffer | null = null;
  let pax = new Map<string, Buffer>();
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const data = tar.subarray(pos + 512, pos + 512 + size);
    pos += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      pax = parsePax(data);
      continue;
    }
    if (type === "g") continue;
    if (type === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === "K") {
      longLink = field(data, 0, data.length);
      continue;
    }
    let name = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    if (header.subarray(257, 262).toString("latin1") === "ustar" && prefix.length > 0) name = Buffer.concat([prefix, Buffer.from("/"), name]);
    name = pax.get("path") ?? longName ?? name;
    const link = pax.get("linkpath") ?? longLink ?? field(header, 157, 100);
    longName = longLink = null;
    pax = new Map();
    const target = safeJoin(dest, name);
    if (target === null) continue;
    const mode = octal(header, 100, 8);
    const parent = target.subarray(0, target.lastIndexOf(0x2f));
    mkdirSync(parent, { recursive: true });
    if (type === "5") mkdirSync(target, { recursive: true });
    else if (type === "2") symlinkSync(link, target);
    else if (type === "1") {
      const from = safeJoin(dest, link);
      if (from !== null) copyFileSync(from, target);
    } else if (type === "0" || type === "\0" || type === "7") {
      writeFileSync(target, data, { mode: mode & 0o100 ? 0o755 : 0o644 });
    }
  }
}
