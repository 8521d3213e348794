/**
 * The store as evaluation sees it. `ComputingEvalStore` only computes store paths
 * (what `--readonly-mode` does, and what a caller without a local store gets);
 * a writing store implements the same interface and also puts the contents in
 * place. Either way the evaluator keeps what it learnt about paths it made (their
 * references, the derivations behind .drv paths) so that `=drv` contexts and
 * hashDerivationModulo never need to read a store back.
 */
import { existsSync, readFileSync } from "node:fs";
import {
  BadStorePathError,
  DEFAULT_STORE_DIR,
  DerivationParseError,
  derivationStorePath,
  derivationPathFromText,
  hashBytes,
  makeFixedOutputPath,
  makeTextPath,
  parseDerivation,
  parseStorePath,
  type Derivation,
  type FileIngestionMethod,
} from "../../store/index.js";
import { EvalError, type StoreBackend } from "../eval/index.js";
import { flatFileHash, narHashFiltered, type PathFilter } from "./filtered-nar.js";

/** What the evaluator needs from a store. Paths and contents are Nix byte strings. */
export interface EvalStore extends StoreBackend {
  readonly storeDir: string;
  /** `builtins.toFile`: a text path with references. */
  addTextToStore(name: string, contents: string, references: readonly string[]): string;
  /** `${./x}`, `builtins.path`, `filterSource`, fetched files: a fixed-output (usually source) path. */
  addToStore(physicalPath: string, name: string, method: FileIngestionMethod, filter?: PathFilter): string;
  /**
   * A store derivation (its output paths already filled in); returns the .drv path.
   * `rendered` is its text's sha256 and the text (made only if the store writes it)
   * when the caller has them, with input paths it checked.
   */
  writeDerivation(drv: Derivation, drvName: string, rendered?: RenderedDerivation): string;
  /** True when the store path exists (is valid) in this store. */
  isValidPath(storePath: string): boolean;
  /** The references of a store path, as far as this store knows them. */
  queryReferences(storePath: string): readonly string[];
  /** The derivation at a .drv path (one this evaluation wrote, or one in the store). */
  readDerivation(drvPath: string): Derivation;
  /** The output names of the derivation at a .drv path (one this evaluation wrote, or one in the store). */
  derivationOutputs(drvPath: string): readonly string[];
  /**
   * Where the valid store path `storePath` (a path's `<storeDir>/<hash>-<name>` part)
   * is on disk, for reading it back during evaluation.
   */
  realPath(storePath: string): string;
}

/** A derivation's .drv text, by its sha256 (base16) and on demand as a byte string. */
export interface RenderedDerivation {
  readonly hex: string;
  text(): string;
}

/** Turns a store-module name error into the evaluation error CppNix raises. */
export function storeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadStorePathError) throw new EvalError(err.message);
    throw err;
  }
}

