import { execFile } from "node:child_process";
import { watch, type FSWatcher } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { callInWorker } from "../../evaluator/index.js";
import { narHashAndSize } from "../../store/index.js";
import { RegistryError, isTag } from "../distribution/index.js";

const run = promisify(execFile);

/** A package-set revision on disk: what a tag resolved to. */
export interface PackageSetRevision {
  /** Stable identifier (a git commit, a content hash); part of every cache key and annotation. */
  revision: string;
  /** Directory holding the Nix expression (its `default.nix`). */
  dir: string;
  /** The set's origin is nixpkgs (meta-package defaults, both architectures). */
  nixpkgs: boolean;
}

/** Resolves image tags to package-set revisions. */
export interface PackageSetSource {
  /** A short text for the web page and errors, e.g. `path examples/pkgs`. */
  readonly description: string;
  resolve(tag: string): Promise<PackageSetRevision>;
  /** Tags worth listing in `tags/list`. */
  tags(): Promise<string[]>;
}

/**
 * `LADING_PKGS_PATH`: a local directory; only `latest`; the revision is its NAR hash.
 * The hash is computed in a worker (a big set takes seconds) and kept until a file
 * watcher sees a change.
 */
export class PathPackageSet implements PackageSetSource {
  readonly description: string;
  private readonly dir: string;
  private cached: Promise<string> | undefined;
  private watcher: FSWatcher | undefined;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.description = `local package set ${this.dir}`;
  }

  async resolve(tag: string): Promise<PackageSetRevision> {
    if (tag !== "latest") {
      throw new RegistryError("MANIFEST_UNKNOWN", `the local package set (LADING_PKGS_PATH) has only the tag 'latest', not '${tag}'`, { tag });
    }
    if (!this.cached) {
      this.watch();
      const revision = this.hashDir();
      this.cached = revision;
      revision.catch(() => (this.cached = undefined));
      // Without a watcher, changes are noticed after a while instead.
      if (!this.watcher) setTimeout(() => (this.cached = undefined), UNWATCHED_TTL_MS).unref();
    }
    return { revision: await this.cached, dir: this.dir, nixpkgs: false };
  }

  /** Stops watching the directory. */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private watch(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.dir, { recursive: true, persistent: false }, () => (this.cached = undefined));
      this.watcher.on("error", () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  private async hashDir(): Promise<string> {
    try {
      await stat(this.dir);
    } catch {
      throw new RegistryError("MANIFEST_UNKNOWN", `the package set directory '${this.dir}' does not exist`, undefined, 503);
    }
    const url = new URL("./package-set.js", import.meta.url).href;
    return `path-${await callInWorker<string>(url, "narHashBase32", [this.dir])}`;
  }

  async tags(): Promise<string[]> {
    return ["latest"];
  }
}

/** How long an unwatched path set's hash is trusted. */
const UNWATCHED_TTL_MS = 5000;

/** The NAR hash of a directory in nixbase32 (run in a worker by PathPackageSet). */
export function narHashBase32(dir: string): string {
  return narHashAndSize(dir).hash.format("base32", false);
}

const COMMIT = /^[0-9a-f]{40}$/;
/** How often a moving ref (`latest`, a branch) is looked up upstream again. */
const REFRESH_MS = 60_000;

/**
 * `LADING_PKGS_REPO`: a git repository (path or URL) mirrored under the data dir;
 * `latest` is its HEAD, any other tag a ref or commit. Each commit is exported once
 * into `<cacheDir>/<commit>`.
 */
export class GitPackageSet implements PackageSetSource {
  readonly description: string;
  private readonly mirror: string;
  private mirrorReady: Promise<void> | undefined;
  private readonly exports = new Map<string, Promise<string>>();
  private fetching: Promise<void> | undefined;
  private fetchedAt = 0;

  constructor(
    private readonly repo: string,
    private readonly cacheDir: string,
  ) {
    this.description = `git repository ${repo}`;
    this.mirror = join(cacheDir, "mirror.git");
  }

  async resolve(tag: string): Promise<PackageSetRevision> {
    await this.ensureMirror();
    const ref = tag === "latest" ? "HEAD" : tag;
    // Branches and `latest` move: look upstream at most every REFRESH_MS; a commit never moves.
    if (!COMMIT.test(ref) && Date.now() - this.fetchedAt > REFRESH_MS) await this.fetch();
    let commit = await this.revParse(ref);
    if (!commit) {
      // An unknown ref may be new upstream: fetch once and look again.
      await this.fetch();
      commit = await this.revParse(ref);
    }
    if (!commit) {
      throw new RegistryError("MANIFEST_UNKNOWN", `tag '${tag}' is neither a ref nor a commit of ${this.repo}`, { tag });
    }
    return { revision: commit, dir: await this.exportCommit(commit), nixpkgs: false };
  }

  /** `latest` and the repository's branches and tags (those that are valid image tags). */
  async tags(): Promise<string[]> {
    await this.ensureMirror();
    const refs = (await this.git(["for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags"]).catch(() => "")).split("\n");
    return ["latest", ...refs.filter((r) => r !== "" && r !== "latest" && isTag(r)).sort()];
  }

  private ensureMirror(): Promise<void> {
    this.mirrorReady ??= (async () => {
      try {
        await stat(join(this.mirror, "HEAD"));
      } catch {
        await mkdir(this.cacheDir, { recursive: true });
        const temp = `${this.mirror}.tmp-${process.pid}`;
        await rm(temp, { recursive: true, force: true });
        await run("git", ["clone", "--mirror", "--quiet", "--", this.repo, temp]).catch((err: Error) => {
          throw new RegistryError("MANIFEST_UNKNOWN", `cannot clone the package set repository ${this.repo}: ${err.message.trim()}`, undefined, 503);
        });
        await rename(temp, this.mirror);
        this.fetchedAt = Date.now();
      }
    })().catch((err) => {
      this.mirrorReady = undefined;
      throw err;
    });
    return this.mirrorReady;
  }

