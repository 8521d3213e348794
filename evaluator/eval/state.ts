/**
 * Per-evaluation settings and caches. Thunks and primops carry no reference to a
 * state, so the evaluator keeps one current state per process (`evalState()`);
 * `new EvalState(...)` makes itself current.
 */
import { lstatSync } from "node:fs";
import type { Expr } from "../syntax/ast.js";
import type { Source } from "../syntax/source.js";
import { DEFAULT_STORE_DIR, makeSourcePath, narHashAndSize } from "../../store/index.js";
import { Env, NixAttrs, type Lazy, toFsPath, fromFsPath, forgetLastApply } from "./value.js";
import { EvalError } from "./errors.js";
import { setTraceCalls } from "./interpreter.js";
import { resetCallDepth } from "./call-depth.js";

/** One `-I` / NIX_PATH entry: `prefix=path` (prefix "" for a bare path). */
export interface SearchPathEntry {
  readonly prefix: string;
  readonly path: string;
}

/** Parses a source into an AST (the syntax module's parser, injected to keep layers apart). */
export type ParseFn = (text: string, path: string, origin: "file" | "string" | "stdin", baseDir: string) => { expr: Expr; source: Source };

/**
 * How `${./path}` reaches the store. The default computes the store path without
 * writing (like `--readonly-mode`); the derivations/store layer plugs in a real one.
 */
export interface StoreBackend {
  readonly storeDir: string;
  /** Adds a path (recursively, sha256) to the store, or only computes its store path when `readOnly`. */
  addPathToStore(path: string, readOnly: boolean): string;
}

export const computingStore: StoreBackend = {
  storeDir: DEFAULT_STORE_DIR,
  addPathToStore(path: string): string {
    const fsPath = toFsPath(path);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const { hash } = narHashAndSize(fsPath);
    return fromFsPath(makeSourcePath(name, hash).render(this.storeDir));
  },
};

export interface EvalOptions {
  searchPath?: SearchPathEntry[];
  showTrace?: boolean;
  readOnly?: boolean;
  store?: StoreBackend;
  /** Value of `builtins.currentSystem`. */
  system?: string;
  /** Directory relative search-path entries resolve against (default: process.cwd()). */
  cwd?: string;
  /** Current CppNix's `max-call-depth` (default 10000). */
  maxCallDepth?: number;
}

let current: EvalState | null = null;

/** The state of the evaluation in progress. */
export function evalState(): EvalState {
  if (current === null) throw new Error("no EvalState: create one with new EvalState()");
  return current;
}

export class EvalState {
  readonly searchPath: SearchPathEntry[];
  readonly showTrace: boolean;
  readonly readOnly: boolean;
  readonly store: StoreBackend;
  readonly system: string;
  readonly cwd: string;
  /** Resolved file path → its value (import cache). */
  readonly fileEvalCache = new Map<string, Lazy>();
  /** Resolved file path → its bound AST. */
  readonly fileParseCache = new Map<string, Expr>();
  /** Source path → store path (`${./x}` copies once). */
  readonly srcToStore = new Map<string, string>();
  /** Filled by the global-scope builder (globals.ts). */
  baseEnv!: Env;
  builtins!: NixAttrs;
  /** Names of the global scope in slot order. */
  globalNames!: Map<string, number>;

  constructor(options: EvalOptions = {}) {
    forgetLastApply();
    this.searchPath = options.searchPath ?? [];
    this.showTrace = options.showTrace ?? false;
    this.readOnly = options.readOnly ?? false;
    this.store = options.store ?? computingStore;
    this.system = options.system ?? defaultSystem();
    this.cwd = options.cwd ?? fromFsPath(process.cwd());
    setTraceCalls(this.showTrace);
    resetCallDepth(options.maxCallDepth);
    makeCurrent(this);
  }

  /** Copies a path into the store once per evaluation, returning the store path. */
  copyPathToStore(path: string): string {
    if (path.endsWith(".drv")) throw new EvalError("file names are not allowed to end in '.drv'");
    let dst = this.srcToStore.get(path);
    if (dst === undefined) {
      // Current CppNix's message (upstream eval-fail-nonexist-path); 2.8 said "getting status of".
      // A file on the way (ENOTDIR) means missing too, as current CppNix's maybeLstat.
      let exists = true;
      try {
        exists = lstatSync(toFsPath(path), { throwIfNoEntry: false }) !== undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOTDIR") throw err;
        exists = false;
      }
      if (!exists) throw new EvalError(`path '${path}' does not exist`);
      dst = this.store.addPathToStore(path, this.readOnly);
      this.srcToStore.set(path, dst);
    }
    return dst;
  }
}

function makeCurrent(state: EvalState): void {
  current = state;
}

function defaultSystem(): string {
  const arch = process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch;
  return `${arch}-${process.platform}`;
}

/** Parses `-I`/NIX_PATH text: entries separated by `:`, each `prefix=path` or a path. */
export function parseSearchPath(text: string): SearchPathEntry[] {
  const out: SearchPathEntry[] = [];
  for (const entry of splitSearchPath(text)) {
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    out.push(eq < 0 ? { prefix: "", path: entry } : { prefix: entry.slice(0, eq), path: entry.slice(eq + 1) });
  }
  return out;
}

/** Splits on `:` but keeps `scheme://` URIs whole, as CppNix's parseNixPath does. */
function splitSearchPath(text: string): string[] {
  const res: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ":") {
      if (text.startsWith("//", i + 1) && /^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(cur.slice(cur.indexOf("=") + 1))) {
        cur += c;
        continue;
      }
      res.push(cur);
      cur = "";
    } else cur += c;
  }
  res.push(cur);
  return res;
}

/**
 * CppNix's realiseContext + toRealPath for a path about to be read (readFile,
 * readDir, pathExists, import): checks that the store paths in its string context
 * are valid and says where the path is on disk (Lading's store keeps its objects
 * elsewhere than their logical /nix/store paths). The derivations layer, which knows
 * the store, sets the realiser; a path without context is read where it is.
 */
export type PathRealiser = (path: string, context: readonly string[], pos: number) => string;

let pathRealiser: PathRealiser | undefined;

export function setPathRealiser(realiser: PathRealiser | undefined): void {
  pathRealiser = realiser;
}

export function realiseContextPath(path: string, context: readonly string[], pos = 0): string {
  return context.length === 0 || pathRealiser === undefined ? path : pathRealiser(path, context, pos);
}
