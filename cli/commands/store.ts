import type { Command } from "../command.js";
import { UsageError } from "../errors.js";

// Subcommands are added as the store primitives land (dump, restore, hash, add).
const SUBCOMMANDS: readonly Command[] = [];

export const storeCommand: Command = {
  name: "store",
  summary: "store primitives: dump, restore, hash, add",
  async run(args) {
    const [name, ...rest] = args;
    const sub = SUBCOMMANDS.find((c) => c.name === name);
    if (!sub) throw new UsageError(`unknown store subcommand '${name ?? ""}'; expected one of: dump, restore, hash, add`);
    return sub.run(rest);
  },
};