function latin1(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/**
 * Computes paths without writing; remembers references and derivations in memory.
 * With `keepDerivations` false (`--readonly-mode`'s own store) only the output names
 * and references of the derivations it is given are kept: evaluation needs no more
 * (hashDerivationModulo's memo holds their hashes), and thousands of environments
 * kept alive cost the garbage collector.
 */
export class ComputingEvalStore implements EvalStore {
  private readonly references = new Map<string, readonly string[]>();
  private readonly derivations = new Map<string, Derivation>();
  /** Output names of derivations written but not kept. */
  private readonly outputNames = new Map<string, readonly string[]>();
  private lastOutputNames: readonly string[] = [];

  constructor(
    readonly storeDir: string = DEFAULT_STORE_DIR,
    private readonly keepDerivations = true,
  ) {}

  addPathToStore(path: string): string {
    return this.addToStore(path, path.slice(path.lastIndexOf("/") + 1), "recursive");
  }

  addTextToStore(name: string, contents: string, references: readonly string[]): string {
    const refs = references.map((r) => parseStorePath(r, this.storeDir));
    const path = storeCall(() => makeTextPath(name, hashBytes("sha256", latin1(contents)), refs, this.storeDir)).render(this.storeDir);
    this.references.set(path, references);
    return path;
  }

  addToStore(physicalPath: string, name: string, method: FileIngestionMethod, filter?: PathFilter): string {
    const hash = method === "recursive" ? narHashFiltered(physicalPath, filter) : flatFileHash(physicalPath);
    return storeCall(() => makeFixedOutputPath(name, method, hash, {}, this.storeDir)).render(this.storeDir);
  }

  writeDerivation(drv: Derivation, drvName: string, rendered?: RenderedDerivation): string {
    let path: string;
    const references = drv.inputSrcs.slice();
    for (const p of drv.inputDrvs.keys()) references.push(p);
    try {
      if (rendered === undefined) path = derivationStorePath(drv, drvName, this.storeDir).render(this.storeDir);
      else path = derivationPathFromText("", references, drvName, this.storeDir, rendered.hex);
    } catch (err) {
      if (err instanceof BadStorePathError) throw new EvalError(err.message);
      throw err;
    }
    if (this.keepDerivations) this.derivations.set(path, drv);
    else {
      this.references.set(path, references);
      this.outputNames.set(path, this.sharedOutputNames(drv));
    }
    return path;
  }

  /** The derivation's output names, the same array as the last derivation's when equal (most are `out`, or `out` and `dev`…). */
  private sharedOutputNames(drv: Derivation): readonly string[] {
    const last = this.lastOutputNames;
    if (last.length === drv.outputs.size) {
      let i = 0;
      for (const name of drv.outputs.keys()) if (last[i++] !== name) return (this.lastOutputNames = [...drv.outputs.keys()]);
      return last;
    }
    return (this.lastOutputNames = [...drv.outputs.keys()]);
  }

  derivationOutputs(drvPath: string): readonly string[] {
    return this.outputNames.get(drvPath) ?? [...this.readDerivation(drvPath).outputs.keys()];
  }

  /** Computing only: a path is valid when it exists on disk (e.g. in /nix/store). */
  isValidPath(storePath: string): boolean {
    return existsSync(latin1(storePath));
  }

  /** Computing only: a valid path is where its name says. */
  realPath(storePath: string): string {
    return storePath;
  }

  /** Every derivation written or read in this store so far, by .drv path. */
  knownDerivations(): ReadonlyMap<string, Derivation> {
    return this.derivations;
  }

  queryReferences(storePath: string): readonly string[] {
    const known = this.references.get(storePath);
    if (known !== undefined) return known;
    if (storePath.endsWith(".drv")) {
      const drv = this.readDerivation(storePath);
      return [...drv.inputSrcs, ...drv.inputDrvs.keys()];
    }
    return [];
  }

  readDerivation(drvPath: string): Derivation {
    const known = this.derivations.get(drvPath);
    if (known !== undefined) return known;
    let text: string;
    try {
      text = readFileSync(latin1(drvPath), "latin1");
    } catch {
      throw new EvalError(`path '${drvPath}' is not valid`);
    }
    try {
      const drv = parseDerivation(text);
      this.derivations.set(drvPath, drv);
      return drv;
    } catch (err) {
      if (err instanceof DerivationParseError) throw new EvalError(err.message);
      throw err;
    }
  }
}

/**
 * Memoises `addToStore` without a filter per (path, name, method): the same source
 * copied twice in one evaluation is hashed once (CppNix's srcToStore).
 */
export class CachingEvalStore implements EvalStore {
  private readonly cache = new Map<string, string>();

  constructor(private readonly inner: EvalStore) {}

  get storeDir(): string {
    return this.inner.storeDir;
  }

  addPathToStore(path: string): string {
    return this.addToStore(path, path.slice(path.lastIndexOf("/") + 1), "recursive");
  }

  addTextToStore(name: string, contents: string, references: readonly string[]): string {
    return this.inner.addTextToStore(name, contents, references);
  }

  addToStore(physicalPath: string, name: string, method: FileIngestionMethod, filter?: PathFilter): string {
    if (filter !== undefined) return this.inner.addToStore(physicalPath, name, method, filter);
    const key = `${method}\0${name}\0${physicalPath}`;
    let path = this.cache.get(key);
    if (path === undefined) {
      path = this.inner.addToStore(physicalPath, name, method);
      this.cache.set(key, path);
    }
    return path;
  }

  writeDerivation(drv: Derivation, drvName: string, rendered?: RenderedDerivation): string {
    return this.inner.writeDerivation(drv, drvName, rendered);
  }

  isValidPath(storePath: string): boolean {
    return this.inner.isValidPath(storePath);
  }

  queryReferences(storePath: string): readonly string[] {
    return this.inner.queryReferences(storePath);
  }

  readDerivation(drvPath: string): Derivation {
    return this.inner.readDerivation(drvPath);
  }

  derivationOutputs(drvPath: string): readonly string[] {
    return this.inner.derivationOutputs(drvPath);
  }

  realPath(storePath: string): string {
    return this.inner.realPath(storePath);
  }
}

/** True when a StoreBackend is a full EvalStore (e.g. a writing one plugged in by the caller). */
export function isEvalStore(store: StoreBackend): store is EvalStore {
  const s = store as Partial<EvalStore>;
  return typeof s.addTextToStore === "function" && typeof s.writeDerivation === "function";
}
