import { closeSync, openSync, readSync } from "node:fs";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import {
  HashSink,
  SysError,
  compressHash,
  encodeBase32,
  isHashAlgo,
  narHashAndSize,
  type Hash,
  type HashAlgo,
} from "../../store/index.js";

type Format = "base16" | "base32" | "sri";

interface HashOptions {
  algo: HashAlgo;
  format: Format;
  flat: boolean;
  truncate: boolean;
  paths: string[];
}

/** Like nix-hash, but the default is what Lading needs most: sha256 in nixbase32. */
function parseArgs(args: string[]): HashOptions {
  const options: HashOptions = { algo: "sha256", format: "base32", flat: false, truncate: false, paths: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      options.paths.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-")) options.paths.push(arg);
    else if (arg === "--type") {
      const algo = args[++i];
      if (algo === undefined) throw new UsageError("flag '--type' requires 1 argument");
      if (!isHashAlgo(algo)) throw new UsageError(`unknown hash algorithm '${algo}'`);
      options.algo = algo;
    } else if (arg === "--base16") options.format = "base16";
    else if (arg === "--base32") options.format = "base32";
    else if (arg === "--sri") options.format = "sri";
    else if (arg === "--flat") options.flat = true;
    else if (arg === "--truncate") options.truncate = true;
    else throw new UsageError(`unrecognised flag '${arg}'`);
  }
  if (options.truncate && options.format === "sri") throw new UsageError("'--truncate' cannot be combined with '--sri'");
  return options;
}

const READ_SIZE = 1 << 20;

/** The hash of a file's contents (following symlinks, as nix-hash --flat does). */
function hashFile(path: string, algo: HashAlgo): Hash {
  let fd;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new SysError("opening file", path, err);
  }
  try {
    const sink = new HashSink(algo);
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      let got;
      try {
        got = readSync(fd, buffer, 0, READ_SIZE, null);
      } catch (err) {
        throw new SysError("reading from file", path, err);
      }
      if (got === 0) return sink.finish();
      sink.update(buffer.subarray(0, got));
    }
  } finally {
    closeSync(fd);
  }
}

function render(hash: Hash, options: HashOptions): string {
  if (options.format === "sri") return hash.toSri();
  // --truncate folds the digest to 160 bits, as store path hashes are.
  const bytes = options.truncate && hash.bytes.length > 20 ? compressHash(hash.bytes, 20) : hash.bytes;
  return options.format === "base32" ? encodeBase32(bytes) : Buffer.from(bytes).toString("hex");
}

export const storeHashCommand: Command = {
  name: "hash",
  summary: "hash the NAR of each PATH (nix-hash --type sha256 --base32); --type, --base16, --sri, --flat",
  async run(args) {
    const options = parseArgs(args);
    for (const path of options.paths) {
      const hash = options.flat ? hashFile(path, options.algo) : narHashAndSize(path, options.algo).hash;
      process.stdout.write(`${render(hash, options)}\n`);
    }
    return 0;
  },
};
