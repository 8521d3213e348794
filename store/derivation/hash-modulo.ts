import { Hash, hashBytes, parseHash, parseHashAlgo } from "../hash.js";
import { makeFixedOutputPath, makeOutputPath, makeTextPath } from "../make-store-path.js";
import { DEFAULT_STORE_DIR, StorePath, parseStorePath } from "../store-path.js";
import { renderDerivation } from "./aterm.js";
import { compareBytes, fixedOutput, type Derivation } from "./derivation.js";

/** Loads an input derivation by its .drv path (from the store, or from an evaluator's cache). */
export type DerivationLoader = (drvPath: string) => Derivation;

function latin1(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/**
 * hashDerivationModulo with a memo per .drv path: fixed-output derivations hash to
 * their promised output, so changing how a source is fetched does not change anything
 * downstream; other derivations hash their ATerm with each input .drv path replaced
 * by that input's own hash.
 */
export class DerivationHasher {
  private readonly memo = new Map<string, Hash>();

  constructor(private readonly load: DerivationLoader) {}

  /** The hash of the input derivation at `drvPath` (outputs as written in its .drv). */
  hashOfPath(drvPath: string): Hash {
    let hash = this.memo.get(drvPath);
    if (!hash) {
      hash = this.hashModulo(this.load(drvPath), false);
      this.memo.set(drvPath, hash);
    }
    return hash;
  }

  /** Seeds the memo, e.g. when the evaluator has just computed a derivation's hash. */
  remember(drvPath: string, hash: Hash): void {
    this.memo.set(drvPath, hash);
  }

  hashModulo(drv: Derivation, maskOutputs: boolean): Hash {
    const fixed = fixedOutput(drv);
    if (fixed) {
      return hashBytes("sha256", latin1(`fixed:out:${fixed.hashAlgo}:${fixed.hash}:${fixed.path}`));
    }
    // Two inputs may hash alike (e.g. fixed outputs of the same content): their output sets merge.
    const byHash = new Map<string, Set<string>>();
    for (const [drvPath, outputs] of drv.inputDrvs) {
      const key = this.hashOfPath(drvPath).toBase16();
      let set = byHash.get(key);
      if (!set) byHash.set(key, (set = new Set()));
      for (const o of outputs) set.add(o);
    }
    const inputDrvs = new Map<string, string[]>();
    for (const [key, set] of byHash) inputDrvs.set(key, [...set].sort(compareBytes));
    return hashBytes("sha256", latin1(renderDerivation(drv, { maskOutputs, inputDrvs })));
  }
}

/** `sha256` → ["flat", sha256]; `r:sha256` → ["recursive", sha256]. */
export function parseOutputHashAlgo(hashAlgo: string): { method: "flat" | "recursive"; algo: ReturnType<typeof parseHashAlgo> } {
  if (hashAlgo.startsWith("r:")) return { method: "recursive", algo: parseHashAlgo(hashAlgo.slice(2)) };
  return { method: "flat", algo: parseHashAlgo(hashAlgo) };
}

/**
 * Fills in the output paths (and the env variables named after outputs) of a derivation
 * whose outputs are still "" — what `derivationStrict` does before writing the .drv.
 */
export function fillOutputPaths(
  drv: Derivation,
  drvName: string,
  hasher: DerivationHasher,
  storeDir = DEFAULT_STORE_DIR,
): void {
  const fixed = fixedOutput(drv);
  if (fixed) {
    const { method, algo } = parseOutputHashAlgo(fixed.hashAlgo);
    const path = makeFixedOutputPath(drvName, method, parseHash(fixed.hash, algo), {}, storeDir).render(storeDir);
    fixed.path = path;
    drv.env.set("out", path);
    return;
  }
  const hash = hasher.hashModulo(drv, true);
  for (const [outputName, output] of drv.outputs) {
    const path = makeOutputPath(outputName, hash, drvName, storeDir).render(storeDir);
    output.path = path;
    drv.env.set(outputName, path);
  }
}

/** The .drv file's own store path: a text path referring to its input sources and derivations. */
export function derivationStorePath(drv: Derivation, drvName: string, storeDir = DEFAULT_STORE_DIR): StorePath {
  const references: StorePath[] = [];
  for (const src of drv.inputSrcs) references.push(parseStorePath(src, storeDir));
  for (const drvPath of drv.inputDrvs.keys()) references.push(parseStorePath(drvPath, storeDir));
  const contents = latin1(renderDerivation(drv));
  return makeTextPath(`${drvName}.drv`, hashBytes("sha256", contents), references, storeDir);
}
