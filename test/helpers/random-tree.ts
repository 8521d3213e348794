import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { mulberry32 } from "./random.js";

/** A seeded PRNG (mulberry32): the same seed gives the same run. */
export const seededRandom = mulberry32;

const b = (s: string) => Buffer.from(s);

/**
 * Names chosen to catch ordering and encoding mistakes: byte order differs from locale
 * order (`B` < `a`), from UTF-16 order (U+FB00 `ﬀ` sorts before an emoji by bytes, after
 * it by UTF-16 code units), prefixes (`a` < `a-` < `ab`), and names that are not UTF-8.
 */
export const TRICKY_NAMES: readonly Buffer[] = [
  b("a"),
  b("B"),
  b("a-"),
  b("ab"),
  b("A"),
  b("_"),
  b("~"),
  b(".hidden"),
  b("..."),
  b("space name"),
  b("é"),
  b("e\u0301"),
  b("日本語"),
  b("\u{1F600}"),
  b("\uFB00"),
  b("\uFFFD"),
  b("z".repeat(200)),
  Buffer.from([0xff, 0x41]),
  Buffer.from([0xc3]),
  Buffer.from([0x80, 0x80]),
  Buffer.from([0x01, 0x7f]),
];

const LINK_TARGETS: readonly Buffer[] = [
  b("/etc/passwd"),
  b("/"),
  b(".."),
  b("../.."),
  b("../../../../../../tmp"),
  b("does/not/exist"),
  b("a"),
  b("./."),
  Buffer.from([0xfe, 0x2f, 0xff]),
  b("x".repeat(1000)),
];

export interface TreeOptions {
  /** Roughly how many nodes to create. */
  nodes: number;
  /** Largest regular file in bytes. */
  maxFileSize: number;
  /** Depth of one extra chain of nested directories. */
  deepChain: number;
}

const DEFAULTS: TreeOptions = { nodes: 150, maxFileSize: 300_000, deepChain: 40 };

function randomBytes(random: () => number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) {
    const word = (random() * 0x1_0000_0000) >>> 0;
    for (let k = 0; k < 4 && i + k < size; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
  }
  return out;
}

/**
 * Writes a random tree under `root` (which must not exist): directories (some empty),
 * files of many sizes (empty, unaligned, large) with assorted permission bits, and
 * symlinks pointing anywhere (absolute, dangling, `..`, non-UTF-8).
 */
export function writeRandomTree(root: Buffer | string, seed: number, options: Partial<TreeOptions> = {}): void {
  const { nodes, maxFileSize, deepChain } = { ...DEFAULTS, ...options };
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const rootBuf = Buffer.from(root);
  const join = (dir: Buffer, name: Buffer) => Buffer.concat([dir, b("/"), name]);
  mkdirSync(rootBuf);
  const dirs: Buffer[] = [rootBuf];
  const used = new Set<string>();
  const freshName = (dir: Buffer): Buffer => {
    for (;;) {
      const name = random() < 0.6 ? pick(TRICKY_NAMES) : b(`n${Math.floor(random() * 1000)}`);
      const key = join(dir, name).toString("hex");
      if (!used.has(key)) {
        used.add(key);
        return name;
      }
    }
  };
  for (let i = 0; i < nodes; i++) {
    const dir = pick(dirs);
    const path = join(dir, freshName(dir));
    const kind = random();
    if (kind < 0.2) {
      mkdirSync(path);
      dirs.push(path);
    } else if (kind < 0.35) {
      symlinkSync(pick(LINK_TARGETS), path);
    } else {
      const sizeClass = random();
      const size =
        sizeClass < 0.15 ? 0 : sizeClass < 0.8 ? Math.floor(random() * 300) : Math.floor(random() * maxFileSize);
      writeFileSync(path, randomBytes(random, size));
      // Only the owner x bit makes a file executable in a NAR (CppNix); other bits are not stored.
      chmodSync(path, pick([0o644, 0o600, 0o444, 0o755, 0o700, 0o100, 0o010, 0o001, 0o4755]));
    }
  }
  let deep = rootBuf;
  for (let depth = 0; depth < deepChain; depth++) {
    deep = join(deep, b(`d${depth % 3}`));
    mkdirSync(deep);
  }
  writeFileSync(join(deep, b("bottom")), "deep\n");
}