  /** `git fetch` of the mirror, shared by concurrent callers; failures keep the refs we have. */
  private fetch(): Promise<void> {
    this.fetching ??= this.git(["fetch", "--prune", "--quiet", "origin"])
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.fetchedAt = Date.now();
        this.fetching = undefined;
      });
    return this.fetching;
  }

  private async revParse(ref: string): Promise<string | undefined> {
    // Tags passed the distribution grammar (no leading `-`); `--end-of-options` guards anyway.
    const out = await this.git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]).catch(() => undefined);
    const commit = out?.trim();
    return commit && COMMIT.test(commit) ? commit : undefined;
  }

  private exportCommit(commit: string): Promise<string> {
    let running = this.exports.get(commit);
    if (!running) {
      running = (async () => {
        const dir = join(this.cacheDir, commit);
        try {
          await stat(dir);
          return dir;
        } catch {
          const temp = `${dir}.tmp-${process.pid}`;
          await rm(temp, { recursive: true, force: true });
          await mkdir(temp, { recursive: true });
          await run("sh", ["-c", 'git --git-dir="$1" archive --format=tar "$2" | tar -x -C "$3"', "sh", this.mirror, commit, temp]);
          await rename(temp, dir);
          return dir;
        }
      })();
      running.catch(() => this.exports.delete(commit));
      this.exports.set(commit, running);
    }
    return running;
  }

  private async git(args: string[]): Promise<string> {
    return (await run("git", ["--git-dir", this.mirror, ...args], { maxBuffer: 1 << 20 })).stdout;
  }
}

const CHANNEL = /^(nixos|nixpkgs)-[a-z0-9.-]+$/;
const CHANNEL_TTL_MS = 10 * 60 * 1000;

/**
 * `LADING_CHANNEL`: a nixpkgs channel from channels.nixos.org; `latest` is the
 * configured channel, a tag naming a channel selects it. Needs the network.
 */
export class ChannelPackageSet implements PackageSetSource {
  readonly description: string;
  private readonly revisions = new Map<string, { at: number; revision: Promise<PackageSetRevision> }>();

  constructor(
    private readonly channel: string,
    private readonly cacheDir: string,
    private readonly baseUrl = "https://channels.nixos.org",
  ) {
    this.description = `nixpkgs channel ${channel}`;
  }

  resolve(tag: string): Promise<PackageSetRevision> {
    const channel = tag === "latest" ? this.channel : tag;
    if (!CHANNEL.test(channel)) {
      throw new RegistryError("MANIFEST_UNKNOWN", `tag '${tag}' names no nixpkgs channel (e.g. latest, nixos-unstable, nixos-24.11)`, { tag });
    }
    const hit = this.revisions.get(channel);
    if (hit && Date.now() - hit.at < CHANNEL_TTL_MS) return hit.revision;
    const revision = this.fetchChannel(channel);
    this.revisions.set(channel, { at: Date.now(), revision });
    revision.catch(() => this.revisions.delete(channel));
    return revision;
  }

  async tags(): Promise<string[]> {
    return ["latest", this.channel];
  }

  private async fetchChannel(channel: string): Promise<PackageSetRevision> {
    const url = `${this.baseUrl}/${channel}`;
    let commit: string;
    try {
      const res = await fetch(`${url}/git-revision`, { signal: AbortSignal.timeout(15_000) });
      if (res.status === 404) throw new RegistryError("MANIFEST_UNKNOWN", `no nixpkgs channel '${channel}'`, { channel });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      commit = (await res.text()).trim();
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw new RegistryError(
        "MANIFEST_UNKNOWN",
        `cannot reach ${url} to resolve the channel (${(err as Error).message}); for offline use set LADING_PKGS_PATH (e.g. examples/pkgs) or LADING_PKGS_REPO`,
        { channel },
        503,
      );
    }
    if (!COMMIT.test(commit)) throw new RegistryError("MANIFEST_UNKNOWN", `channel '${channel}' gave no commit`, { channel }, 503);
    const dir = join(this.cacheDir, commit);
    try {
      await stat(dir);
    } catch {
      const temp = `${dir}.tmp-${process.pid}`;
      await rm(temp, { recursive: true, force: true });
      await mkdir(temp, { recursive: true });
      await run("sh", ["-c", 'curl -fsSL "$1" | tar -xJ --strip-components=1 -C "$2"', "sh", `${url}/nixexprs.tar.xz`, temp], {
        maxBuffer: 1 << 20,
      }).catch((err: Error) => {
        throw new RegistryError("MANIFEST_UNKNOWN", `cannot download ${url}/nixexprs.tar.xz: ${err.message.trim()}`, { channel }, 503);
      });
      await rename(temp, dir);
    }
    return { revision: commit, dir, nixpkgs: true };
  }
}

export interface PackageSetConfig {
  pkgsPath: string | undefined;
  pkgsRepo: string | undefined;
  channel: string;
  dataDir: string;
}

/** The source the configuration names: a local path wins over a repository, which wins over a channel. */
export function openPackageSet(config: PackageSetConfig): PackageSetSource {
  if (config.pkgsPath) return new PathPackageSet(config.pkgsPath);
  if (config.pkgsRepo) return new GitPackageSet(config.pkgsRepo, join(config.dataDir, "pkgs", "git"));
  return new ChannelPackageSet(config.channel, join(config.dataDir, "pkgs", "channel"));
}
