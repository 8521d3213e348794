import { spawnSync } from "node:child_process";
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import { SANDBOX_BUILD_DIR } from "./environment.js";

/** Inside the sandbox the builder is uid 1000, gid 100 (CppNix's values with a user namespace). */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 100;

/** A host path made visible (read-only) in the sandbox. */
export interface HostPath {
  inside: string;
  host: string;
  /** Missing on the host: skip instead of failing. */
  optional: boolean;
}

export interface SandboxSpec {
  /** Host directory mounted writable as the logical store dir (outputs are written there). */
  storeScratch: string;
  storeDir: string;
  /** Input closure: logical base name → physical path, mounted read-only. */
  inputs: ReadonlyMap<string, string>;
  /** Host directory mounted at /build. */
  buildDir: string;
  /** Host directory holding passwd, group (and hosts), mounted at /etc. */
  etcDir: string;
  /** Fixed-output derivations keep the network (and the host's resolv.conf, services, hosts). */
  network: boolean;
  hostPaths: readonly HostPath[];
  builder: string;
  args: readonly string[];
}

export interface SandboxSupport {
  available: boolean;
  /** Why not, when it is not. */
  reason?: string;
  /** bwrap ≥ 0.9 can set argv[0] (CppNix passes the builder's base name). */
  argv0: boolean;
  /** Absolute path of bwrap: builders' PATH is not the host's. */
  bwrap: string;
}

function findOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${program}`;
    if (spawnSync("test", ["-x", candidate]).status === 0) return candidate;
  }
  return undefined;
}

let probed: SandboxSupport | undefined;

/** Whether bwrap exists and the kernel lets it make the namespaces (probed once per process). */
export function sandboxSupport(): SandboxSupport {
  if (probed) return probed;
  const bwrap = findOnPath("bwrap");
  if (!bwrap) return (probed = { available: false, reason: "bwrap is not installed (not on PATH)", argv0: false, bwrap: "bwrap" });
  const help = spawnSync(bwrap, ["--help"], { encoding: "utf8" });
  if (help.error || help.status !== 0) {
    return (probed = { available: false, reason: `bwrap does not run (${help.error?.message ?? help.stderr.trim()})`, argv0: false, bwrap });
  }
  const run = spawnSync(
    bwrap,
    ["--unshare-all", "--uid", String(SANDBOX_UID), "--gid", String(SANDBOX_GID), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", process.execPath, "-e", "0"],
    { encoding: "utf8", timeout: 20_000 },
  );
  if (run.status !== 0) {
    return (probed = { available: false, reason: `bwrap cannot create namespaces here: ${(run.stderr || run.error?.message || "").trim()}`, argv0: false, bwrap });
  }
  return (probed = { available: true, argv0: help.stdout.includes("--argv0"), bwrap });
}

/**
 * The /etc files CppNix writes into its sandbox; with the network (fixed outputs)
 * copies of the host's resolv.conf, services and hosts instead of a local hosts.
 */
export function sandboxEtcFiles(network: boolean): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    "passwd",
    `root:x:0:0:Nix build user:${SANDBOX_BUILD_DIR}:/noshell\n` +
      `nixbld:x:${SANDBOX_UID}:${SANDBOX_GID}:Nix build user:${SANDBOX_BUILD_DIR}:/noshell\n` +
      "nobody:x:65534:65534:Nobody:/:/noshell\n",
  );
  files.set("group", `root:x:0:\nnixbld:!:${SANDBOX_GID}:\nnogroup:x:65534:\n`);
  if (!network) {
    files.set("hosts", "127.0.0.1 localhost\n::1 localhost\n");
  } else {
    for (const name of ["resolv.conf", "services", "hosts"]) {
      try {
        files.set(name, readFileSync(`/etc/${name}`, "utf8"));
      } catch {
        // Not on this host: the builder does without, as under CppNix.
      }
    }
  }
  return files;
}

/** bwrap arguments that run `spec.builder` with only the input closure visible. */
export function bwrapArguments(spec: SandboxSpec, support: SandboxSupport): string[] {
  const a = ["--unshare-all"];
  if (spec.network) a.push("--share-net");
  a.push("--uid", String(SANDBOX_UID), "--gid", String(SANDBOX_GID));
  a.push("--hostname", "localhost", "--die-with-parent", "--new-session");
  a.push("--dev", "/dev", "--proc", "/proc");
  a.push("--perms", "1777", "--dir", "/tmp");
  a.push("--ro-bind", spec.etcDir, "/etc");
  a.push("--bind", spec.storeScratch, spec.storeDir);
  for (const [base, physical] of [...spec.inputs].sort(([x], [y]) => (x < y ? -1 : 1))) {
    a.push("--ro-bind", physical, `${spec.storeDir}/${base}`);
  }
  a.push("--bind", spec.buildDir, SANDBOX_BUILD_DIR);
  for (const path of spec.hostPaths) a.push(...hostPathArguments(path));
  a.push("--chdir", SANDBOX_BUILD_DIR);
  if (support.argv0) a.push("--argv0", baseName(spec.builder));
  a.push("--", spec.builder, ...spec.args);
  return a;
}

/** A host symlink is recreated as the same symlink (Debian's /lib -> usr/lib); anything else is bound read-only. */
function hostPathArguments(path: HostPath): string[] {
  let st;
  try {
    st = lstatSync(path.host);
  } catch {
    if (path.optional) return [];
    throw new Error(`sandbox path '${path.host}' does not exist on this host`);
  }
  if (st.isSymbolicLink() && path.inside === path.host) return ["--symlink", readlinkSync(path.host), path.inside];
  return ["--ro-bind", path.host, path.inside];
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Parses `LADING_SANDBOX_PATHS`: space-separated `path` or `inside=host`, a trailing
 * `?` marking a path that may be missing (CppNix's extra-sandbox-paths syntax).
 */
export function parseSandboxPaths(text: string | undefined): HostPath[] {
  const result: HostPath[] = [];
  for (let word of (text ?? "").split(/\s+/)) {
    if (word === "") continue;
    const optional = word.endsWith("?");
    if (optional) word = word.slice(0, -1);
    const eq = word.indexOf("=");
    const inside = eq < 0 ? word : word.slice(0, eq);
    const host = eq < 0 ? word : word.slice(eq + 1);
    if (!inside.startsWith("/") || !host.startsWith("/")) throw new Error(`sandbox path '${word}' is not absolute`);
    result.push({ inside, host, optional });
  }
  return result;
}
