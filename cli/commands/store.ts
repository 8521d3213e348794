import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { storeDumpCommand } from "./store-dump.js";
import { storeHashCommand } from "./store-hash.js";
import { storeRestoreCommand } from "./store-restore.js";
import { storeAddCommand } from "./store-add.js";
import { storeGcCommand } from "./store-gc.js";

const SUBCOMMANDS: readonly Command[] = [storeDumpCommand, storeRestoreCommand, storeHashCommand, storeAddCommand, storeGcCommand];

export const storeCommand: Command = {
  name: "store",
  summary: "store primitives: dump, restore, hash, add, gc",
  async run(args) {
    const [name, ...rest] = args;
    const sub = SUBCOMMANDS.find((c) => c.name === name);
    if (!sub) throw new UsageError(`unknown store subcommand '${name ?? ""}'; expected one of: dump, restore, hash, add, gc`);
    return sub.run(rest);
  },
};
