import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { parseStorePath, SecretKey, type StorePath } from "../../store/index.js";
import { SeededRandom } from "../helpers/random.js";
import { runNix } from "../helpers/nix.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lading-${prefix}-`));
}

/** A tree with directories, executables, symlinks and a larger file, to `nix-store --add`. */
export function makeTree(dir: string, seed: number): void {
  const rnd = new SeededRandom(seed);
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "share", "doc", "deep"), { recursive: true });
  writeFileSync(join(dir, "bin", "tool"), `#!/bin/sh\necho tool ${seed}\n`);
  chmodSync(join(dir, "bin", "tool"), 0o755);
  symlinkSync("tool", join(dir, "bin", "alias"));
  symlinkSync("../share/doc", join(dir, "bin", "doc"));
  writeFileSync(join(dir, "share", "doc", "README"), `seed ${seed}\n`);
  writeFileSync(join(dir, "share", "doc", "deep", "empty"), "");
  // Half a megabyte of text-like data: compressible, but not trivially.
  const words = Array.from({ length: 300 }, () => rnd.string("abcdefghijklmnopqrstuvwxyz", rnd.int(2, 9)));
  const lines: string[] = [];
  for (let i = 0; i < 60000; i++) lines.push(rnd.pick(words));
  writeFileSync(join(dir, "share", "words"), lines.join(" "));
  writeFileSync(join(dir, "share", "random.bin"), rnd.bytes(40000));
}

/** The closure CppNix builds: top → mid → leaf → tree, a text file, a self-reference. */
export interface NixClosure {
  tree: StorePath;
  note: StorePath;
  leaf: StorePath;
  mid: StorePath;
  top: StorePath;
  /** Every path of the closure of `top`. */
  all: StorePath[];
}

const EXPRESSION = `
{ nonce, treeDir }:
let
  tree = builtins.path { path = /. + treeDir; name = "tree-\${nonce}"; };
  note = builtins.toFile "note-\${nonce}" "see \${tree}/bin/tool";
  mk = name: script: derivation {
    inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; NONCE = nonce;
  };
  leaf = mk "leaf-\${nonce}" ''
    i=0; while [ $i -lt 3000 ]; do echo "leaf line $i of $NONCE uses \${tree}"; i=$((i+1)); done > $out
  '';
  mid = mk "mid-\${nonce}" "echo \${leaf} $out \${note} > $out";
  top = mk "top-\${nonce}" "echo \${mid} \${tree} > $out";
in { inherit tree note leaf mid top; }
`;

/** Builds a fresh closure with CppNix (a nonce keeps each test run's paths new). */
export function buildNixClosure(nonce: string): NixClosure {
  const dir = tempDir("closure");
  makeTree(join(dir, "tree"), nonce.length * 7919 + nonce.charCodeAt(0));
  writeFileSync(join(dir, "default.nix"), EXPRESSION);
  const build = (attr: string): StorePath =>
    parseStorePath(
      runNix("nix-build", [
        "--no-out-link",
        "--option", "substituters", "",
        join(dir, "default.nix"),
        "--argstr", "nonce", nonce,
        "--argstr", "treeDir", join(dir, "tree"),
        "-A", attr,
      ])
        .toString()
        .trim(),
    );
  const top = build("top");
  const all = runNix("nix-store", ["-qR", top.render()])
    .toString()
    .trim()
    .split("\n")
    .map((p) => parseStorePath(p));
  const named = (name: string): StorePath => {
    const found = all.find((p) => p.name === `${name}-${nonce}`);
    if (!found) throw new Error(`no ${name} in the closure of ${top.baseName}`);
    return found;
  };
  return { tree: named("tree"), note: named("note"), leaf: named("leaf"), mid: named("mid"), top, all };
}

export interface NixCache {
  dir: string;
  url: string;
  key: SecretKey;
}

/** A binary cache CppNix writes with `nix copy`, signed by a fresh key. */
export function makeNixCache(
  paths: StorePath[],
  compression: string,
  key = SecretKey.generate(`test-${compression}-1`),
  sign = true,
  derivations: StorePath[] = [],
): NixCache {
  const dir = tempDir(`cache-${compression}`);
  const keyFile = join(dir, "..", `${dir.split("/").pop()}.sk`);
  writeFileSync(keyFile, key.toString());
  const params = `compression=${compression}${sign ? `&secret-key=${keyFile}` : ""}`;
  if (paths.length > 0) runNix("nix", ["copy", "--to", `file://${dir}?${params}`, ...paths.map((p) => p.render())]);
  // A .drv given to `nix copy` means its outputs; --derivation copies the .drv files themselves.
  if (derivations.length > 0) {
    runNix("nix", ["copy", "--derivation", "--to", `file://${dir}?${params}`, ...derivations.map((p) => p.render())]);
  }
  return { dir, url: `file://${dir}`, key };
}

export function nixQuery(flag: string, path: StorePath): string[] {
  return runNix("nix-store", ["-q", flag, path.render()]).toString().trim().split("\n").filter((l) => l !== "");
}

export type Fault = (req: IncomingMessage, res: ServerResponse, file: string) => boolean | Promise<boolean>;

/** A static file server over a cache directory that counts requests and can fail on purpose. */
export class CacheServer {
  readonly requests: string[] = [];
  fault: Fault | undefined;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(root: string): Promise<CacheServer> {
    const ref: { self?: CacheServer } = {};
    const server = createServer((req, res) => {
      void (async () => {
        const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
        ref.self!.requests.push(rel);
        const file = normalize(join(root, rel));
        if (!file.startsWith(root)) return void res.writeHead(403).end();
        if (ref.self!.fault && (await ref.self!.fault(req, res, file))) return;
        const st = await stat(file).catch(() => undefined);
        if (!st?.isFile()) return void res.writeHead(404).end("not found");
        res.writeHead(200, { "content-length": st.size });
        createReadStream(file).pipe(res);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    ref.self = new CacheServer(server, `http://127.0.0.1:${port}`);
    return ref.self;
  }

  count(pred: (path: string) => boolean): number {
    return this.requests.filter(pred).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function readText(file: string): string {
  return readFileSync(file, "utf8");
}
