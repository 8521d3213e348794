import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { loadConfig, startServer } from "../../server/index.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the registry (configuration from the environment)",
  async run(args) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    // SIGTERM/SIGINT drain and exit through the server's graceful shutdown (server/operations).
    await startServer(loadConfig(process.env));
    await new Promise<never>(() => {});
    return 0;
  },
};
