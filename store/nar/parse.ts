import {
  MAX_KEYWORD_LENGTH,
  NAR_MAGIC,
  NAR_MAX_DEPTH,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
  NarError,
  showBytes,
} from "./format.js";
import { NarByteReader, keyword as prepare, type ByteSource, type Keyword } from "./reader.js";

type Awaitable<T> = T | Promise<T>;

/** Where a node sits: the entry names from the root down ([] is the root itself). */
export type NarPath = readonly Buffer[];

/** Receives one regular file's contents, in order, while the archive streams past. */
export interface NarFileSink {
  /** `piece` is only valid during the call: copy it to keep it. */
  write(piece: Buffer): Awaitable<void>;
  end(): Awaitable<void>;
}

/**
 * What a NAR describes, event by event, in archive order. A directory's `directory`
 * comes before its entries and `endDirectory` after them; entries arrive sorted.
 */
export interface NarSink {
  directory(path: NarPath): Awaitable<void>;
  endDirectory?(path: NarPath): Awaitable<void>;
  /** Returns where the contents go; undefined skips them. */
  file(path: NarPath, executable: boolean, size: number): Awaitable<NarFileSink | undefined>;
  symlink(path: NarPath, target: Buffer): Awaitable<void>;
}

export interface NarSummary {
  /** Bytes in the archive. */
  size: number;
}

// Each set of keywords that may come next, prepared once.
const K_OPEN = [prepare("(")];
const K_CLOSE = [prepare(")")];
const K_TYPE = [prepare("type")];
const K_NODE_TYPE = [prepare("regular"), prepare("symlink"), prepare("directory")];
const K_EXECUTABLE_OR_CONTENTS = [prepare("executable"), prepare("contents")];
const K_CONTENTS = [prepare("contents")];
const K_TARGET = [prepare("target")];
const K_ENTRY_OR_CLOSE = [prepare("entry"), prepare(")")];
const K_NAME = [prepare("name")];
const K_NODE = [prepare("node")];

interface DirFrame {
  readonly path: Buffer[];
  previous: Buffer | undefined;
}

function checkName(name: Buffer, offset: number): void {
  const bad =
    name.length === 0 ||
    (name.length === 1 && name[0] === 0x2e) ||
    (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) ||
    name.includes(0x2f) ||
    name.includes(0);
  if (bad) throw new NarError(`invalid file name '${showBytes(name)}'`, offset);
}

/**
 * Parses and strictly validates a NAR from a stream, reporting its contents to `sink`.
 * Only the canonical form `nix-store --dump` writes is accepted: any other token,
 * unsorted or duplicate entries, names that could escape a directory, non-zero
 * padding, absurd lengths and bytes after the root node are errors (NarError, with
 * the byte offset). File contents stream through; nothing else is buffered.
 */
export async function parseNar(source: ByteSource, sink: NarSink): Promise<NarSummary> {
  const reader = new NarByteReader(source);
  const keyword = <K extends string>(expected: readonly Keyword<K>[]) => reader.expectKeyword(expected, MAX_KEYWORD_LENGTH);

  const magicLength = await reader.readU64().catch(() => -1);
  if (magicLength !== NAR_MAGIC.length || (await reader.readBytes(magicLength).catch(() => null))?.toString() !== NAR_MAGIC) {
    throw new NarError("input doesn't look like a Nix archive", 0);
  }
  await reader.readPadding(NAR_MAGIC.length);

  const stack: DirFrame[] = [];

  /** Parses a node up to its end, or — for a directory — up to its first entry. */
  const beginNode = async (path: Buffer[]): Promise<void> => {
    await keyword(K_OPEN);
    await keyword(K_TYPE);
    const type = await keyword(K_NODE_TYPE);
    if (type === "regular") {
      let executable = false;
      if ((await keyword(K_EXECUTABLE_OR_CONTENTS)) === "executable") {
        const at = reader.offset;
        if ((await reader.readString(MAX_KEYWORD_LENGTH, "executable marker")).length !== 0) {
          throw new NarError("the 'executable' marker must be followed by an empty string", at);
        }
        executable = true;
        await keyword(K_CONTENTS);
      }
      const size = await reader.readU64();
      const out = await sink.file(path, executable, size);
      await reader.stream(size, out ? (piece) => out.write(piece) : () => {});
      await reader.readPadding(size);
      await out?.end();
      await keyword(K_CLOSE);
    } else if (type === "symlink") {
      await keyword(K_TARGET);
      const at = reader.offset;
      const target = await reader.readString(NAR_MAX_TARGET_LENGTH, "symlink target");
      if (target.length === 0 || target.includes(0)) throw new NarError("invalid symlink target", at);
      await sink.symlink(path, target);
      await keyword(K_CLOSE);
    } else {
      if (path.length > NAR_MAX_DEPTH) throw new NarError(`directories nested deeper than ${NAR_MAX_DEPTH}`, reader.offset);
      await sink.directory(path);
      stack.push({ path, previous: undefined });
    }
  };

  await beginNode([]);
  for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
    if ((await keyword(K_ENTRY_OR_CLOSE)) === ")") {
      stack.pop();
      await sink.endDirectory?.(frame.path);
      if (stack.length > 0) await keyword(K_CLOSE); // closes the entry holding this directory
      continue;
    }
    await keyword(K_OPEN);
    await keyword(K_NAME);
    const at = reader.offset;
    const name = await reader.readString(NAR_MAX_NAME_LENGTH, "file name");
    checkName(name, at);
    if (frame.previous) {
      const order = Buffer.compare(frame.previous, name);
      if (order === 0) throw new NarError(`duplicate entry '${showBytes(name)}'`, at);
      if (order > 0) throw new NarError(`entry '${showBytes(name)}' is out of order after '${showBytes(frame.previous)}'`, at);
    }
    frame.previous = name;
    await keyword(K_NODE);
    const depth = stack.length;
    await beginNode([...frame.path, name]);
    if (stack.length === depth) await keyword(K_CLOSE); // a file or symlink entry ends here
  }

  if (!(await reader.atEnd())) throw new NarError("trailing data after the archive", reader.offset);
  return { size: reader.offset };
}

/** Checks that `source` is a well-formed NAR without keeping any of it. */
export async function validateNar(source: ByteSource): Promise<NarSummary> {
  return parseNar(source, {
    directory() {},
    file() {
      return undefined;
    },
    symlink() {},
  });
}
