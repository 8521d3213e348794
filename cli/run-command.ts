import type { Command } from "./command.js";
import { CliError } from "./errors.js";

/**
 * Runs one loaded command and turns its errors into `error: …` lines and an exit code.
 * Its own module so that the instantiate-only start-up bundle (scripts/build-code-cache.mjs)
 * shares it without reaching main.ts's table of every command.
 */
export async function runCommand(load: () => Promise<Command>, args: string[]): Promise<number> {
  try {
    const command = await load();
    return await command.run(args);
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
