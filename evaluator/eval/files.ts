/**
 * Parsing and evaluating files and strings: `import` with its per-state cache,
 * `scopedImport`, `-E` strings, and search-path lookup (`<nixpkgs/lib>`).
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { parse } from "../syntax/parse.js";
import { absPath, canonPath, dirOf } from "../syntax/paths.js";
import type { Expr } from "../syntax/ast.js";
import { Env, NixAttrs, toFsPath, type Lazy, type Value } from "./value.js";
import { EvalError, ThrownError } from "./errors.js";
import { evalExpr, force } from "./interpreter.js";
import { bindVars, recordSymbols, replaySymbols, StaticScope } from "./scope.js";
import { evalState, type SearchPathEntry } from "./state.js";
import { baseScope, initGlobals } from "./globals.js";
import { parseFileCached } from "./parse-cache.js";

/** CppNix's resolveExprPath: follows symlinks, a directory means its default.nix. */
export function resolveExprPath(path: string): string {
  let p = path;
  for (let i = 0; i < 1024; i++) {
    let st;
    try {
      st = lstatSync(toFsPath(p));
    } catch {
      throw new EvalError(`getting status of '${p}': No such file or directory`);
    }
    if (!st.isSymbolicLink()) break;
    p = absPath(Buffer.from(readlinkSync(toFsPath(p), { encoding: "buffer" })).toString("latin1"), dirOf(p));
  }
  try {
    if (statSync(toFsPath(p)).isDirectory()) p = canonPath(p + "/default.nix");
  } catch {
    // reported when the file is read
  }
  return p;
}

function readSource(path: string): string {
  try {
    return readFileSync(toFsPath(path), "latin1");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "No such file or directory" : code === "EISDIR" ? "Is a directory" : String(code);
    throw new EvalError(`opening file '${path}': ${why}`);
  }
}

/**
 * Parsed, scope-resolved (and, once evaluated, compiled) files shared by all
 * EvalStates of the process, so a long-running server does not parse and compile
 * its package set again for every evaluation. An entry is used only while the
 * file's size, mtime and inode are unchanged and the global scope is the same;
 * the least recently used entries go beyond CACHE_BYTES of source text.
 */
interface ParsedFile {
  readonly scopeKey: string;
  readonly stamp: string;
  readonly expr: Expr;
  /** Names met by bindVars, replayed for the symbol order of a new state. */
  readonly symbols: readonly (string | number)[];
  readonly bytes: number;
}

const parsedFiles = new Map<string, ParsedFile>();
let parsedBytes = 0;
const CACHE_BYTES = 32 << 20;

/**
 * Forgets the files parsed so far (by every state), so the next evaluations parse,
 * scope-resolve and compile them again: for measuring evaluation with parsing, as
 * a CppNix process does it (bench/eval's "warm+parse" column).
 */
export function dropParsedFiles(): void {
  parsedFiles.clear();
  parsedBytes = 0;
}

function fileStamp(path: string): string | null {
  try {
    const st = statSync(toFsPath(path));
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return null;
  }
}

const scopeKeys = new WeakMap<object, string>();

/** Identifies the global scope's names and slots (the same for every state unless builtins change). */
function scopeKeyOf(state: ReturnType<typeof evalState>): string {
  let k = scopeKeys.get(state);
  if (k === undefined) {
    k = [...state.globalNames.keys()].join(" ");
    scopeKeys.set(state, k);
  }
  return k;
}

