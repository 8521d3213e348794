import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { loadConfig, startServer } from "../../server/index.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the registry (configuration from the environment)",
  async run(args) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    const config = loadConfig(process.env);
    const server = await startServer(config);
    const stop = () => {
      void server.close().then(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // Keep running until a signal arrives.
    await new Promise<never>(() => {});
    return 0;
  },
};
