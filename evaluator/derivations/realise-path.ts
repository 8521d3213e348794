/**
 * Reading back what evaluation wrote (CppNix's realisePath): before `readFile`,
 * `readDir`, `pathExists`, `import` … read a path, every store path in its string
 * context must be valid in the evaluation's store — in `--readonly-mode` (and with
 * `--eval`) what `toFile`, `${./dir}` or a fetcher only computed is not, and CppNix
 * says "path '…' is not valid"; when writing it is, and the path is read from
 * where the store keeps it (Lading's staging copy or its store under
 * LADING_DATA_DIR), not from the host's /nix/store.
 *
 * And what `readFile` gives a file in the store as context: as CppNix 2.8, every
 * reference of its store path (current CppNix keeps only those the text contains),
 * as far as the evaluation's store knows them — paths this evaluation made, and .drv
 * files; nothing for a path it cannot tell (e.g. the host's, which has no database here).
 */
import { EvalError, setPathRealiser } from "../eval/index.js";
import { setStoreFileReferences } from "../builtins/index.js";
import { drvState } from "./drv-state.js";

/** The store path a context element names: `=drv` and `!out!drv` name the .drv. */
function contextPath(c: string): string {
  if (c.startsWith("=")) return c.slice(1);
  if (c.startsWith("!")) return c.slice(c.indexOf("!", 1) + 1);
  return c;
}

setPathRealiser((path, context, pos) => {
  const { store } = drvState();
  for (const c of context) {
    const p = contextPath(c);
    if (!store.isValidPath(p)) {
      throw new EvalError(`path '${p}' is not valid`).addTrace(pos, `while realising the context of path '${path}'`);
    }
  }
  const prefix = store.storeDir + "/";
  if (!path.startsWith(prefix)) return path;
  const slash = path.indexOf("/", prefix.length);
  const storePath = slash < 0 ? path : path.slice(0, slash);
  return store.realPath(storePath) + (slash < 0 ? "" : path.slice(slash));
});

setStoreFileReferences((path) => {
  const { store } = drvState();
  const prefix = store.storeDir + "/";
  if (!path.startsWith(prefix)) return [];
  const slash = path.indexOf("/", prefix.length);
  const storePath = slash < 0 ? path : path.slice(0, slash);
  try {
    return store.isValidPath(storePath) ? store.queryReferences(storePath) : [];
  } catch {
    // As CppNix: a path whose references cannot be queried gets none.
    return [];
  }
});
