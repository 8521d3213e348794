import { lstat, readdir } from "node:fs/promises";
import type { StoreTreeInspector, TarEntry } from "./tar/index.js";

/** The package folders merged under `/`, as symlinks into the store. */
export const MERGED_FOLDERS = ["bin", "etc", "lib", "libexec", "sbin", "share"] as const;

const PASSWD = "root:x:0:0:System administrator:/root:/bin/sh\nnobody:x:65534:65534:Unprivileged account:/var/empty:/bin/false\n";
const GROUP = "root:x:0:\nnobody:x:65534:\n";
const NSSWITCH = [
  "passwd:    files",
  "group:     files",
  "shadow:    files",
  "hosts:     files dns",
  "networks:  files",
  "protocols: files",
  "services:  files",
  "ethers:    files",
  "rpc:       files",
  "",
].join("\n");
export const CERT_BUNDLE = "/etc/ssl/certs/ca-bundle.crt";

export interface CustomisationInput {
  /** Physical directory holding `nix/store/…`. */
  storeRoot: string;
  /** Looks into store paths instead of `storeRoot` (the castore: paths not on this disk). */
  tree?: StoreTreeInspector;
  /** The requested packages' output paths, in request order (the first wins a conflict). */
  packages: readonly string[];
  /** Every path of the runtime closure, searched for coreutils, cacert and iana-etc; defaults to `packages`. */
  closure?: readonly string[];
}

export interface Customisation {
  /** Layer entries in archive order (parents first, siblings by name bytes). */
  entries: TarEntry[];
  /** `/bin/bash` or `/bin/sh` when the merged `/bin` has one. */
  shell: string | undefined;
  /** The certificate bundle path when a cacert package was found. */
  sslCertFile: string | undefined;
}

type Node =
  | { kind: "dir"; mode: number; children: Map<string, Node> }
  | { kind: "link"; target: Buffer }
  | { kind: "file"; mode: number; data: Buffer };

/** A directory entry in the store: where it is on disk and what it is called in the image. */
interface Source {
  physical: Buffer;
  logical: Buffer;
}

/**
 * The customisation layer: the packages' folders merged under `/` like `buildEnv`
 * (a whole directory is one symlink when one package provides it; directories
 * several provide are descended into; the first package wins for anything else),
 * plus `/tmp`, account files, `nsswitch.conf`, `/usr/bin/env`, certificates and
 * `iana-etc` files. The generated files take precedence over package files.
 */
export async function buildCustomisation(input: CustomisationInput): Promise<Customisation> {
  const root = dir(0o755);
  const fs = inspector(input);
  const source = (storePath: string, sub = ""): Source => ({
    physical: Buffer.from(`${input.storeRoot}${storePath}${sub}`),
    logical: Buffer.from(`${storePath}${sub}`),
  });
  const candidates = [...input.packages, ...[...(input.closure ?? [])].sort()];
  // A symlink counts as the file: busybox-style packages link bin/env to their multi-call binary.
  const find = async (namePattern: RegExp, file: string): Promise<string | undefined> => {
    for (const path of candidates) {
      if (!namePattern.test(storeName(path))) continue;
      const kind = await fs.kind(source(path, file));
      if (kind === "file" || kind === "link") return `${path}${file}`;
    }
    return undefined;
  };

  put(root, "tmp", dir(0o1777));
  put(root, "etc/passwd", file(PASSWD));
  put(root, "etc/group", file(GROUP));
  put(root, "etc/nsswitch.conf", file(NSSWITCH));
  const env = (await find(/^coreutils(-|$)/, "/bin/env")) ?? (await find(/./, "/bin/env"));
  if (env) put(root, "usr/bin/env", link(env));
  const bundle = await find(/^(nss-)?cacert(-|$)/, CERT_BUNDLE);
  if (bundle) {
    put(root, "etc/ssl/certs/ca-bundle.crt", link(bundle));
    put(root, "etc/ssl/certs/ca-certificates.crt", link(bundle));
  }
  for (const name of ["protocols", "services"]) {
    const found = await find(/^iana-etc(-|$)/, `/etc/${name}`);
    if (found) put(root, `etc/${name}`, link(found));
  }

  for (const folder of MERGED_FOLDERS) {
    const providers: Source[] = [];
    for (const pkg of input.packages) {
      const candidate = source(pkg, `/${folder}`);
      if ((await fs.kind(candidate)) === "dir") providers.push(candidate);
    }
    if (providers.length === 0) continue;
    let target = root.children.get(folder);
    if (!target) root.children.set(folder, (target = dir(0o755)));
    if (target.kind === "dir") await mergeInto(fs, target, providers);
  }

  const bin = root.children.get("bin");
  const shell = ["bash", "sh"].find((name) => bin?.kind === "dir" && bin.children.has(name));
  return { entries: flatten(root), shell: shell && `/bin/${shell}`, sslCertFile: bundle ? CERT_BUNDLE : undefined };
}