/** Parses and scope-resolves a file against the global scope (cached per state and across states). */
export function parseFile(resolved: string, scope?: StaticScope): Expr {
  const state = evalState();
  if (scope === undefined) {
    const cached = state.fileParseCache.get(resolved);
    if (cached !== undefined) return cached;
    const base = baseScope(state);
    const stamp = fileStamp(resolved);
    const key = scopeKeyOf(state);
    const shared = parsedFiles.get(resolved);
    if (shared !== undefined && stamp !== null && shared.stamp === stamp && shared.scopeKey === key) {
      parsedFiles.delete(resolved); // most recently used goes last
      parsedFiles.set(resolved, shared);
      replaySymbols(shared.symbols);
      state.fileParseCache.set(resolved, shared.expr);
      return shared.expr;
    }
    const text = readSource(resolved);
    const expr = parseFileCached(text, resolved); // the on-disk parse cache is off unless the CLI turns it on
    const symbols = recordSymbols(() => bindVars(expr, base));
    state.fileParseCache.set(resolved, expr);
    if (stamp !== null && text.length <= CACHE_BYTES / 4) {
      if (shared !== undefined) {
        parsedFiles.delete(resolved);
        parsedBytes -= shared.bytes;
      }
      parsedFiles.set(resolved, { scopeKey: key, stamp, expr, symbols, bytes: text.length });
      parsedBytes += text.length;
      for (const [p, f] of parsedFiles) {
        if (parsedBytes <= CACHE_BYTES) break;
        parsedFiles.delete(p);
        parsedBytes -= f.bytes;
      }
    }
    return expr;
  }
  const expr = parseFileCached(readSource(resolved), resolved);
  bindVars(expr, scope);
  return expr;
}

/** `import path`: evaluates a file once per state. */
export function evalFile(path: string): Value {
  const state = evalState();
  initGlobals(state);
  const hit = state.fileEvalCache.get(path);
  if (hit !== undefined) return force(hit);
  const resolved = resolveExprPath(path);
  const hit2 = state.fileEvalCache.get(resolved);
  if (hit2 !== undefined) return force(hit2);
  const expr = parseFile(resolved);
  let v: Value;
  try {
    v = evalExpr(expr, state.baseEnv);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(0, `while evaluating the file '${resolved}':`);
    throw err;
  }
  state.fileEvalCache.set(path, v);
  state.fileEvalCache.set(resolved, v);
  return v;
}

/** `scopedImport scope path`: the attributes of `scope` shadow the globals; not cached. */
export function evalFileScoped(path: string, scopeAttrs: NixAttrs): Value {
  const state = evalState();
  initGlobals(state);
  const names = scopeAttrs.keys();
  const vars = new Map<string, number>();
  const values: Lazy[] = [];
  names.forEach((n, i) => {
    vars.set(n, i);
    values.push(scopeAttrs.get(n)!);
  });
  const scope = new StaticScope(baseScope(state), vars);
  const expr = parseFile(resolveExprPath(path), scope);
  return evalExpr(expr, new Env(state.baseEnv, values));
}

/** Parses and scope-resolves an `-E` string (or stdin); relative paths resolve against `baseDir`. */
export function parseString(text: string, baseDir: string = process.cwd(), origin: "string" | "stdin" = "string"): Expr {
  const state = evalState();
  initGlobals(state);
  const expr = parse(text, undefined, { origin, basePath: baseDir });
  bindVars(expr, baseScope(state));
  return expr;
}

/** Evaluates an `-E` string (to weak head normal form). */
export function evalString(text: string, baseDir?: string): Value {
  const state = evalState();
  return evalExpr(parseString(text, baseDir), state.baseEnv);
}

/** CppNix's findFile: the first search-path entry under which `<path>` exists. */
export function findFile(searchPath: readonly SearchPathEntry[], path: string, pos: number): string {
  for (const entry of searchPath) {
    let suffix: string;
    if (entry.prefix === "") suffix = "/" + path;
    else {
      const n = entry.prefix.length;
      if (!path.startsWith(entry.prefix) || (path.length > n && path[n] !== "/")) continue;
      suffix = path.length === n ? "" : "/" + path.slice(n + 1);
    }
    const base = resolveSearchPathElem(entry.path);
    if (base === null) continue;
    const res = base + suffix;
    if (existsSync(toFsPath(res))) return canonPath(res);
  }
  if (path.startsWith("nix/")) return "/__corepkgs__/" + path.slice(4);
  throw new ThrownError(`file '${path}' was not found in the Nix search path (add it using $NIX_PATH or -I)`, pos);
}

function resolveSearchPathElem(elem: string): string | null {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(elem)) return null; // downloads are not supported offline
  const p = absPath(elem, evalState().cwd);
  return existsSync(toFsPath(p)) ? p : null;
}
