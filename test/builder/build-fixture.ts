import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DerivationHasher,
  dumpNar,
  fillOutputPaths,
  parseDerivation,
  parseHash,
  parseStorePath,
  renderDerivation,
  type Derivation,
  type StorePath,
} from "../../store/index.js";
import { LocalStore, SandboxedBuilder, StoreRealiser, type BuildEvent, type SandboxedBuilderOptions } from "../../builder/index.js";
import { runNix } from "../helpers/nix.js";
import { tempDir } from "./fixture.js";

/** bwrap and busybox are needed for every build test: fail in CI when missing, skip elsewhere. */
export function buildToolsSkipReason(): string | false {
  const missing = ["bwrap", "busybox"].filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length === 0) return false;
  if (process.env.CI) throw new Error(`${missing.join(", ")} required in CI (scripts/install-deps.sh)`);
  return `${missing.join(", ")} not installed; run scripts/install-deps.sh`;
}

const APPLETS = "sh mkdir echo cat ln cp tr sleep env sort grep sed basename ls chmod id head rm true false printf wget nc cut wc".split(" ");

/** A directory `bin/busybox` with `bin/<applet> -> busybox` links, for `builtins.path`: the builders' shell. */
export function busyboxDir(): string {
  const dir = join(tempDir("busybox"), "busybox");
  mkdirSync(join(dir, "bin"), { recursive: true });
  copyFileSync(spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim(), join(dir, "bin", "busybox"));
  for (const applet of APPLETS) symlinkSync("busybox", join(dir, "bin", applet));
  return dir;
}

/**
 * Writes `expression` (a function of `{ bb, nonce }` giving an attribute set of
 * derivations) and returns each attribute's .drv path as `nix-instantiate` makes it.
 */
export function instantiate(expression: string, nonce: string, attrs: readonly string[]): { dir: string; drvs: Map<string, StorePath> } {
  const dir = tempDir("build-expr");
  const bb = busyboxDir();
  writeFileSync(
    join(dir, "default.nix"),
    `{ nonce }:\nlet bb = builtins.path { path = ${bb}; name = "busybox"; };\n    sh = "\${bb}/bin/sh";\nin (${expression})`,
  );
  const out = runNix("nix-instantiate", [join(dir, "default.nix"), "--argstr", "nonce", nonce, ...attrs.flatMap((a) => ["-A", a])])
    .toString()
    .trim()
    .split("\n");
  return { dir, drvs: new Map(attrs.map((a, i) => [a, parseStorePath(out[i]!)])) };
}

interface NixPathInfo {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  ca?: string;
}

/** CppNix's view of paths (`nix path-info --json`), by path. */
export function nixPathInfo(paths: readonly StorePath[], recursive = false): Map<string, NixPathInfo> {
  const json = JSON.parse(
    runNix("nix", ["path-info", "--json", ...(recursive ? ["-r"] : []), ...paths.map((p) => p.render())]).toString(),
  ) as NixPathInfo[];
  return new Map(json.map((i) => [i.path, i]));
}

/** Copies the closures of `paths` (the .drv files and their sources) from CppNix's store into `store`. */
export async function copyFromNix(store: LocalStore, paths: readonly StorePath[]): Promise<void> {
  const query = (...args: string[]): string[] => runNix("nix-store", ["--query", ...args]).toString().trim().split("\n");
  const all = query("--requisites", ...paths.map((p) => p.render()));
  const hashes = query("--hash", ...all);
  const sizes = query("--size", ...all);
  // --requisites lists references before their referrers.
  for (const [i, path] of all.entries()) {
    await store.addNar(
      {
        path: parseStorePath(path),
        narHash: parseHash(hashes[i]!, "sha256"),
        narSize: Number(sizes[i]),
        references: query("--references", path).filter((r) => r !== "").map((r) => parseStorePath(r)),
      },
      dumpNar(path),
    );
  }
}

/** A fresh local store with a builder, its events recorded. */
export async function openBuildStore(options: SandboxedBuilderOptions = {}): Promise<{
  store: LocalStore;
  builder: SandboxedBuilder;
  realiser: StoreRealiser;
  events: BuildEvent[];
  root: string;
}> {
  const root = tempDir("build-store");
  const store = await LocalStore.open({ root: join(root, "store") });
  const events: BuildEvent[] = [];
  const builder = new SandboxedBuilder(store, { logDir: join(root, "logs"), onEvent: (e) => events.push(e), ...options });
  return { store, builder, realiser: new StoreRealiser(store, undefined, builder), events, root };
}

/** A fresh value per test run, so CppNix really builds (nothing is cached in /nix/store). */
export function nonce(): string {
  return `${process.pid}-${Date.now().toString(36)}`;
}

export interface DerivationSpec {
  name: string;
  builder: string;
  args?: string[];
  env?: Record<string, string>;
  outputs?: string[];
  /** A fixed output: `hashAlgo` as in the .drv (`sha256`, `r:sha256`) and its base16 hash. */
  fixed?: { hashAlgo: string; hash: string };
  inputSrcs?: StorePath[];
  inputDrvs?: Map<StorePath, string[]>;
}

/** Writes a derivation into `store` as `derivation { … }` would, and returns its .drv path. */
export async function addDerivation(store: LocalStore, spec: DerivationSpec): Promise<StorePath> {
  const outputs = new Map<string, { path: string; hashAlgo: string; hash: string }>();
  for (const name of spec.fixed ? ["out"] : (spec.outputs ?? ["out"])) outputs.set(name, { path: "", hashAlgo: spec.fixed?.hashAlgo ?? "", hash: spec.fixed?.hash ?? "" });
  const env = new Map<string, string>(Object.entries({ name: spec.name, builder: spec.builder, system: "x86_64-linux", ...spec.env }));
  for (const name of outputs.keys()) env.set(name, "");
  if (spec.outputs) env.set("outputs", spec.outputs.join(" "));
  const drv: Derivation = {
    outputs,
    inputDrvs: new Map([...(spec.inputDrvs ?? [])].map(([p, o]) => [p.render(store.storeDir), o])),
    inputSrcs: (spec.inputSrcs ?? []).map((p) => p.render(store.storeDir)).sort(),
    platform: "x86_64-linux",
    builder: spec.builder,
    args: spec.args ?? [],
    env: new Map([...env].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  const hasher = new DerivationHasher((p) => parseDerivation(readFileSync(store.realPath(parseStorePath(p, store.storeDir)), "latin1")));
  fillOutputPaths(drv, spec.name, hasher, store.storeDir);
  const refs = [...(spec.inputSrcs ?? []), ...(spec.inputDrvs?.keys() ?? [])];
  const info = await store.addText(`${spec.name}.drv`, Buffer.from(renderDerivation(drv), "latin1"), refs);
  return info.path;
}
