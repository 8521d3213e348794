/**
 * The sha256 of a file-system tree's NAR with a path filter applied, as CppNix's
 * dumpPath(path, sink, filter): the filter sees every entry below the root (never
 * the root itself) with its full path and type; a rejected directory drops its
 * whole subtree. Without a filter the store's streaming dumper is used instead.
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { HashSink, errnoText, narHashAndSize, type Hash } from "../../store/index.js";
import { EvalError } from "../eval/index.js";

/** Called with the entry's path (a Nix byte string) and `regular`/`directory`/`symlink`/`unknown`. */
export type PathFilter = (path: string, type: string) => boolean;

function token(sink: HashSink, bytes: Uint8Array | string): void {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  const len = Buffer.alloc(8);
  len.writeUInt32LE(b.length, 0);
  len.writeUInt32LE(Math.floor(b.length / 2 ** 32), 4);
  sink.update(len);
  sink.update(b);
  const pad = (8 - (b.length % 8)) % 8;
  if (pad > 0) sink.update(Buffer.alloc(pad));
}

function fileType(mode: number): string {
  const t = mode & 0o170000;
  if (t === 0o100000) return "regular";
  if (t === 0o040000) return "directory";
  if (t === 0o120000) return "symlink";
  return "unknown";
}

function statOf(path: Buffer): ReturnType<typeof lstatSync> & object {
  try {
    return lstatSync(path)!;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EvalError(`getting status of '${path.toString("latin1")}': ${errnoText(code) ?? String(code)}`);
  }
}

function dump(sink: HashSink, path: Buffer, filter: PathFilter): void {
  const st = statOf(path);
  token(sink, "(");
  const type = fileType(Number(st.mode));
  if (type === "regular") {
    token(sink, "type");
    token(sink, "regular");
    if ((Number(st.mode) & 0o100) !== 0) {
      token(sink, "executable");
      token(sink, "");
    }
    token(sink, "contents");
    token(sink, readFileSync(path));
  } else if (type === "directory") {
    token(sink, "type");
    token(sink, "directory");
    const names = readdirSync(path, { encoding: "buffer" }).sort(Buffer.compare);
    for (const name of names) {
      const child = Buffer.concat([path, Buffer.from("/"), name]);
      if (!filter(child.toString("latin1"), fileType(Number(statOf(child).mode)))) continue;
      token(sink, "entry");
      token(sink, "(");
      token(sink, "name");
      token(sink, name);
      token(sink, "node");
      dump(sink, child, filter);
      token(sink, ")");
    }
  } else if (type === "symlink") {
    token(sink, "type");
    token(sink, "symlink");
    token(sink, "target");
    token(sink, readlinkSync(path, { encoding: "buffer" }));
  } else {
    throw new EvalError(`file '${path.toString("latin1")}' has an unsupported type`);
  }
  token(sink, ")");
}

/** sha256 of the NAR of `path` (a Nix byte string), keeping only what `filter` accepts. */
export function narHashFiltered(path: string, filter: PathFilter | undefined): Hash {
  const fsPath = Buffer.from(path, "latin1");
  if (filter === undefined) {
    statOf(fsPath);
    return narHashAndSize(fsPath).hash;
  }
  const sink = new HashSink("sha256");
  token(sink, "nix-archive-1");
  dump(sink, fsPath, filter);
  return sink.finish();
}

/** sha256 of a regular file's bytes (flat ingestion). */
export function flatFileHash(path: string, algo: "sha256" | "sha1" | "md5" | "sha512" = "sha256"): Hash {
  const fsPath = Buffer.from(path, "latin1");
  let bytes: Buffer;
  try {
    bytes = readFileSync(fsPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EvalError(`opening file '${path}': ${errnoText(code) ?? String(code)}`);
  }
  const sink = new HashSink(algo);
  sink.update(bytes);
  return sink.finish();
}
