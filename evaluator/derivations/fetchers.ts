/**
 * `builtins.fetchurl`, `fetchTarball` and `fetchGit` (local repositories) with
 * CppNix 2.8's store paths and result attributes. Primops are synchronous, so
 * HTTP downloads run in a child Node process; `file://` URLs are read directly.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_NAME_LENGTH, hashBytes, isValidStorePathName, makeFixedOutputPath, type Hash } from "../../store/index.js";
import {
  EvalError,
  NixAttrs,
  mkInt,
  NixPath,
  NixString,
  coerceToString,
  definePrimOp,
  force,
  forceStringNoCtx,
  fromFsPath,
  showType,
  stringBytes,
  type Lazy,
  type Value,
} from "../eval/index.js";
import { drvState } from "./drv-state.js";
import { storeCall } from "./eval-store.js";
import { narHashFiltered } from "./filtered-nar.js";
import { parseHashAllowEmpty, warn } from "./hash-parse.js";
import { decompressArchive, extractTar } from "./tar.js";
import { extractZip, isZip } from "./zip.js";

const DOWNLOAD_SCRIPT = `
const [url, dest] = process.argv.slice(1);
fetch(url).then(async (r) => {
  if (!r.ok) { process.stderr.write("HTTP error " + r.status + " ('" + r.statusText + "')"); process.exit(2); }
  require("node:fs").writeFileSync(dest, Buffer.from(await r.arrayBuffer()));
}, (e) => {
  const code = e && e.cause ? e.cause.code : undefined;
  // curl's texts, which CppNix prints.
  const text = code === "ECONNREFUSED" ? "Couldn't connect to server (7)" : code === "ENOTFOUND" || code === "EAI_AGAIN" ? "Couldn't resolve host name (6)" : String(e && e.cause ? e.cause.message : e);
  process.stderr.write(text);
  process.exit(1);
});`;

function baseNameOf(s: string): string {
  const end = s.endsWith("/") && s.length > 1 ? s.length - 1 : s.length;
  return s.slice(s.lastIndexOf("/", end - 1) + 1, end);
}

/** The bytes at a URL (`file://` or `http(s)://`). */
function download(url: string): Buffer {
  if (url.startsWith("file://")) {
    const path = decodeURIComponent(url.slice("file://".length));
    try {
      return readFileSync(Buffer.from(path, "latin1"));
    } catch {
      throw new EvalError(`unable to download '${url}': Couldn't read a file:// file (37)`);
    }
  }
  if (!/^https?:\/\//.test(url)) throw new EvalError(`unable to download '${url}': Unsupported protocol`);
  const tmp = mkdtempSync(join(tmpdir(), "lading-fetch-"));
  try {
    const dest = join(tmp, "data");
    const r = spawnSync(process.execPath, ["-e", DOWNLOAD_SCRIPT, url, dest], { encoding: "latin1" });
    if (r.status !== 0) throw new EvalError(`unable to download '${url}': ${r.stderr || "failed"}`);
    return readFileSync(dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "lading-unpack-"));
  try {
    return fn(fromFsPath(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CppNix exits with status 102 for a hash mismatch (nix-instantiate and nix-build alike). */
export class HashMismatchError extends EvalError {
  readonly exitStatus = 102;
}

function hashMismatch(url: string, expected: Hash, got: Hash): EvalError {
  return new HashMismatchError(
    `hash mismatch in file downloaded from '${url}':\n  specified: ${expected.format("base32")}\n  got:       ${got.format("base32")}`,
  );
}

/**
 * Current CppNix checks the store path name before fetching anything and says how
 * to fix it (2.8 failed later, naming the store path being formed). The rules are
 * 2.8's, as for every store path name here: no name, one over 211 characters, or
 * a character outside `[A-Za-z0-9+\-._?=]`.
 */
function checkFetchName(name: string, url: string, who: string, nameAttrPassed: boolean, isArgAttrs: boolean): void {
  let problem: string | undefined;
  if (name === "") problem = "name must not be empty";
  else if (name.length > MAX_NAME_LENGTH) problem = `name '${name}' must be no longer than ${MAX_NAME_LENGTH} characters`;
  else {
    const bad = [...name].find((c) => !isValidStorePathName(c));
    if (bad !== undefined) problem = `name '${name}' contains illegal character '${bad}'`;
  }
  if (problem === undefined) return;
  const resolution = nameAttrPassed
    ? `Please change the value for the 'name' attribute passed to '${who}', so that it can create a valid store path.`
    : isArgAttrs
      ? `Please add a valid 'name' attribute to the argument for '${who}', so that it can create a valid store path.`
      : `Please pass an attribute set with 'url' and 'name' attributes to '${who}',  so that it can create a valid store path.`;
  throw new EvalError(`invalid store path name when fetching URL '${url}': ${problem}. ${resolution}`);
}

/** CppNix's fetch() behind fetchurl (unpack = false) and fetchTarball (unpack = true). */
function fetchUrlOrTarball(arg: Lazy, pos: number, who: string, unpack: boolean, defaultName: string): Value {
  let url: string | undefined;
  let expected: Hash | undefined;
  let name = defaultName;
  let nameAttrPassed = false;
  const v = force(arg, pos);
  if (v instanceof NixAttrs) {
    for (let i = 0; i < v.names.length; i++) {
      const n = v.names[i]!;
      if (n === "url") url = forceStringNoCtx(v.values[i]!, v.positions[i]!);
      else if (n === "sha256") expected = parseHashAllowEmpty(forceStringNoCtx(v.values[i]!, v.positions[i]!), "sha256");
      else if (n === "name") {
        nameAttrPassed = true;
        name = forceStringNoCtx(v.values[i]!, v.positions[i]!);
      } else throw new EvalError(`unsupported argument '${n}' to '${who}'`, v.positions[i]!);
    }
    if (url === undefined) throw new EvalError("'url' argument required", pos);
  } else url = forceStringNoCtx(v, pos);
  if (name === "") name = baseNameOf(url);
  checkFetchName(name, url, who, nameAttrPassed, v instanceof NixAttrs);

  const { store } = drvState();
  // Pinned and already present: no download (CppNix's early exit).
  if (expected !== undefined && expected.algo === "sha256") {
    const pinned = storeCall(() => makeFixedOutputPath(name, unpack ? "recursive" : "flat", expected!, {}, store.storeDir)).render(store.storeDir);
    if (store.isValidPath(pinned)) return new NixString(pinned, [pinned]);
  }
  const data = download(url);
  let path: string;
  let got: Hash;
  if (!unpack) {
    got = hashBytes("sha256", data);
    path = withTempDir((dir) => {
      const file = dir + "/" + "download";
      writeFileSync(Buffer.from(file, "latin1"), data);
      return store.addToStore(file, name, "flat");
    });
  } else {
    ({ path, got } = withTempDir((dir) => {
      if (isZip(data)) extractZip(data, dir, url!);
      else extractTar(decompressArchive(data, url!), dir);
      const members = readdirSync(Buffer.from(dir, "latin1"), { encoding: "buffer" });
      if (members.length !== 1) throw new EvalError(`tarball '${url}' contains an unexpected number of top-level files`);
      const top = dir + "/" + members[0]!.toString("latin1");
      return { path: store.addToStore(top, name, "recursive"), got: narHashFiltered(top, undefined) };
    }));
  }
  if (expected !== undefined && !got.equals(expected)) throw hashMismatch(url, expected, got);
  return new NixString(path, [path]);
}

definePrimOp("__fetchurl", 1, ([arg], pos) => fetchUrlOrTarball(arg!, pos, "fetchurl", false, ""));
definePrimOp("fetchTarball", 1, ([arg], pos) => fetchUrlOrTarball(arg!, pos, "fetchTarball", true, "source"));

// ---------------------------------------------------------------- fetchGit

function git(args: string[], cwd?: string): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync("git", args, { cwd, env: { ...process.env, LC_ALL: "C" }, maxBuffer: 1 << 30 });
  if (r.error) throw new EvalError(`could not run git: ${r.error.message}`);
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.toString("latin1") };
}

function gitOk(args: string[]): string {
  const r = git(args);
  if (r.status !== 0) throw new EvalError(`program 'git' failed with exit code ${r.status}: ${r.stderr.trim()}`);
  return r.stdout.toString("latin1");
}

function lastModifiedDate(seconds: bigint): string {
  const d = new Date(Number(seconds) * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

interface GitInput {
  url: string;
  name: string;
  ref?: string;
  rev?: string;
  submodules: boolean;
  shallow: boolean;
}

function gitInput(arg: Lazy, pos: number): GitInput {
  const v = force(arg, pos);
  const input: GitInput = { url: "", name: "source", submodules: false, shallow: false };
  const str = (x: Lazy, p: number): string => stringBytes(coerceToString(x, p, { copyToStore: false }));
  if (v instanceof NixAttrs) {
    if (v.has("type")) throw new EvalError("unexpected attribute 'type'", pos);
    for (let i = 0; i < v.names.length; i++) {
      const n = v.names[i]!;
      const x = force(v.values[i]!, v.positions[i]!);
      if (typeof x === "boolean") {
        if (n === "submodules") input.submodules = x;
        else if (n === "shallow") input.shallow = x;
      } else if (typeof x === "string" || x instanceof NixString || x instanceof NixPath) {
        const s = str(x, v.positions[i]!);
        if (n === "url") input.url = s;
        else if (n === "name") input.name = s;
        else if (n === "ref") input.ref = s;
        else if (n === "rev") input.rev = s;
        else throw new EvalError(`unsupported Git input attribute '${n}'`);
      } else if (typeof x !== "number" && typeof x !== "bigint") {
        throw new EvalError(`fetchTree argument '${n}' is ${showType(x)} while a string, Boolean or integer is expected`);
      }
    }
  } else input.url = str(v, pos);
  if (input.url.startsWith("file://")) input.url = input.url.slice("file://".length);
  if (!input.url.startsWith("/")) throw new EvalError(`fetchGit: only local repositories are supported here, not '${input.url}'`, pos);
  return input;
}

function treeAttrs(path: string, narHash: Hash, rev: string, revCount: bigint | null, lastModified: bigint, submodules: boolean): NixAttrs {
  const m: Record<string, Value> = {
    outPath: new NixString(path, [path]),
    narHash: narHash.toSri(),
    submodules,
    rev,
    shortRev: rev.slice(0, 7),
    lastModified: mkInt(lastModified),
    lastModifiedDate: lastModifiedDate(lastModified),
  };
  if (revCount !== null) m.revCount = mkInt(revCount);
  return NixAttrs.of(m);
}

definePrimOp("fetchGit", 1, ([arg], pos) => {
  const input = gitInput(arg!, pos);
  const repo = input.url;
  const { store } = drvState();
  if (input.ref === undefined && input.rev === undefined) {
    const head = git(["-C", repo, "rev-parse", "--verify", "--no-revs", "HEAD^{commit}"]);
    if (head.stderr.includes("fatal: not a git repository")) throw new EvalError(`'${repo}' is not a Git repository`);
    const hasHead = head.status === 0;
    const clean = hasHead && git(["-C", repo, "diff", "HEAD", "--quiet", ...(input.submodules ? [] : ["--ignore-submodules"]), "--"]).status === 0;
    if (!clean) {
      warn(`Git tree '${repo}' is dirty`);
      const files = new Set(
        gitOk(["-C", repo, "ls-files", "-z", ...(input.submodules ? ["--recurse-submodules"] : [])])
          .split("\0")
          .filter((f) => f !== ""),
      );
      const sorted = [...files].sort();
      const filter = (p: string): boolean => {
        const file = p.slice(repo.length + 1);
        if (lstatSync(Buffer.from(p, "latin1")).isDirectory()) {
          const prefix = file + "/";
          return sorted.some((f) => f.startsWith(prefix));
        }
        return files.has(file);
      };
      const path = store.addToStore(repo, input.name, "recursive", filter);
      const narHash = narHashFiltered(repo, filter);
      const lastModified = hasHead ? BigInt(gitOk(["-C", repo, "log", "-1", "--format=%ct", "--no-show-signature", "HEAD"]).trim()) : 0n;
      return treeAttrs(path, narHash, "0".repeat(40), 0n, lastModified, input.submodules);
    }
  }
  const ref = input.ref ?? gitOk(["-C", repo, "rev-parse", "--abbrev-ref", "HEAD"]).trim();
  const rev = input.rev ?? gitOk(["-C", repo, "rev-parse", ref]).trim();
  const commit = git(["-C", repo, "cat-file", "commit", rev]);
  if (commit.status !== 0) {
    throw new EvalError(
      `Cannot find Git revision '${rev}' in ref '${ref}' of repository '${repo}'! Please make sure that the rev exists on the ref you've specified or add allRefs = true; to fetchGit.`,
    );
  }
  const archive = git(["-C", repo, "archive", rev]);
  if (archive.status !== 0) throw new EvalError(`program 'git' failed with exit code ${archive.status}: ${archive.stderr.trim()}`);
  const { path, narHash } = withTempDir((dir) => {
    extractTar(archive.stdout, dir);
    return { path: store.addToStore(dir, input.name, "recursive"), narHash: narHashFiltered(dir, undefined) };
  });
  const lastModified = BigInt(gitOk(["-C", repo, "log", "-1", "--format=%ct", "--no-show-signature", rev]).trim());
  const revCount = input.shallow ? null : BigInt(gitOk(["-C", repo, "rev-list", "--count", rev]).trim());
  return treeAttrs(path, narHash, rev, revCount, lastModified, input.submodules);
});

// fetchTree needs the `flakes` experimental feature, which CppNix 2.8 has off by default.
definePrimOp("fetchTree", 1, () => {
  throw new EvalError("experimental Nix feature 'flakes' is disabled; use '--extra-experimental-features flakes' to override");
});

/** fetchMercurial: CppNix's argument checks; the fetch itself needs `hg`. */
definePrimOp("fetchMercurial", 1, ([arg], pos) => {
  const v = force(arg!, pos);
  let url = "";
  if (v instanceof NixAttrs) {
    for (let i = 0; i < v.names.length; i++) {
      const n = v.names[i]!;
      if (n === "url") url = stringBytes(coerceToString(v.values[i]!, v.positions[i]!, { copyToStore: false }));
      else if (n === "rev" || n === "name") forceStringNoCtx(v.values[i]!, v.positions[i]!);
      else throw new EvalError(`unsupported argument '${n}' to 'fetchMercurial'`, v.positions[i]!);
    }
    if (url === "") throw new EvalError("'url' argument required", pos);
  } else url = stringBytes(coerceToString(v, pos, { copyToStore: false }));
  const probe = spawnSync("hg", ["--version"], { stdio: "ignore" });
  if (probe.error) {
    process.stderr.write("error: executing 'hg': No such file or directory\n");
    throw new EvalError("hg failed with exit code 1");
  }
  throw new EvalError(`fetchMercurial of '${url}' is not supported by Lading`);
});
