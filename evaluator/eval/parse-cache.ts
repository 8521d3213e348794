/**
 * An on-disk cache of parsed files for short-lived processes (`lading instantiate`).
 *
 * A fresh process runs the lexer and parser unoptimised: parsing what
 * nixpkgs lib's tests/systems.nix imports costs ~130 ms of CPU cold (~15 warm).
 * `v8.deserialize` is native C++, so it reads a stored tree at the same speed cold
 * or warm (about a third of a cold parse; a decoder written in JS would run
 * interpreted too). The tree is stored as the parser made it, before the scope pass
 * (which mutates it).
 *
 * An entry is used only when its header names this build of Lading, this node, the
 * same file path and $HOME (`./a` and `~/a` are made absolute at parse time), and
 * it holds a byte-for-byte copy of the current file text: a changed file is parsed
 * again, whatever its mtime says. Positions in the tree are global numbers (see
 * syntax/source.ts): the entry records the base it was parsed at and, when this
 * process registers the file at another base, they are shifted (a repeated command
 * gets the same bases and skips that walk).
 *
 * Any failure (no cache dir, unreadable, corrupt, truncated or foreign entry, full
 * disk) falls back to parsing; it is never an error for the user. Entries are written
 * to a temporary file and renamed, so a reader never sees half of one. Beyond 20000
 * entries the least recently written quarter is deleted (pruneParseCache).
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deserialize, serialize } from "node:v8";
import { addSource, parse, sourceOf, syntaxWarningCount, type Expr } from "../syntax/index.js";
import { relocateExpr } from "./parse-cache-relocate.js";

const MAGIC = "lading-parse-cache 1";
/**
 * Smaller files are parsed: a cold parse of 4 KB takes ~1.5 ms, while the first entry
 * read loads node:v8 (with stream, ~5 ms), which `-E` strings and one small file
 * would pay for nothing.
 */
const MIN_CACHED_BYTES = 4096;

/** The cache directory in use, or null when the cache is off (the default). */
let cacheDir: string | null = null;
let buildId: string | null | undefined;

/**
 * Where the cache lives: $XDG_CACHE_HOME/lading/parse, else ~/.cache/lading/parse.
 * Null when LADING_PARSE_CACHE is `0`/`off`/`false`/`no` or no home is known.
 */
export function defaultParseCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (/^(0|off|false|no)$/i.test(env.LADING_PARSE_CACHE ?? "")) return null;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg.startsWith("/")) return join(xdg, "lading", "parse");
  const home = env.HOME || safeHomedir();
  return home ? join(home, ".cache", "lading", "parse") : null;
}

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return "";
  }
}

/** Turns the cache on (in `dir`) or off (null). The CLI turns it on; library users keep the in-memory cache only. */
export function setParseCacheDir(dir: string | null): void {
  cacheDir = dir;
}

export function parseCacheDir(): string | null {
  return cacheDir;
}

/** Set by the bundle builds (scripts/build-instantiate.mjs): a hash of the parser's compiled code. */
declare const __LADING_PARSER_BUILD_ID__: string | undefined;

/**
 * Identifies the code that made a tree, or null when it cannot (then nothing is
 * cached): in a bundle the build's hash of the parser's code; in tsc's output the
 * size and mtime of the parser's files. Plus node's V8 (serialisation format).
 */
function currentBuildId(): string | null {
  if (buildId !== undefined) return buildId;
  let id: string | null;
  if (typeof __LADING_PARSER_BUILD_ID__ === "string") id = __LADING_PARSER_BUILD_ID__;
  else {
    const stamps = ["./parse-cache.js", "./parse-cache-relocate.js", "../syntax/parser.js", "../syntax/lexer.js", "../syntax/paths.js", "../syntax/parse.js"].map((rel) => {
      try {
        const st = statSync(fileURLToPath(new URL(rel, import.meta.url)));
        return `${st.size}.${Math.trunc(st.mtimeMs)}`;
      } catch {
        return null;
      }
    });
    id = stamps.includes(null) ? null : `tsc.${stamps.join(".")}`;
  }
  buildId = id === null ? null : `${process.versions.v8}/${id}`.replace(/\s/g, "_");
  return buildId;
}

/**
 * A short file name for a path and build (FNV-1a, 32 bits, twice); entries are
 * verified in full, so a clash only costs a re-parse. The build is part of the name:
 * two builds of Lading in use on one machine (an upgrade in progress, several
 * checkouts) would otherwise overwrite each other's entry for every file they share,
 * and each would parse everything every time.
 */
function entryName(key: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return `${(h1 >>> 0).toString(16).padStart(8, "0")}${(h2 >>> 0).toString(16).padStart(8, "0")}.tree`;
}

