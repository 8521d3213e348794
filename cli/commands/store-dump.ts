import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { writeNarToFd } from "../../store/index.js";

const STDOUT = 1;

function isBrokenPipe(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "EPIPE";
}

export const storeDumpCommand: Command = {
  name: "dump",
  summary: "write the NAR serialisation of PATH to stdout (nix-store --dump)",
  async run(args) {
    const paths = args[0] === "--" ? args.slice(1) : args;
    if (paths.length !== 1 || (args[0] !== "--" && paths[0]!.startsWith("-"))) {
      throw new UsageError("'store dump' takes exactly one PATH");
    }
    try {
      writeNarToFd(paths[0]!, STDOUT);
    } catch (err) {
      // The reader went away (`| head`): nothing useful to say, but the dump is incomplete.
      if (isBrokenPipe(err)) return 1;
      throw err;
    }
    return 0;
  },
};
