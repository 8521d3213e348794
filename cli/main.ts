import type { Command } from "./command.js";
import { CliError } from "./errors.js";
import { serveCommand } from "./commands/serve.js";
import { storeCommand } from "./commands/store.js";
import { instantiateCommand } from "./commands/instantiate.js";

const COMMANDS: readonly Command[] = [serveCommand, storeCommand, instantiateCommand];

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`);
  return `usage: lading <command> [args]\n\ncommands:\n${lines.join("\n")}\n`;
}

/** Entry point of `bin/lading`; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new CliError(`unknown command '${name}'; try 'lading --help'`);
    return await command.run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    if (process.env.LADING_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
