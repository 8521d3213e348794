/**
 * `lading build [FILE] [-A ATTR] [-E EXPR] [--arg …] [--argstr …] [-I …]`: like
 * `nix-build --no-out-link`. Evaluates, writes the derivations into the local store,
 * realises each selected output (substituted from the configured caches, else built
 * locally) and prints the output paths, one per line.
 *
 * With a castore configured for it (see `buildCastore`), paths other replicas or
 * earlier builds put there are taken from it before any binary cache is asked, and
 * what this command realises is published into it.
 */
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { parseInstantiateArgs } from "./instantiate.js";
import { BuildProgress } from "./build-progress.js";
import type { InstantiateOptions } from "../../evaluator/index.js";
import type { CastoreConfig } from "../../storage/index.js";

/** Flags nix-build takes that make no sense for `lading build`. */
const REFUSED = new Set(["--eval", "--eval-only", "--parse", "--parse-only", "--json", "--xml", "--strict", "--readonly-mode", "--dry-run", "-"]);

export function parseBuildArgs(args: string[]): InstantiateOptions {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--no-out-link") continue;
    if (a === "-o" || a === "--out-link") throw new UsageError(`'${a}' is not supported: lading build prints output paths and makes no links`);
    if (REFUSED.has(a)) throw new UsageError(`unrecognised flag '${a}'`);
    rest.push(a);
    // Keep the arguments of flags that take some, so they are never read as flags here.
    const takes = a === "--arg" || a === "--argstr" ? 2 : a === "-A" || a === "--attr" || a === "-I" || a === "--include" ? 1 : 0;
    for (let k = 0; k < takes && i + 1 < args.length; k++) rest.push(args[++i]!);
  }
  return parseInstantiateArgs(rest);
}

/** One selected output of an instantiate line: `/nix/store/…drv` or `/nix/store/…drv!dev`. */
export function parseDrvLine(line: string): { drvPath: string; output: string } {
  const bang = line.indexOf("!");
  return bang < 0 ? { drvPath: line, output: "out" } : { drvPath: line.slice(0, bang), output: line.slice(bang + 1) };
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

export const buildCommand: Command = {
  name: "build",
  summary: "evaluate, realise and print output paths, like nix-build --no-out-link",
  async run(args) {
    const options = parseBuildArgs(args);
    const [{ builderConfigFromEnv, openBuilderStore, SandboxedBuilder, StoreRealiser }, { instantiateIntoStore }, { parseStorePath }] = await Promise.all([
      import("../../builder/index.js"),
      import("./instantiate-drv-store.js"),
      import("../../store/index.js"),
    ]);
    const config = builderConfigFromEnv();
    const castoreConfig = await buildCastore(process.env, config.dataDir);
    const opened = castoreConfig ? await (await import("../../storage/index.js")).openCastoreBackend(castoreConfig) : undefined;
    const { store, substituter, castore } = await openBuilderStore(config, {}, opened?.backend, opened?.ingest);
    const progress = new BuildProgress(process.stderr, store.storeDir);
    try {
      const { result } = await instantiateIntoStore(store, config.dataDir, options);
      // The GC warning is nix-instantiate's; nix-build does not print it.
      const stderr = result.stderr.replace(/^warning: you did not specify '--add-root'.*\n/m, "");
      if (stderr) process.stderr.write(Buffer.from(stderr, "latin1"));
      if (result.exitCode !== 0) return result.exitCode;

      substituter.on("event", (e) => progress.onSubstitution(e));
      const builder = new SandboxedBuilder(store, { onEvent: (e) => progress.onBuild(e), warn: (m) => progress.note(`warning: ${m}`) });
      // Outputs must end up on this disk (useInPlace false); the castore is one more source and a place to publish to.
      const shared = castore ? { castore, useInPlace: false, onError: (e: Error) => progress.note(`warning: castore: ${e.message}`) } : undefined;
      const realiser = new StoreRealiser(store, substituter, builder, shared);
      const wanted = result.stdout.split("\n").filter((l) => l !== "").map(parseDrvLine);
      const outputs = await Promise.all(
        wanted.map(async ({ drvPath, output }) => {
          const built = await realiser.realise(parseStorePath(drvPath, store.storeDir), [output]);
          return built.get(output)!.render(store.storeDir);
        }),
      );
      progress.finish();
      if (outputs.length > 0) process.stdout.write(outputs.join("\n") + "\n");
      return 0;
    } catch (err) {
      progress.finish();
      process.stderr.write(`error: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
      if (process.env.LADING_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      return 1;
    } finally {
      await store.close();
      await opened?.close();
    }
  },
};

/**
 * The castore `lading build` uses: the shared one when S3 is configured
 * (`LADING_S3_BUCKET`, as the registry's replicas use it), a local one only when asked
 * for (`LADING_CASTORE=filesystem` or `LADING_CASTORE_DIR`), none with
 * `LADING_CASTORE=off`. A local castore is not the default here, unlike the registry's:
 * the command's outputs are unpacked into the store anyway, so it would be a second
 * copy of everything built.
 */
export async function buildCastore(env: NodeJS.ProcessEnv, dataDir: string): Promise<CastoreConfig | undefined> {
  const mode = (env.LADING_CASTORE ?? "").toLowerCase();
  if (mode === "off") return undefined;
  if (mode !== "filesystem" && !env.LADING_S3_BUCKET && !env.LADING_CASTORE_DIR) return undefined;
  const { castoreConfigFromEnv } = await import("../../storage/index.js");
  return castoreConfigFromEnv({ ...env, LADING_DATA_DIR: dataDir });
}
