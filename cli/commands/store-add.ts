import { basename } from "node:path";
import type { Command } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { DEFAULT_STORE_DIR, makeSourcePath, narHashAndSize } from "../../store/index.js";

export const storeAddCommand: Command = {
  name: "add",
  summary: "print the store path `nix-store --add PATH` gives (--dry-run)",
  async run(args) {
    let dryRun = false;
    const paths: string[] = [];
    for (const arg of args) {
      if (arg === "--dry-run") dryRun = true;
      else if (arg.startsWith("-")) throw new UsageError(`unrecognised flag '${arg}'`);
      else paths.push(arg);
    }
    if (!dryRun) {
      throw new CliError("adding to the local store is not available yet (it arrives with the builder); use --dry-run");
    }
    // Like nix-store --add: each path in turn, a "source" path named after its base name.
    const storeDir = process.env.NIX_STORE_DIR ?? DEFAULT_STORE_DIR;
    for (const path of paths) {
      const name = basename(path);
      const { hash } = narHashAndSize(path, "sha256");
      process.stdout.write(`${makeSourcePath(name, hash, {}, storeDir).render(storeDir)}\n`);
    }
    return 0;
  },
};
