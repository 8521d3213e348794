import { type CastoreBackend, type ObjectKind } from "./backend.js";
import { SINGLE_BLOB_MAX, decodeChunkList } from "./chunker.js";
import { decodeDirectory, type CasNode } from "./nodes.js";
import { decodePathInfo, pathInfoKey } from "./path-info.js";
import { InFlight } from "./in-flight.js";
import { getObject } from "./render.js";

export interface GcOptions {
  /**
   * Objects written or refreshed less than this long ago are never deleted. It must
   * exceed the longest ingestion plus the backends' refresh window (a put leaves the
   * time of an object modified less than 10 minutes ago alone): that is what makes
   * collecting safe while other replicas write (an ingestion puts every object before
   * the path record naming it).
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
  /** Leftovers of crashed writers (temporary files) older than the grace period, cleaned up. */
  staleRemoved: number;
}

/**
 * Marks everything under `roots`, level by level: the directory nodes of one level
 * are fetched together (a remote backend answers many requests at once).
 */
async function mark(backend: CastoreBackend, roots: CasNode[], live: Set<string>): Promise<void> {
  const batch = Math.max(1, backend.parallelism ?? 1);
  let level = roots;
  while (level.length > 0) {
    const dirs: string[] = [];
    const lists: string[] = [];
    for (const node of level) {
      if (node.kind === "symlink" || (node.kind === "file" && node.contents)) continue;
      if (node.kind === "file" && node.size <= SINGLE_BLOB_MAX) live.add(`blob:${node.digest}`);
      else {
        const id = `${node.kind === "file" ? "list" : "dir"}:${node.digest}`;
        if (live.has(id)) continue;
        live.add(id);
        (node.kind === "file" ? lists : dirs).push(node.digest);
      }
    }
    const next: CasNode[] = [];
    for (let i = 0; i < lists.length; i += batch) {
      const got = await Promise.all(lists.slice(i, i + batch).map((digest) => backend.get("list", digest)));
      for (const list of got) for (const chunk of list ? decodeChunkList(list) : []) live.add(`blob:${chunk.digest}`);
    }
    for (let i = 0; i < dirs.length; i += batch) {
      const got = await Promise.all(dirs.slice(i, i + batch).map((digest) => getObject(backend, "dir", digest)));
      for (const dir of got) for (const entry of decodeDirectory(dir)) next.push(entry.node);
    }
    level = next;
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
  const roots: CasNode[] = [];
  const records: string[] = [];
  for await (const record of backend.list("path")) {
    if (!keepPaths || keepPaths.has(record.key)) records.push(record.key);
  }
  const batch = Math.max(1, backend.parallelism ?? 1);
  for (let i = 0; i < records.length; i += batch) {
    const keys = records.slice(i, i + batch);
    const got = await Promise.all(keys.map((key) => backend.get("path", key)));
    got.forEach((bytes, j) => {
      if (!bytes) return; // deleted meanwhile
      live.add(`path:${keys[j]!}`);
      roots.push(decodePathInfo(bytes).root);
    });
  }
  await mark(backend, roots, live);
  const report: GcReport = {
    live: live.size,
    deleted: { blob: 0, list: 0, dir: 0, path: 0 },
    deletedBytes: 0,
    spared: 0,
    staleRemoved: 0,
  };
  const deletions = new InFlight(batch);
  // Records first, then what they named: a reader never meets a record whose tree is gone.
  for (const kind of ["path", "dir", "list", "blob"] as const satisfies readonly ObjectKind[]) {
    for await (const object of backend.list(kind)) {
      if (live.has(`${kind}:${object.key}`)) continue;
      if (object.modifiedMs >= cutoff) {
        report.spared++;
        continue;
      }
      const counted = () => {
        report.deleted[kind]++;
        report.deletedBytes += object.size;
      };
      if (options.dryRun) {
        counted();
        continue;
      }
      await deletions.run(async () => {
        if (await backend.delete(kind, object.key, cutoff)) counted();
        else report.spared++; // refreshed by a writer since it was listed
      });
    }
    await deletions.drain();
  }
  if (!options.dryRun && backend.removeStale) report.staleRemoved = await backend.removeStale(cutoff);
  return report;
}
