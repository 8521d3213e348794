/**
 * An EvalStore that also writes: paths are computed exactly as the computing store
 * does, then whatever is not yet valid is handed to a `StoreWriter` — the small
 * adapter a real store (Lading's local store) implements. Filtered sources are
 * copied with the entries the filter accepted while hashing, so the Nix filter
 * function runs once per entry, as in CppNix.
 */
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Hash,
  hashBytes,
  makeFixedOutputPath,
  parseStorePath,
  renderDerivation,
  type ContentAddress,
  type Derivation,
  type FileIngestionMethod,
} from "../../store/index.js";
import { ComputingEvalStore, storeCall, type EvalStore, type RenderedDerivation } from "./eval-store.js";
import { flatFileHash, narHashFiltered, type PathFilter } from "./filtered-nar.js";

/** What a real store must provide for evaluation to write into it. Paths are byte strings. */
export interface StoreWriter {
  readonly storeDir: string;
  /** True when the store path is already valid (registered). */
  isValidPath(storePath: string): boolean;
  /** Adds a text file (`toFile`, a .drv) at `storePath` with its references (content address `text:sha256:…`). */
  addText(storePath: string, contents: Buffer, references: readonly string[], ca: ContentAddress): void;
  /**
   * Copies the file, directory or symlink at `sourcePath` (a temporary or the user's
   * path; never modify it) to `storePath`, computes its NAR hash and registers it
   * with no references and the content address `ca`.
   */
  addTree(storePath: string, sourcePath: string, ca: ContentAddress): void;
  /** Where a valid path is on disk (default: its logical path). */
  realPath?(storePath: string): string;
}

function bytes(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** Copies `src` to `dst` keeping only what `keep` accepts below the root (symlinks as links). */
function copyFiltered(src: string, dst: string, keep: (path: string) => boolean): void {
  const st = lstatSync(bytes(src));
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(bytes(src), { encoding: "buffer" }), bytes(dst));
  else if (st.isDirectory()) {
    mkdirSync(bytes(dst));
    for (const name of readdirSync(bytes(src), { encoding: "buffer" })) {
      const child = src + "/" + name.toString("latin1");
      if (keep(child)) copyFiltered(child, dst + "/" + name.toString("latin1"), keep);
    }
  } else {
    copyFileSync(bytes(src), bytes(dst));
    chmodSync(bytes(dst), st.mode & 0o100 ? 0o555 : 0o444);
  }
}

export class WritingEvalStore implements EvalStore {
  private readonly computing: ComputingEvalStore;
  /** References already checked to be store paths (the same inputs recur across derivations). */
  private readonly checkedReferences = new Set<string>();

  constructor(private readonly writer: StoreWriter) {
    this.computing = new ComputingEvalStore(writer.storeDir);
  }

  get storeDir(): string {
    return this.computing.storeDir;
  }

  addPathToStore(path: string, readOnly: boolean): string {
    const name = path.slice(path.lastIndexOf("/") + 1);
    return readOnly ? this.computing.addToStore(path, name, "recursive") : this.addToStore(path, name, "recursive");
  }

  addTextToStore(name: string, contents: string, references: readonly string[]): string {
    const path = this.computing.addTextToStore(name, contents, references);
    if (!this.writer.isValidPath(path)) {
      this.writer.addText(path, bytes(contents), references, { type: "text", hash: hashBytes("sha256", bytes(contents)) });
    }
    return path;
  }

  addToStore(physicalPath: string, name: string, method: FileIngestionMethod, filter?: PathFilter): string {
    const accepted = new Set<string>();
    const recording: PathFilter | undefined =
      filter === undefined
        ? undefined
        : (p, type) => {
            const keep = filter(p, type);
            if (keep) accepted.add(p);
            return keep;
          };
    const hash = method === "recursive" ? narHashFiltered(physicalPath, recording) : flatFileHash(physicalPath);
    const path = storeCall(() => makeFixedOutputPath(name, method, hash, {}, this.storeDir)).render(this.storeDir);
    if (this.writer.isValidPath(path)) return path;
    const ca: ContentAddress = { type: "fixed", method, hash };
    if (filter === undefined) {
      this.writer.addTree(path, physicalPath, ca);
      return path;
    }
    const tmp = mkdtempSync(join(tmpdir(), "lading-src-"));
    try {
      const copy = Buffer.from(tmp).toString("latin1") + "/copy";
      copyFiltered(physicalPath, copy, (p) => accepted.has(p));
      this.writer.addTree(path, copy, ca);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return path;
  }

  writeDerivation(drv: Derivation, drvName: string, rendered?: RenderedDerivation): string {
    const path = this.computing.writeDerivation(drv, drvName, rendered);
    if (!this.writer.isValidPath(path)) {
      const text = bytes(rendered !== undefined ? rendered.text() : renderDerivation(drv));
      const references = [...drv.inputSrcs, ...drv.inputDrvs.keys()].sort();
      for (const r of references) {
        if (this.checkedReferences.has(r)) continue;
        parseStorePath(r, this.storeDir);
        this.checkedReferences.add(r);
      }
      const hash = rendered !== undefined ? new Hash("sha256", Buffer.from(rendered.hex, "hex")) : hashBytes("sha256", text);
      this.writer.addText(path, text, references, { type: "text", hash });
    }
    return path;
  }

  isValidPath(storePath: string): boolean {
    return this.writer.isValidPath(storePath);
  }

  queryReferences(storePath: string): readonly string[] {
    return this.computing.queryReferences(storePath);
  }

  readDerivation(drvPath: string): Derivation {
    return this.computing.readDerivation(drvPath);
  }

  derivationOutputs(drvPath: string): readonly string[] {
    return this.computing.derivationOutputs(drvPath);
  }

  realPath(storePath: string): string {
    return this.writer.realPath?.(storePath) ?? storePath;
  }
}
