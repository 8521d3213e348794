import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hashBytes, makeStorePath } from "../../store/index.js";
import type { ClosureNode } from "../../layering/index.js";

/** A valid store path for `name` (its hash derived from the name, so tests are stable). */
export function fakeStorePath(name: string): string {
  return makeStorePath("output:out", hashBytes("sha256", `fake:${name}`), name).render();
}

/** A tree to write: a string or Buffer is a file (`{exec}` marks executables), `{link}` a symlink. */
export type FakeTree = { [name: string]: FakeTree | string | Buffer | { exec: string } | { link: string } };

/** Writes `tree` as the store path `storePath` under the physical root `root`. */
export function writeFakePath(root: string, storePath: string, tree: FakeTree | string): void {
  const target = join(root, storePath);
  mkdirSync(dirname(target), { recursive: true });
  writeNode(target, tree);
}

function writeNode(path: string, node: FakeTree[string] | FakeTree): void {
  if (typeof node === "string" || Buffer.isBuffer(node)) {
    writeFileSync(path, node);
    chmodSync(path, 0o644);
  } else if ("exec" in node && typeof node.exec === "string") {
    writeFileSync(path, node.exec);
    chmodSync(path, 0o755);
  } else if ("link" in node && typeof node.link === "string") {
    symlinkSync(node.link, path);
  } else {
    mkdirSync(path);
    for (const [name, child] of Object.entries(node as FakeTree)) writeNode(join(path, name), child);
  }
}

/** A closure from `name → referenced names` with sizes; paths made by fakeStorePath. */
export function closureOf(spec: Record<string, { size: number; refs?: string[] }>): ClosureNode[] {
  return Object.entries(spec).map(([name, { size, refs }]) => ({
    path: fakeStorePath(name),
    narSize: size,
    references: (refs ?? []).map(fakeStorePath),
  }));
}
