import { type CastoreBackend, type ObjectKind } from "./backend.js";
import { SINGLE_BLOB_MAX, decodeChunkList } from "./chunker.js";
import { decodeDirectory, type CasNode } from "./nodes.js";
import { decodePathInfo, pathInfoKey } from "./path-info.js";
import { getObject } from "./render.js";

export interface GcOptions {
  /**
   * Objects written or refreshed less than this long ago are never deleted. It must
   * exceed the longest ingestion: that is what makes collecting safe while other
   * replicas write (an ingestion puts every object before the path record naming it).
   */
  graceMs: number;
  /** The clock, for tests. */
  now?: number;
  /** Count what would go without deleting anything. */
  dryRun?: boolean;
}

export interface GcReport {
  /** Objects reachable from the live paths. */
  live: number;
  deleted: Record<ObjectKind, number>;
  deletedBytes: number;
  /** Unreachable objects kept because they are younger than the grace period. */
  spared: number;
}

/** Marks `node` and everything under it. */
async function mark(backend: CastoreBackend, node: CasNode, live: Set<string>): Promise<void> {
  const pending: CasNode[] = [node];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.kind === "symlink") continue;
    if (next.kind === "file") {
      if (next.size <= SINGLE_BLOB_MAX) {
        live.add(`blob:${next.digest}`);
        continue;
      }
      if (live.has(`list:${next.digest}`)) continue;
      live.add(`list:${next.digest}`);
      const list = await backend.get("list", next.digest);
      for (const chunk of list ? decodeChunkList(list) : []) live.add(`blob:${chunk.digest}`);
      continue;
    }
    if (live.has(`dir:${next.digest}`)) continue;
    live.add(`dir:${next.digest}`);
    for (const entry of decodeDirectory(await getObject(backend, "dir", next.digest))) pending.push(entry.node);
  }
}

/**
 * Mark and sweep: everything reachable from the path records of `liveRoots` (store
 * paths; "all" keeps every path record) is live; other objects older than the grace
 * period are deleted, path records of paths not in `liveRoots` included.
 */
export async function gcCastore(backend: CastoreBackend, liveRoots: Iterable<string> | "all", options: GcOptions): Promise<GcReport> {
  const now = options.now ?? Date.now();
  const cutoff = now - options.graceMs;
  const live = new Set<string>();
  const keepPaths =
    liveRoots === "all" ? undefined : new Set([...liveRoots].map((path) => pathInfoKey(path)));
  for await (const record of backend.list("path")) {
    if (keepPaths && !keepPaths.has(record.key)) continue;
    const bytes = await backend.get("path", record.key);
    if (!bytes) continue; // deleted meanwhile
    live.add(`path:${record.key}`);
    await mark(backend, decodePathInfo(bytes).root, live);
  }
  const report: GcReport = { live: live.size, deleted: { blob: 0, list: 0, dir: 0, path: 0 }, deletedBytes: 0, spared: 0 };
  // Records first, then what they named: a reader never meets a record whose tree is gone.
  for (const kind of ["path", "dir", "list", "blob"] as const satisfies readonly ObjectKind[]) {
    for await (const object of backend.list(kind)) {
      if (live.has(`${kind}:${object.key}`)) continue;
      if (object.modifiedMs >= cutoff) {
        report.spared++;
        continue;
      }
      if (!options.dryRun && !(await backend.delete(kind, object.key, cutoff))) {
        report.spared++; // refreshed by a writer since it was listed
        continue;
      }
      report.deleted[kind]++;
      report.deletedBytes += object.size;
    }
  }
  return report;
}
