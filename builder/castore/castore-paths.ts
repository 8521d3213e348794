import {
  Castore,
  ingestNar,
  parseContentAddress,
  parseHash,
  parseStorePath,
  renderContentAddress,
  sortStorePaths,
  dumpNarSync,
  type StorePath,
  type ByteSource,
  type CasNode,
  type CasPathInfo,
  type IngestOptions,
  type IngestResult,
  type NarInfo,
} from "../../store/index.js";
import type { PathInfoSource } from "../closure.js";
import type { LocalStore, PathInfo } from "../local-store/index.js";

/** How long a record read from the castore is trusted without asking again. */
const RECORD_TTL_MS = 60_000;

/** What the builder needs to know to register a path it found in the castore. */
export interface CastorePathInfo {
  path: StorePath;
  narHash: PathInfo["narHash"];
  narSize: number;
  references: StorePath[];
  deriver?: StorePath;
  sigs: string[];
  ca?: PathInfo["ca"];
}

/** The fields a local registration and a castore record share, copied from either. */
function registration(info: CastorePathInfo | PathInfo): CastorePathInfo {
  return {
    path: info.path,
    narHash: info.narHash,
    narSize: info.narSize,
    references: info.references,
    ...(info.deriver ? { deriver: info.deriver } : {}),
    sigs: info.sigs,
    ...(info.ca ? { ca: info.ca } : {}),
  };
}

/**
 * The builder's view of a (possibly shared) castore: paths ingested while they are
 * substituted or after they are built, path records written only once the path's
 * references are recorded, and lookups that let a replica use a closure another
 * replica realised without asking any binary cache.
 *
 * A record never changes for a store path, so records read are kept for the closure
 * graph (synchronous, answered from memory); lookups trust a kept record for
 * RECORD_TTL_MS only, because castore GC may drop records (`lading store gc --keep`).
 */
export class CastorePaths implements PathInfoSource {
  private readonly records = new Map<string, CastorePathInfo>();
  private readonly readAt = new Map<string, number>();
  /** Publishing of a path in progress, so concurrent realisations ingest it once. */
  private readonly publishing = new Map<string, Promise<void>>();

  constructor(
    readonly castore: Castore,
    readonly storeDir = "/nix/store",
    /** As the castore was opened with (e.g. inline small files). */
    private readonly ingestOptions: IngestOptions = {},
  ) {}

  /** Ingests a NAR stream (objects only; the record comes later, see `record`). */
  ingest(nar: ByteSource): Promise<IngestResult> {
    return ingestNar(this.castore.backend, nar, this.ingestOptions);
  }

  /**
   * Writes the record of `info.path` with tree `root`. Callers write it only after
   * the records of the path's references, so a reader that finds a record can count
   * on the closure's records being there too.
   */
  async record(info: CastorePathInfo, root: CasNode): Promise<void> {
    const storePath = info.path.render(this.storeDir);
    const record: CasPathInfo = {
      storePath,
      root,
      narHash: `sha256:${info.narHash.toBase32()}`,
      narSize: info.narSize,
      references: info.references.map((r) => r.render(this.storeDir)).sort(),
      ...(info.deriver ? { deriver: info.deriver.render(this.storeDir) } : {}),
      ...(info.sigs.length > 0 ? { sigs: [...info.sigs].sort() } : {}),
      ...(info.ca ? { ca: renderContentAddress(info.ca) } : {}),
    };
    await this.castore.putRecord(record);
    this.remember(info);
  }

  private remember(info: CastorePathInfo): void {
    this.records.set(info.path.baseName, info);
    this.readAt.set(info.path.baseName, Date.now());
  }

  /** The record of `path`, or undefined when the castore does not have it. */
  async lookup(path: StorePath): Promise<CastorePathInfo | undefined> {
    const known = this.records.get(path.baseName);
    if (known && Date.now() - this.readAt.get(path.baseName)! < RECORD_TTL_MS) return known;
    const record = await this.castore.pathInfo(path.render(this.storeDir));
    if (!record) {
      this.records.delete(path.baseName);
      this.readAt.delete(path.baseName);
      return undefined;
    }
    const info: CastorePathInfo = {
      path,
      narHash: parseHash(record.narHash),
      narSize: record.narSize,
      references: sortStorePaths(record.references.map((r) => parseStorePath(r, this.storeDir))),
      ...(record.deriver ? { deriver: parseStorePath(record.deriver, this.storeDir) } : {}),
      sigs: [...(record.sigs ?? [])],
      ...(record.ca ? { ca: parseContentAddress(record.ca) } : {}),
    };
    this.remember(info);
    return info;
  }

