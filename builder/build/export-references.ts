import { readFile } from "node:fs/promises";
import { DRV_EXTENSION, parseDerivation, parseStorePath, sortStorePaths, type Derivation, type StorePath } from "../../store/index.js";
import type { LocalStore } from "../local-store/index.js";
import { isStructured } from "./environment.js";
import { BuildError } from "./errors.js";

const FILE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * `exportReferencesGraph = [ name1 path1 name2 path2 … ]` (without structured
 * attributes): each `nameN` file in the build directory lists the closure of `pathN`
 * (which must be in the input closure; a .drv brings its outputs' closures too) in
 * `nix-store --register-validity` format without derivers or hashes.
 */
export async function exportReferencesGraph(
  drv: Derivation,
  store: LocalStore,
  inputClosure: readonly StorePath[],
): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  if (isStructured(drv)) return files;
  const text = drv.env.get("exportReferencesGraph") ?? "";
  const tokens = text.split(/[ \t\n\r]+/).filter((t) => t !== "");
  if (tokens.length % 2 !== 0) throw new BuildError(`odd number of tokens in 'exportReferencesGraph': '${text}'`);
  const inputs = new Set(inputClosure.map((p) => p.baseName));
  for (let i = 0; i < tokens.length; i += 2) {
    const fileName = tokens[i]!;
    const pathText = tokens[i + 1]!;
    if (!FILE_NAME.test(fileName)) throw new BuildError(`invalid file name '${fileName}' in 'exportReferencesGraph'`);
    if (!pathText.startsWith(`${store.storeDir}/`)) throw new BuildError(`'exportReferencesGraph' contains a non-store path '${pathText}'`);
    const base = pathText.slice(store.storeDir.length + 1).split("/")[0]!;
    const path = parseStorePath(`${store.storeDir}/${base}`, store.storeDir);
    if (!inputs.has(path.baseName)) {
      throw new BuildError(`cannot export references of path '${path.render(store.storeDir)}' because it is not in the input closure of the derivation`);
    }
    const closure = new Map(store.computeClosure([path]).map((p) => [p.baseName, p]));
    for (const p of [...closure.values()]) {
      if (!p.name.endsWith(DRV_EXTENSION)) continue;
      const inner = parseDerivation(await readFile(store.realPath(p), "latin1"));
      for (const output of inner.outputs.values()) {
        for (const q of store.computeClosure([parseStorePath(output.path, store.storeDir)])) closure.set(q.baseName, q);
      }
    }
    let out = "";
    for (const p of sortStorePaths(closure.values())) {
      const refs = sortStorePaths(store.queryReferences(p));
      out += `${p.render(store.storeDir)}\n\n${refs.length}\n${refs.map((r) => `${r.render(store.storeDir)}\n`).join("")}`;
    }
    files.set(fileName, Buffer.from(out, "latin1"));
  }
  return files;
}
