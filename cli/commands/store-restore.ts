import { createReadStream } from "node:fs";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { restoreNar } from "../../store/index.js";

const STDIN = 0;

export const storeRestoreCommand: Command = {
  name: "restore",
  summary: "unpack a NAR from stdin into DIR, which must not exist (nix-store --restore)",
  async run(args) {
    const paths = args[0] === "--" ? args.slice(1) : args;
    if (paths.length !== 1 || (args[0] !== "--" && paths[0]!.startsWith("-"))) {
      throw new UsageError("'store restore' takes exactly one DIR");
    }
    // Large reads: the parser streams file contents through in these pieces.
    const input = createReadStream("", { fd: STDIN, highWaterMark: 1 << 20, autoClose: false });
    await restoreNar(input, paths[0]!);
    return 0;
  },
};
