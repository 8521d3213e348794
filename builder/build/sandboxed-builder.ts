import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { cp, lstat, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dumpNar, parseDerivation, parseStorePath, restoreNar, type Derivation, type StorePath } from "../../store/index.js";
import { removeTree } from "../local-store/fs-util.js";
import type { LocalStore } from "../local-store/index.js";
import type { BuildRequest, LocalBuilder } from "../realiser.js";
import { Limiter } from "../substituter/index.js";
import { SANDBOX_BUILD_DIR, builderEnvironment, stringsAttr } from "./environment.js";
import type { BuildEvent, BuildEventListener } from "./events.js";
import { exportReferencesGraph } from "./export-references.js";
import { builtinFetchurl } from "./fetchurl.js";
import { cannotBuildHere } from "./platform.js";
import { fallbackPath, rewriteStream, rewriteString } from "./rewrite.js";
import { BuildError, registerOutputs } from "./outputs.js";
import { baseName, bwrapArguments, sandboxEtcFiles, sandboxSupport, type HostPath } from "./sandbox.js";
import { buildSettingsFromEnv, type BuildSettings } from "./settings.js";

export interface SandboxedBuilderOptions extends Partial<BuildSettings> {
  /** Progress of every build (see BuildEvent). */
  onEvent?: BuildEventListener;
  /** Where a fixed-output derivation's `impureEnvVars` are read (default process.env). */
  hostEnv?: NodeJS.ProcessEnv;
  /** Where the unsandboxed-mode warning goes (default process.emitWarning). */
  warn?: (message: string) => void;
}

/** Lines of the log quoted in a build failure. */
const LOG_TAIL_LINES = 10;

/**
 * Builds derivations locally, each in a bubblewrap sandbox that shows the builder
 * only its input closure at the store directory, a private /build, /dev, /proc and a
 * minimal /etc; the network only for fixed-output derivations. Without bwrap (or
 * namespaces), or with `LADING_SANDBOX=false`, builders run on the host with a
 * warning. Outputs are checked and registered by registerOutputs.
 */
export class SandboxedBuilder implements LocalBuilder {
  readonly settings: BuildSettings;
  private readonly limiter: Limiter;
  private readonly onEvent: BuildEventListener;
  private readonly hostEnv: NodeJS.ProcessEnv;
  private readonly warn: (message: string) => void;
  private warned = false;

  constructor(
    private readonly store: LocalStore,
    options: SandboxedBuilderOptions = {},
  ) {
    const defaults = buildSettingsFromEnv();
    this.settings = {
      sandbox: options.sandbox ?? defaults.sandbox,
      timeoutSeconds: options.timeoutSeconds ?? defaults.timeoutSeconds,
      maxJobs: options.maxJobs ?? defaults.maxJobs,
      cores: options.cores ?? defaults.cores,
      logDir: options.logDir ?? defaults.logDir,
      sandboxPaths: options.sandboxPaths ?? defaults.sandboxPaths,
    };
    this.limiter = new Limiter(this.settings.maxJobs);
    this.onEvent = options.onEvent ?? (() => {});
    this.hostEnv = options.hostEnv ?? process.env;
    this.warn = options.warn ?? ((m) => process.emitWarning(m));
  }

  /** Whether builds run sandboxed; decides once, warning when they will not. */
  useSandbox(): boolean {
    if (this.settings.sandbox === false) {
      this.warnOnce("LADING_SANDBOX=false: builders run UNSANDBOXED on the host (they see the whole file system and the network)");
      return false;
    }
    const support = sandboxSupport();
    if (support.available) return true;
    if (this.settings.sandbox === true) throw new BuildError(`sandboxed builds were required but are not possible: ${support.reason}`);
    this.warnOnce(`builders run UNSANDBOXED on the host: ${support.reason}`);
    return false;
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.warn(message);
  }

  /** The log file of a derivation's last build. */
  logPath(drvPath: StorePath): string {
    return join(this.settings.logDir, `${drvPath.baseName}.log`);
  }

