import type { ByteSource } from "../nar/index.js";
import type { CastoreBackend } from "./backend.js";
import { ingestNar, ingestPath, type IngestOptions } from "./ingest.js";
import { materialise } from "./materialise.js";
import { decodePathInfo, encodePathInfo, pathInfoKey, type CasPathExtras, type CasPathInfo } from "./path-info.js";
import { CastoreMissingError, renderNar } from "./render.js";

export interface AddResult {
  readonly info: CasPathInfo;
  /** Bytes the backend did not have before. */
  readonly storedBytes: number;
}

/**
 * Store paths over a castore backend: ingest (from a NAR stream or a directory),
 * look up, render back to a NAR, materialise on disk. The path record is written
 * last, after every object it names, so a reader that finds it finds the whole tree.
 */
export class Castore {
  constructor(
    readonly backend: CastoreBackend,
    /** How this castore ingests (chunking, inline small files): pass it to `ingestNar` too. */
    readonly options: IngestOptions = {},
  ) {}

  /**
   * Ingests the NAR of `storePath` from a stream in one pass. With `expectedNarHash`
   * (`sha256:<nixbase32>`, as a narinfo gives) a mismatch throws before the path is
   * recorded (its objects stay, unreferenced, for GC).
   */
  async addNar(
    storePath: string,
    nar: ByteSource,
    references: readonly string[] = [],
    expectedNarHash?: string,
    extras: CasPathExtras = {},
  ): Promise<AddResult> {
    pathInfoKey(storePath); // a bad store path fails before any work
    const result = await ingestNar(this.backend, nar, this.options);
    const narHash = `sha256:${result.narHash.toBase32()}`;
    if (expectedNarHash !== undefined && expectedNarHash !== narHash) {
      throw new Error(`NAR hash mismatch for '${storePath}': expected ${expectedNarHash}, got ${narHash}`);
    }
    return this.record(storePath, { ...result, narHash }, references, extras);
  }

  /** Ingests a tree on disk (e.g. a build output) as `storePath`. */
  async addPath(storePath: string, diskPath: string, references: readonly string[] = [], extras: CasPathExtras = {}): Promise<AddResult> {
    pathInfoKey(storePath);
    const result = await ingestPath(this.backend, diskPath, this.options);
    return this.record(storePath, { ...result, narHash: `sha256:${result.narHash.toBase32()}` }, references, extras);
  }

  private async record(
    storePath: string,
    result: { root: CasPathInfo["root"]; narHash: string; narSize: number; storedBytes: number },
    references: readonly string[],
    extras: CasPathExtras,
  ): Promise<AddResult> {
    const info: CasPathInfo = {
      storePath,
      root: result.root,
      narHash: result.narHash,
      narSize: result.narSize,
      references: [...references].sort(),
      ...(extras.deriver !== undefined ? { deriver: extras.deriver } : {}),
      ...(extras.sigs !== undefined ? { sigs: extras.sigs } : {}),
      ...(extras.ca !== undefined ? { ca: extras.ca } : {}),
    };
    const encoded = await this.putRecord(info);
    return { info, storedBytes: result.storedBytes + encoded.length };
  }

  /**
   * Writes a path record for a tree already stored (e.g. by `ingestNar`), returning
   * its encoding. Every object the tree names must be in the backend before this is
   * called: a reader that finds the record takes the tree to be complete.
   */
  async putRecord(info: CasPathInfo): Promise<Buffer> {
    const encoded = encodePathInfo(info);
    await this.backend.put("path", pathInfoKey(info.storePath), encoded);
    return encoded;
  }

  async has(storePath: string): Promise<boolean> {
    return this.backend.has("path", pathInfoKey(storePath));
  }

  async pathInfo(storePath: string): Promise<CasPathInfo | undefined> {
    const bytes = await this.backend.get("path", pathInfoKey(storePath));
    if (!bytes) return undefined;
    const info = decodePathInfo(bytes);
    // The key is only the hash part: make sure the name matches too.
    return info.storePath === storePath ? info : undefined;
  }

  private async requireInfo(storePath: string): Promise<CasPathInfo> {
    const info = await this.pathInfo(storePath);
    if (!info) throw new CastoreMissingError(`store path '${storePath}' is not in the castore`);
    return info;
  }

  /** The NAR of `storePath`, byte-identical to the one ingested. */
  async *nar(storePath: string): AsyncGenerator<Buffer> {
    yield* renderNar(this.backend, (await this.requireInfo(storePath)).root);
  }

  /** Writes `storePath`'s tree at `target` (which must not exist). */
  async materialise(storePath: string, target: string): Promise<CasPathInfo> {
    const info = await this.requireInfo(storePath);
    await materialise(this.backend, info.root, target);
    return info;
  }
}
