import { Hash, HashSink } from "../hash.js";
import { dumpNarSync, parseNar, type ByteSource, type NarFileSink, type NarPath, type NarSink } from "../nar/index.js";
import type { CastoreBackend } from "./backend.js";
import { SINGLE_BLOB_MAX, createChunker, encodeChunkList, type ChunkRef, type Chunker, type ChunkingMethod } from "./chunker.js";
import { blake3Hex } from "./digest.js";
import { InFlight } from "./in-flight.js";
import { INLINE_LIMIT, directoryNode, inlineFile, type CasEntry, type CasFile, type CasNode } from "./nodes.js";

export interface IngestOptions {
  /** How files larger than SINGLE_BLOB_MAX are cut (default content-defined). */
  chunking?: ChunkingMethod;
  /**
   * Files up to this many bytes (at most INLINE_LIMIT) are kept inside their directory
   * node instead of as blobs of their own (default 0: none). Most files of a store
   * path are small, and each blob is a file to create and open (or an S3 request):
   * inlining them makes ingestion and rendering several times cheaper, for a little
   * dedup (a changed small file rewrites its directory's node). One deployment should
   * keep one setting: the same tree ingested with another gets other directory digests.
   */
  inlineMax?: number;
}

export interface IngestResult {
  readonly root: CasNode;
  readonly narHash: Hash;
  readonly narSize: number;
  /** Bytes this ingestion added to the backend (objects it found present are not counted). */
  readonly storedBytes: number;
}

interface OpenDirectory {
  readonly entries: CasEntry[];
}

/** Collects one regular file's contents as blobs: whole if small, else in chunks. */
class FileIngester {
  private readonly pieces: Buffer[] = [];
  private received = 0;
  private readonly chunker: Chunker | undefined;
  private readonly chunks: ChunkRef[] = [];
  private readonly ready: Buffer[] = [];

  constructor(
    private readonly sink: CastoreSink,
    private readonly executable: boolean,
    private readonly size: number,
    chunking: ChunkingMethod,
    private readonly inline: boolean,
  ) {
    if (size > SINGLE_BLOB_MAX) this.chunker = createChunker(chunking);
  }

  async write(piece: Buffer): Promise<void> {
    this.received += piece.length;
    if (!this.chunker) {
      this.pieces.push(Buffer.from(piece));
      return;
    }
    this.chunker.push(piece, (chunk) => this.ready.push(chunk));
    await this.storeReadyChunks();
  }

  async end(): Promise<CasFile> {
    let node: CasFile;
    if (!this.chunker) {
      const contents = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.received);
      if (this.inline) return inlineFile(this.executable, contents);
      const digest = blake3Hex(contents);
      await this.sink.store("blob", digest, contents);
      node = { kind: "file", executable: this.executable, size: this.size, digest };
    } else {
      this.chunker.finish((chunk) => this.ready.push(chunk));
      await this.storeReadyChunks();
      // A large file is named by its chunk list, which names every chunk.
      const list = encodeChunkList(this.chunks);
      const digest = blake3Hex(list);
      await this.sink.store("list", digest, list);
      node = { kind: "file", executable: this.executable, size: this.size, digest };
    }
    return node;
  }

  private async storeReadyChunks(): Promise<void> {
    for (const chunk of this.ready) {
      const digest = blake3Hex(chunk);
      this.chunks.push({ size: chunk.length, digest });
      await this.sink.store("blob", digest, chunk);
    }
    this.ready.length = 0;
  }
}

/**
 * Turns NAR events into castore objects: file contents into blobs, each directory
 * (once its last entry is in) into a directory node. On a remote backend several puts
 * run at once (in any order); `drain` waits for all of them, and only then may the
 * caller write the path record, so a reader that finds the record finds every object.
 */
class CastoreSink implements NarSink {
  private readonly stack: OpenDirectory[] = [];
  root: CasNode | undefined;
  storedBytes = 0;
  /** Digests stored by this ingestion already: a repeated file costs nothing more. */
  private readonly seen = new Set<string>();
  private readonly inFlight: InFlight | undefined;

  constructor(
    private readonly backend: CastoreBackend,
    private readonly chunking: ChunkingMethod,
    private readonly inlineMax: number,
  ) {
    const parallelism = backend.parallelism ?? 1;
    if (parallelism > 1) this.inFlight = new InFlight(parallelism);
  }

  async store(kind: "blob" | "list" | "dir", digest: string, bytes: Buffer): Promise<void> {
    const id = `${kind}:${digest}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    // A present object is refreshed instead, so a concurrent GC spares it.
    const put = async () => {
      if (await this.backend.put(kind, digest, bytes)) this.storedBytes += bytes.length;
    };
    if (this.inFlight) await this.inFlight.run(put, bytes.length);
    else await put();
  }

  /** Waits for every put still running; throws the first that failed. */
  async drain(): Promise<void> {
    await this.inFlight?.drain();
  }

  /** Records a finished node: the root, or an entry of the innermost open directory. */
  private finishNode(path: NarPath, node: CasNode): void {
    const parent = this.stack[this.stack.length - 1];
    if (path.length === 0 || !parent) this.root = node;
    else parent.entries.push({ name: path[path.length - 1]!, node });
  }

  directory(): void {
    this.stack.push({ entries: [] });
  }

  async endDirectory(path: NarPath): Promise<void> {
    const { entries } = this.stack.pop()!;
    // The parser delivers entries sorted, as the encoding wants them.
    const { node, encoding } = directoryNode(entries);
    await this.store("dir", node.digest, encoding);
    this.finishNode(path, node);
  }

  file(path: NarPath, executable: boolean, size: number): NarFileSink {
    // Never the root: a path record names its root by digest.
    const inline = path.length > 0 && this.inlineMax > 0 && size <= this.inlineMax;
    const ingester = new FileIngester(this, executable, size, this.chunking, inline);
    return {
      write: (piece) => ingester.write(piece),
      end: async () => this.finishNode(path, await ingester.end()),
    };
  }

  symlink(path: NarPath, target: Buffer): void {
    this.finishNode(path, { kind: "symlink", target: Buffer.from(target) });
  }
}

/** Passes chunks through while hashing them, so the NAR hash costs no second pass. */
async function* hashing(source: ByteSource, sink: HashSink): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    sink.update(chunk);
    yield chunk;
  }
}

/**
 * Ingests a NAR stream into the castore (validating it strictly) and returns its root
 * node, NAR hash (sha256) and size, computed in the same single pass.
 */
export async function ingestNar(backend: CastoreBackend, source: ByteSource, options: IngestOptions = {}): Promise<IngestResult> {
  const narHash = new HashSink("sha256");
  const inlineMax = Math.min(options.inlineMax ?? 0, INLINE_LIMIT);
  const sink = new CastoreSink(backend, options.chunking ?? "cdc", inlineMax);
  let size: number;
  try {
    ({ size } = await parseNar(hashing(source, narHash), sink));
  } finally {
    // Even after a failure: no put may still be running once this returns.
    await sink.drain().catch(() => undefined);
  }
  await sink.drain();
  return { root: sink.root!, narHash: narHash.finish(), narSize: size, storedBytes: sink.storedBytes };
}

/** Ingests a file-system tree (a store path on disk) by streaming its NAR. */
export async function ingestPath(backend: CastoreBackend, path: string, options: IngestOptions = {}): Promise<IngestResult> {
  return ingestNar(backend, dumpNarSync(path), options);
}