  build(request: BuildRequest): Promise<void> {
    return this.limiter.run(() => this.buildNow(request));
  }

  private emit(event: BuildEvent): void {
    try {
      this.onEvent(event);
    } catch {
      // A display's failure must not fail the build.
    }
  }

  private async buildNow({ drvPath, drv }: BuildRequest): Promise<void> {
    const store = this.store;
    const drvName = drvPath.render(store.storeDir);
    const outputs = new Map<string, StorePath>();
    for (const [name, output] of drv.outputs) outputs.set(name, parseStorePath(output.path, store.storeDir));
    const refusal = cannotBuildHere(drv, drvName);
    if (refusal) throw new BuildError(refusal);
    const inputClosure = await this.inputClosure(drv);
    const release = store.protect(inputClosure);
    const started = Date.now();
    const logPath = this.logPath(drvPath);
    await mkdir(this.settings.logDir, { recursive: true });
    const log = createWriteStream(logPath);
    const lines = new LineSplitter((line) => this.emit({ type: "build-log-line", drvPath: drvName, line }));
    let scratch: string | undefined;
    try {
      scratch = await store.makeScratchDir("build-");
      const builtDir = join(scratch, "store");
      await mkdir(builtDir);
      const builtin = drv.builder.startsWith("builtin:");
      const sandboxed = builtin ? false : this.useSandbox();
      this.emit({ type: "build-started", drvPath: drvName, name: drvPath.name.replace(/\.drv$/, ""), sandboxed, logPath });
      if (drv.builder === "builtin:fetchurl") {
        const out = outputs.get("out");
        if (!out || outputs.size !== 1) throw new BuildError(`'${drvName}': builtin:fetchurl needs exactly one output, 'out'`);
        await builtinFetchurl(drv.env, join(builtDir, out.baseName), (line) => {
          log.write(`${line}\n`);
          lines.push(`${line}\n`);
        });
      } else if (builtin) {
        throw new BuildError(`unsupported builtin builder '${drv.builder.slice("builtin:".length)}'`);
      } else {
        await this.runBuilder(drvName, drv, outputs, inputClosure, scratch, builtDir, sandboxed, log, lines, logPath);
      }
      const fixed = new Map<string, { hashAlgo: string; hash: string }>();
      for (const [name, o] of drv.outputs) if (o.hash !== "") fixed.set(name, o);
      const infos = await registerOutputs({ store, drvPath, drv, outputs, fixed, builtDir, inputClosure, scratch });
      this.emit({
        type: "build-finished",
        drvPath: drvName,
        outputs: Object.fromEntries([...infos].map(([n, i]) => [n, i.path.render(store.storeDir)])),
        durationMs: Date.now() - started,
      });
    } catch (err) {
      lines.flush();
      const error = err instanceof Error ? err : new Error(String(err));
      log.write(`error: ${error.message}\n`);
      this.emit({ type: "build-failed", drvPath: drvName, error, logPath, durationMs: Date.now() - started });
      throw error;
    } finally {
      release();
      await new Promise((r) => log.end(r));
      if (scratch) await removeTree(scratch).catch(() => {});
    }
  }

  /** The closure of the wanted outputs of the input derivations and of the input sources. */
  private async inputClosure(drv: Derivation): Promise<StorePath[]> {
    const store = this.store;
    const roots: StorePath[] = drv.inputSrcs.map((s) => parseStorePath(s, store.storeDir));
    for (const [inputDrv, names] of drv.inputDrvs) {
      const input = parseDerivation(await readFile(store.realPath(parseStorePath(inputDrv, store.storeDir)), "latin1"));
      for (const name of names) {
        const output = input.outputs.get(name);
        if (!output) throw new BuildError(`derivation '${inputDrv}' has no output '${name}'`);
        roots.push(parseStorePath(output.path, store.storeDir));
      }
    }
    return store.computeClosure(roots);
  }

