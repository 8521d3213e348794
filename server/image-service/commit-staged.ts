import type { LocalStore } from "../../builder/index.js";
import type { StagedPath } from "../../evaluator/index.js";
import { dumpNar, parseContentAddress, parseHash, parseStorePath } from "../../store/index.js";

/**
 * Registers the paths an evaluation staged (.drv files, sources) in the local store,
 * references before referrers, so the realiser can read the derivations.
 */
export async function commitStaged(store: LocalStore, staged: readonly StagedPath[]): Promise<number> {
  const byPath = new Map(staged.map((p) => [p.path, p]));
  const done = new Set<string>();
  let added = 0;
  const visit = async (p: StagedPath): Promise<void> => {
    if (done.has(p.path)) return;
    done.add(p.path);
    for (const ref of p.references) {
      const dep = byPath.get(ref);
      if (dep && ref !== p.path) await visit(dep);
    }
    const path = parseStorePath(p.path, store.storeDir);
    if (store.isValid(path)) return;
    const nar = await store.stageNar(dumpNar(Buffer.from(p.file, "latin1")));
    await store.commit(nar, {
      path,
      narHash: parseHash(p.narHash, "sha256"),
      narSize: p.narSize,
      references: p.references.map((r) => parseStorePath(r, store.storeDir)),
      ca: parseContentAddress(p.ca),
      ultimate: true,
    });
    added++;
  };
  for (const p of staged) await visit(p);
  return added;
}