/** Merges the directories `providers` (in precedence order) into `target`. */
async function mergeInto(fs: Inspector, target: Extract<Node, { kind: "dir" }>, providers: readonly Source[]): Promise<void> {
  const listings = await Promise.all(providers.map((p) => fs.list(p)));
  const names = new Map<string, Buffer>();
  for (const listing of listings) for (const name of listing) names.set(name.toString("latin1"), name);
  for (const [key, name] of [...names].sort((a, b) => Buffer.compare(a[1], b[1]))) {
    const having = providers
      .filter((_, i) => listings[i]!.some((n) => n.equals(name)))
      .map((p) => ({ physical: joinBytes(p.physical, name), logical: joinBytes(p.logical, name) }));
    const firstIsDir = (await fs.kind(having[0]!)) === "dir";
    const existing = target.children.get(key);
    if (existing) {
      // Generated entries win; a generated directory still takes package contents.
      if (existing.kind === "dir" && firstIsDir) await mergeInto(fs, existing, await onlyDirs(fs, having));
      continue;
    }
    const dirs = firstIsDir ? await onlyDirs(fs, having) : [];
    if (dirs.length > 1) {
      const sub = dir(0o755);
      target.children.set(key, sub);
      await mergeInto(fs, sub, dirs);
    } else {
      target.children.set(key, { kind: "link", target: having[0]!.logical });
    }
  }
}

async function onlyDirs(fs: Inspector, sources: readonly Source[]): Promise<Source[]> {
  const kinds = await Promise.all(sources.map((s) => fs.kind(s)));
  return sources.filter((_, i) => kinds[i] === "dir");
}

/** lstat / readdir of a store entry: through `tree` when given (by logical path), else on disk. */
interface Inspector {
  kind(source: Source): Promise<"dir" | "file" | "link" | undefined>;
  list(source: Source): Promise<Buffer[]>;
}

function inspector(input: CustomisationInput): Inspector {
  const tree = input.tree;
  if (tree) return { kind: (s) => tree.kind(s.logical), list: (s) => tree.list(s.logical) };
  return { kind: (s) => kindOf(s.physical), list: (s) => readdir(s.physical, { encoding: "buffer" }) };
}

async function kindOf(path: Buffer): Promise<"dir" | "file" | "link" | undefined> {
  try {
    const stats = await lstat(path);
    return stats.isDirectory() ? "dir" : stats.isSymbolicLink() ? "link" : "file";
  } catch {
    return undefined;
  }
}

function dir(mode: number): Extract<Node, { kind: "dir" }> {
  return { kind: "dir", mode, children: new Map() };
}

function file(text: string): Node {
  return { kind: "file", mode: 0o644, data: Buffer.from(text) };
}

function link(target: string): Node {
  return { kind: "link", target: Buffer.from(target) };
}

/** Places `node` at the `/`-separated `path`, creating parent directories (0755). */
function put(root: Extract<Node, { kind: "dir" }>, path: string, node: Node): void {
  const parts = path.split("/");
  let here = root;
  for (const part of parts.slice(0, -1)) {
    let next = here.children.get(part);
    if (!next) here.children.set(part, (next = dir(0o755)));
    if (next.kind !== "dir") throw new Error(`'${part}' in '${path}' is not a directory`);
    here = next;
  }
  here.children.set(parts[parts.length - 1]!, node);
}

function flatten(root: Extract<Node, { kind: "dir" }>): TarEntry[] {
  const entries: TarEntry[] = [];
  const visit = (node: Extract<Node, { kind: "dir" }>, prefix: Buffer | undefined) => {
    const children = [...node.children].map(([key, child]) => [Buffer.from(key, "latin1"), child] as const);
    children.sort((a, b) => Buffer.compare(a[0], b[0]));
    for (const [name, child] of children) {
      const path = prefix ? joinBytes(prefix, name) : name;
      if (child.kind === "dir") {
        entries.push({ type: "directory", path, mode: child.mode });
        visit(child, path);
      } else if (child.kind === "link") {
        entries.push({ type: "symlink", path, target: child.target });
      } else {
        entries.push({ type: "file", path, mode: child.mode, size: child.data.length, data: child.data });
      }
    }
  };
  visit(root, undefined);
  return entries;
}

function storeName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.slice(base.indexOf("-") + 1);
}

function joinBytes(dirPath: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dirPath, Buffer.from("/"), name]);
}