  private async runBuilder(
    drvName: string,
    drv: Derivation,
    outputs: ReadonlyMap<string, StorePath>,
    inputClosure: readonly StorePath[],
    scratch: string,
    builtDir: string,
    sandboxed: boolean,
    log: WriteStream,
    lines: LineSplitter,
    logPath: string,
  ): Promise<void> {
    const store = this.store;
    const storeDir = store.storeDir;
    const hostBuildDir = join(scratch, "top");
    await mkdir(hostBuildDir, { mode: 0o700 });
    // Unsandboxed, an output whose location is taken on the host is built under another
    // hash part and rewritten afterwards (as CppNix does); everything the builder is
    // given names the paths it builds.
    const buildOutputs = sandboxed ? outputs : await this.prepareUnsandboxed(drvName, inputClosure, outputs);
    const rewrites = new Map<string, string>();
    for (const [name, path] of outputs) if (!buildOutputs.get(name)!.equals(path)) rewrites.set(path.hashPart, buildOutputs.get(name)!.hashPart);
    const { env, files } = builderEnvironment(rewriteDerivation(drv, rewrites), {
      storeDir,
      buildDir: sandboxed ? SANDBOX_BUILD_DIR : hostBuildDir,
      outputs: new Map([...buildOutputs].map(([n, p]) => [n, p.render(storeDir)])),
      cores: this.settings.cores,
      hostEnv: this.hostEnv,
    });
    for (const [name, bytes] of await exportReferencesGraph(drv, store, inputClosure)) files.set(name, bytes);
    for (const [name, bytes] of files) await writeFile(join(hostBuildDir, name), Buffer.from(rewriteString(bytes.toString("latin1"), rewrites), "latin1"));
    const network = [...drv.outputs.values()].some((o) => o.hash !== "");

    let child: ChildProcess;
    if (sandboxed) {
      const etcDir = join(scratch, "etc");
      await mkdir(etcDir);
      for (const [name, text] of sandboxEtcFiles(network)) await writeFile(join(etcDir, name), text);
      const hostPaths: HostPath[] = [
        ...this.settings.sandboxPaths,
        ...(stringsAttr(drv, "__impureHostDeps") ?? []).filter((p) => p.startsWith("/")).map((p) => ({ inside: p, host: p, optional: true })),
      ];
      const support = sandboxSupport();
      const args = bwrapArguments(
        {
          storeScratch: builtDir,
          storeDir,
          inputs: new Map(inputClosure.map((p) => [p.baseName, store.realPath(p)])),
          buildDir: hostBuildDir,
          etcDir,
          network,
          hostPaths,
          builder: toUtf8(drv.builder),
          args: drv.args.map(toUtf8),
        },
        support,
      );
      child = spawn(support.bwrap, args, { env: nodeEnv(env), stdio: ["ignore", "pipe", "pipe"], detached: true });
    } else {
      const builder = toUtf8(rewriteString(drv.builder, rewrites));
      child = spawn(builder, drv.args.map((a) => toUtf8(rewriteString(a, rewrites))), {
        argv0: baseName(builder),
        cwd: hostBuildDir,
        env: nodeEnv(env),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
    }

    const tail: string[] = [];
    const record = (chunk: Buffer): void => {
      log.write(chunk);
      for (const line of lines.push(chunk.toString("utf8"))) {
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
      }
    };
    child.stdout!.on("data", record);
    child.stderr!.on("data", record);
    let timedOut = false;
    const timeoutMs = this.settings.timeoutSeconds * 1000;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child);
          }, timeoutMs)
        : undefined;
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (c, s) => resolve({ code: c, signal: s }));
    }).finally(() => clearTimeout(timer));
    for (const line of lines.flush()) {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
    }
    if (!sandboxed) await this.collectUnsandboxedOutputs(outputs, buildOutputs, builtDir);
    const tailText = tail.length > 0 ? `;\nlast ${tail.length} log lines:\n${tail.map((l) => `> ${l}`).join("\n")}` : "";
    if (timedOut) {
      throw new BuildError(`builder for '${drvName}' timed out after ${this.settings.timeoutSeconds} seconds${tailText}\nFor full logs, see '${logPath}'`);
    }
    if (code !== 0) {
      const how = signal ? `was killed by signal ${signal}` : `failed with exit code ${code}`;
      throw new BuildError(`builder for '${drvName}' ${how}${tailText}\nFor full logs, see '${logPath}'`);
    }
  }

  /**
   * Without a mount namespace the builder sees the host's store directory: the inputs
   * must be there, and the outputs are written there (under another hash part when
   * their place is taken), then moved into this store. Returns where each output is built.
   */
  private async prepareUnsandboxed(
    drvName: string,
    inputs: readonly StorePath[],
    outputs: ReadonlyMap<string, StorePath>,
  ): Promise<Map<string, StorePath>> {
    const storeDir = this.store.storeDir;
    if (this.store.realStoreDir !== storeDir) {
      for (const input of inputs) {
        if (!(await exists(input.render(storeDir)))) {
          throw new BuildError(
            `cannot build '${drvName}' unsandboxed: input '${input.render(storeDir)}' is not at its logical location (the store's objects are under '${this.store.realStoreDir}'; unsandboxed builds need bwrap or a store whose root is '/')`,
          );
        }
      }
    }
    await mkdir(storeDir, { recursive: true });
    const result = new Map<string, StorePath>();
    for (const [name, output] of outputs) {
      let path = output;
      if (await exists(path.render(storeDir))) {
        path = fallbackPath(drvName, name, output);
        // Nothing but an interrupted earlier build of ours uses this name.
        await removeTree(path.render(storeDir));
      }
      result.set(name, path);
    }
    return result;
  }

  private async collectUnsandboxedOutputs(
    outputs: ReadonlyMap<string, StorePath>,
    builtAt: ReadonlyMap<string, StorePath>,
    builtDir: string,
  ): Promise<void> {
    const storeDir = this.store.storeDir;
    const back = new Map<string, string>();
    for (const [name, path] of outputs) if (!builtAt.get(name)!.equals(path)) back.set(builtAt.get(name)!.hashPart, path.hashPart);
    for (const [name, output] of outputs) {
      const from = builtAt.get(name)!.render(storeDir);
      const to = join(builtDir, output.baseName);
      if (!(await exists(from))) continue;
      if (back.size > 0) {
        await restoreNar(rewriteStream(dumpNar(from), back), to);
        await removeTree(from);
        continue;
      }
      try {
        await rename(from, to);
      } catch {
        await cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
        await removeTree(from);
      }
    }
  }
}

/** The derivation with hash parts replaced in its builder, arguments and variables. */
function rewriteDerivation(drv: Derivation, rewrites: ReadonlyMap<string, string>): Derivation {
  if (rewrites.size === 0) return drv;
  return { ...drv, env: new Map([...drv.env].map(([k, v]) => [k, rewriteString(v, rewrites)])) };
}

/** Splits a byte stream's text into lines, keeping an unfinished last line until more arrives. */
class LineSplitter {
  private pending = "";
  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): string[] {
    const parts = (this.pending + text).split("\n");
    this.pending = parts.pop()!;
    for (const line of parts) this.onLine(line);
    return parts;
  }

  flush(): string[] {
    if (this.pending === "") return [];
    const line = this.pending;
    this.pending = "";
    this.onLine(line);
    return [line];
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

/**
 * Derivation strings are bytes (one char per byte); Node encodes process arguments
 * and environment as UTF-8, so bytes that are UTF-8 are decoded first to arrive unchanged.
 */
function toUtf8(binary: string): string {
  return Buffer.from(binary, "latin1").toString("utf8");
}

function nodeEnv(env: ReadonlyMap<string, string>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [k, v] of env) result[toUtf8(k)] = toUtf8(v);
  return result;
}