  /**
   * The records of the whole closure of `paths`, references before referrers, or
   * undefined when any path of it is missing from the castore.
   */
  async closure(paths: Iterable<StorePath>): Promise<CastorePathInfo[] | undefined> {
    const found = new Map<string, CastorePathInfo>();
    let complete = true;
    const visit = async (path: StorePath): Promise<void> => {
      if (!complete || found.has(path.baseName)) return;
      const info = await this.lookup(path);
      if (!info) {
        complete = false;
        return;
      }
      if (found.has(path.baseName)) return;
      found.set(path.baseName, info);
      await Promise.all(info.references.filter((r) => !r.equals(path)).map(visit));
    };
    await Promise.all([...paths].map(visit));
    return complete ? topoOrder(found) : undefined;
  }

  /** Synchronous lookup of a record already read (the closure graph's source). */
  queryPathInfo(path: StorePath): CastorePathInfo | undefined {
    return this.records.get(path.baseName);
  }

  /** A NarInfo-shaped description of a record, for a substitution plan. */
  asNarInfo(info: CastorePathInfo): NarInfo {
    return {
      storePath: info.path,
      url: "",
      compression: "none",
      narHash: info.narHash,
      narSize: info.narSize,
      references: info.references,
      sigs: info.sigs,
      ...(info.deriver ? { deriver: info.deriver } : {}),
      ...(info.ca ? { ca: info.ca } : {}),
    };
  }

  /** The NAR of a path, rendered from the castore. */
  nar(path: StorePath): AsyncIterable<Buffer> {
    return this.castore.nar(path.render(this.storeDir));
  }

  /**
   * Makes the closure of `paths` valid in the local store from the castore (for a
   * local build that needs them as inputs). Returns false when the castore lacks
   * part of the closure (nothing is registered then).
   */
  async materialise(store: LocalStore, paths: Iterable<StorePath>): Promise<boolean> {
    const wanted = [...paths].filter((p) => !store.isValid(p));
    if (wanted.length === 0) return true;
    const closure = await this.closure(wanted);
    if (!closure) return false;
    for (const info of closure) {
      if (store.isValid(info.path)) continue;
      await store.addNar(registration(info), this.nar(info.path));
    }
    return true;
  }

  /**
   * Puts the closure of valid local `paths` into the castore where it is missing
   * (build outputs, paths that were valid before the castore was enabled), references
   * first so records stay closed under references.
   */
  async publish(store: LocalStore, paths: Iterable<StorePath>): Promise<void> {
    for (const path of store.topoSort(store.computeClosure(paths))) {
      let publishing = this.publishing.get(path.baseName);
      if (!publishing) {
        publishing = this.publishOne(store, path);
        this.publishing.set(path.baseName, publishing);
        // Forgotten once settled: the next call looks the record up again (it may have been collected).
        const forget = () => this.publishing.delete(path.baseName);
        publishing.then(forget, forget);
      }
      await publishing;
    }
  }

  private async publishOne(store: LocalStore, path: StorePath): Promise<void> {
    if (await this.lookup(path)) return;
    const info = store.queryPathInfo(path);
    if (!info) throw new Error(`cannot publish '${path.render(this.storeDir)}': it is not valid`);
    const ingested = await this.ingest(dumpNarSync(store.realPath(path)));
    if (!ingested.narHash.equals(info.narHash) || ingested.narSize !== info.narSize) {
      throw new Error(`'${path.render(this.storeDir)}' changed on disk: its NAR no longer matches its registration`);
    }
    await this.record(registration(info), ingested.root);
  }
}

/**
 * A closure graph source that knows the local store's paths and the castore's:
 * local registrations first, then castore records already read.
 */
export function overlayPathInfo(store: LocalStore, castore: CastorePaths | undefined): PathInfoSource & {
  queryPathInfo(path: StorePath): { narSize: number; references: readonly StorePath[]; deriver?: StorePath } | undefined;
} {
  return { queryPathInfo: (path) => store.queryPathInfo(path) ?? castore?.queryPathInfo(path) };
}

/** Records ordered references first (ties by base name). */
function topoOrder(found: Map<string, CastorePathInfo>): CastorePathInfo[] {
  const out: CastorePathInfo[] = [];
  const done = new Set<string>();
  const visit = (info: CastorePathInfo, depth: number): void => {
    if (done.has(info.path.baseName)) return;
    if (depth > found.size) throw new Error(`reference cycle through '${info.path.baseName}'`);
    for (const ref of info.references) {
      const next = found.get(ref.baseName);
      if (next && !ref.equals(info.path)) visit(next, depth + 1);
    }
    done.add(info.path.baseName);
    out.push(info);
  };
  for (const key of [...found.keys()].sort()) visit(found.get(key)!, 0);
  return out;
}