/** The header line of an entry; `path` and `text` follow it, then V8's serialisation of the tree. */
function header(path: string, text: string, base: number, build: string): string {
  return `${MAGIC} ${build} ${process.env.HOME ?? ""} ${base} ${path.length} ${text.length}\n`.replace(/\n(?!$)/g, " ");
}

/** The directory exists (made now if needed), is ours, and only we can write to it. */
function usableDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

let dirChecked: string | null = null;

/**
 * Parses file `path` whose text is `text` (read by the caller) as `parse(text, path)`
 * does, through the on-disk cache when it is on.
 */
export function parseFileCached(text: string, path: string): Expr {
  const dir = cacheDir;
  if (dir === null || text.length < MIN_CACHED_BYTES) return parse(text, path);
  const build = currentBuildId();
  if (build === null) return parse(text, path);
  const file = join(dir, entryName(`${build}\n${path}`));
  const hit = readEntry(file, path, text, build);
  if (hit !== undefined) return hit;
  const warningsBefore = syntaxWarningCount();
  const expr = parse(text, path);
  // A parse that warned is not cached: a cached copy would not warn again.
  if (syntaxWarningCount() !== warningsBefore) return expr;
  // parse() registered one source, the last one: positions are numbered from its base.
  const source = sourceOf(Number.MAX_SAFE_INTEGER);
  if (source !== undefined && source.path === path) writeEntry(dir, file, path, text, source.base, expr, build);
  return expr;
}

function readEntry(file: string, path: string, text: string, build: string): Expr | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    const newline = data.indexOf(10);
    if (newline < 0 || newline > 4096) return undefined;
    const head = data.toString("latin1", 0, newline + 1);
    const fields = head.slice(0, -1).split(" ");
    const storedBase = Number(fields[fields.length - 3]);
    if (!Number.isSafeInteger(storedBase) || storedBase <= 0 || head !== header(path, text, storedBase, build)) return undefined;
    const pathEnd = newline + 1 + path.length;
    const textEnd = pathEnd + text.length;
    if (textEnd >= data.length || data.toString("latin1", newline + 1, pathEnd) !== path || data.toString("latin1", pathEnd, textEnd) !== text) return undefined;
    const expr = deserialize(data.subarray(textEnd)) as Expr;
    if (typeof expr !== "object" || expr === null || typeof expr.kind !== "string") return undefined;
    // Registered as parse() registers it, so positions resolve against this text.
    const source = addSource(path, text, "file");
    if (source.base !== storedBase) relocateExpr(expr, source.base - storedBase);
    return expr;
  } catch {
    return undefined; // corrupt or truncated: parsed (and rewritten) by the caller
  }
}

/** Entries kept; beyond that the oldest written quarter goes (checked on about one write in 64). */
const MAX_ENTRIES = 20000;

/**
 * Bounds the cache (one entry per path, so checkouts at new paths add entries
 * forever): when `dir` holds more than `max` entries, the least recently written
 * quarter of them is deleted. Returns how many were.
 */
export function pruneParseCache(dir: string, max: number = MAX_ENTRIES): number {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".tree"));
  } catch {
    return 0;
  }
  if (names.length <= max) return 0;
  const dated: [string, number][] = [];
  for (const n of names) {
    try {
      dated.push([n, statSync(join(dir, n)).mtimeMs]);
    } catch {
      // gone meanwhile
    }
  }
  dated.sort((a, b) => a[1] - b[1]);
  let removed = 0;
  for (const [n] of dated.slice(0, Math.ceil(dated.length / 4))) {
    try {
      unlinkSync(join(dir, n));
      removed++;
    } catch {
      // another process removed it
    }
  }
  return removed;
}

function writeEntry(dir: string, file: string, path: string, text: string, base: number, expr: Expr, build: string): void {
  if (dirChecked !== dir) {
    if (!usableDir(dir)) return;
    dirChecked = dir;
  }
  let tmp: string | undefined;
  let fd: number | undefined;
  try {
    const body = serialize(expr);
    tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fd = openSync(tmp, "wx", 0o600);
    for (const part of [Buffer.from(header(path, text, base, build) + path + text, "latin1"), body]) {
      let done = 0;
      while (done < part.length) done += writeSync(fd, part, done);
    }
    if (fstatSync(fd).size !== 0) {
      closeSync(fd);
      fd = undefined;
      renameSync(tmp, file);
      tmp = undefined;
      if (Math.random() < 1 / 64) pruneParseCache(dir);
    }
  } catch {
    // not cached this time
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (tmp !== undefined) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
    }
  }
}
