/**
 * Commits what a StagingStoreWriter staged to a real (asynchronous) store, one path
 * at a time, references before referrers. The store is described structurally
 * (Lading's LocalStore fits) so the evaluator does not depend on the builder.
 * With a store whose single-path commit is atomic and refuses a path whose
 * references are not valid, a crash at any point leaves the valid paths closed
 * under references.
 */
import {
  dumpNar,
  parseContentAddress,
  parseHash,
  parseStorePath,
  type ByteSource,
  type ContentAddress,
  type Hash,
  type StorePath,
} from "../../store/index.js";
import type { StagedPath } from "./staging-writer.js";

/** What committing needs from a store: LocalStore's stageNar/commit pair. */
export interface StagedCommitTarget<Staged> {
  readonly storeDir: string;
  isValid(path: StorePath): boolean;
  stageNar(source: ByteSource): Promise<Staged>;
  commit(
    staged: Staged,
    info: { path: StorePath; narHash: Hash; narSize: number; references: StorePath[]; ca?: ContentAddress; ultimate?: boolean },
  ): Promise<unknown>;
}

/** `paths` ordered so every path comes after the staged paths it refers to. */
export function referencesFirst(paths: readonly StagedPath[]): StagedPath[] {
  const byPath = new Map(paths.map((p) => [p.path, p]));
  const state = new Map<string, "visiting" | "done">();
  const out: StagedPath[] = [];
  const visit = (p: StagedPath): void => {
    const seen = state.get(p.path);
    if (seen === "done") return;
    if (seen === "visiting") throw new Error(`reference cycle through '${p.path}'`);
    state.set(p.path, "visiting");
    for (const ref of p.references) {
      const staged = byPath.get(ref);
      if (staged !== undefined && ref !== p.path) visit(staged);
    }
    state.set(p.path, "done");
    out.push(p);
  };
  for (const p of paths) visit(p);
  return out;
}

/** Registers the staged paths the store does not hold yet; returns the paths registered now. */
export async function commitStaged<Staged>(store: StagedCommitTarget<Staged>, staged: readonly StagedPath[]): Promise<StorePath[]> {
  const added: StorePath[] = [];
  for (const p of referencesFirst(staged)) {
    const path = parseStorePath(p.path, store.storeDir);
    if (store.isValid(path)) continue;
    const nar = await store.stageNar(dumpNar(Buffer.from(p.file, "latin1")));
    await store.commit(nar, {
      path,
      narHash: parseHash(p.narHash, "sha256"),
      narSize: p.narSize,
      references: p.references.map((r) => parseStorePath(r, store.storeDir)),
      ca: parseContentAddress(p.ca),
      ultimate: true,
    });
    added.push(path);
  }
  return added;
}
