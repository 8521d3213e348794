import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { FsCastoreBackend, gcCastore } from "../../store/index.js";
import { castoreConfigFromEnv, openCastoreBackend, type OpenedCastore } from "../../storage/index.js";

const DEFAULT_GRACE_SECONDS = 3600;

interface GcArgs {
  /** A local castore directory; else the configured castore (LADING_CASTORE_DIR, or S3 + Redis). */
  castore: string | undefined;
  graceSeconds: number;
  keep: string[] | undefined;
  dryRun: boolean;
}

function parseArgs(args: string[]): GcArgs {
  const parsed: GcArgs = { castore: undefined, graceSeconds: DEFAULT_GRACE_SECONDS, keep: undefined, dryRun: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new UsageError(`flag '${arg}' requires 1 argument`);
      return next;
    };
    if (arg === "--castore") parsed.castore = value();
    else if (arg === "--grace") {
      const text = value();
      parsed.graceSeconds = Number(text);
      if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`'--grace' wants a number of seconds, not '${text}'`);
    } else if (arg === "--keep") (parsed.keep ??= []).push(value());
    else if (arg === "--dry-run") parsed.dryRun = true;
    else throw new UsageError(`unrecognised flag '${arg}'`);
  }
  return parsed;
}

export const storeGcCommand: Command = {
  name: "gc",
  summary:
    "delete castore objects no path record reaches and older than --grace SECONDS (default 3600); --keep PATH (repeatable) drops every other path record; --castore DIR (default: the configured castore, shared S3 + Redis included); --dry-run",
  async run(args) {
    const options = parseArgs(args);
    const opened: OpenedCastore =
      options.castore === undefined
        ? await openCastoreBackend(castoreConfigFromEnv(process.env))
        : { backend: new FsCastoreBackend(options.castore), ingest: {}, description: "filesystem", close: async () => undefined };
    let report;
    try {
      report = await gcCastore(opened.backend, options.keep ?? "all", { graceMs: options.graceSeconds * 1000, dryRun: options.dryRun });
    } finally {
      await opened.close();
    }
    const { blob, list, dir, path } = report.deleted;
    const verb = options.dryRun ? "would delete" : "deleted";
    process.stdout.write(
      `${verb} ${blob} blobs, ${list} chunk lists, ${dir} directories, ${path} path records (${report.deletedBytes} bytes); ` +
        `${report.live} live objects; ${report.spared} unreachable but younger than the grace period; ` +
        `${report.staleRemoved} leftovers of crashed writers cleaned up (${opened.description})\n`,
    );
    return 0;
  },
};
