import type { Command } from "./command.js";
import { CliError } from "./errors.js";
import { runCommand } from "./run-command.js";

/** Commands load on demand, so `lading store dump` does not pay for fastify or the evaluator. */
interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: "serve",
    summary: "run the registry (configuration from the environment)",
    load: async () => (await import("./commands/serve.js")).serveCommand,
  },
  {
    name: "store",
    summary: "store primitives: dump, restore, hash, add, gc",
    load: async () => (await import("./commands/store.js")).storeCommand,
  },
  {
    name: "instantiate",
    summary: "evaluate Nix expressions and instantiate derivations, like nix-instantiate",
    load: async () => (await import("./commands/instantiate.js")).instantiateCommand,
  },
  {
    name: "build",
    summary: "evaluate, realise (substitute or build) and print output paths, like nix-build --no-out-link",
    load: async () => (await import("./commands/build.js")).buildCommand,
  },
  {
    name: "image",
    summary: "build the image the registry would serve into an OCI layout: image NAME[:TAG] --oci DIR",
    load: async () => (await import("./commands/image.js")).imageCommand,
  },
];

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
  const entry = COMMANDS.find((c) => c.name === name);
  const load = entry ? entry.load : () => Promise.reject(new CliError(`unknown command '${name}'; try 'lading --help'`));
  return runCommand(load, rest);
}
