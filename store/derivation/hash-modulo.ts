import { Hash, hashBytes, parseHash, parseHashAlgo } from "../hash.js";
import { makeFixedOutputPath, makeOutputPath, makeTextPath } from "../make-store-path.js";
import { DEFAULT_STORE_DIR, StorePath, parseStorePath } from "../store-path.js";
import { renderDerivation } from "./aterm.js";
import { DerivationRender, type TextOptions } from "./render.js";
import { fixedOutput, sortStrings, type Derivation } from "./derivation.js";
import { sha256Hex, storePathFromHex } from "./fast-hash.js";

const MASKED_HASHED: TextOptions = { maskOutputs: true, hashedInputs: true };
const HASHED: TextOptions = { hashedInputs: true };

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
  /** Base16 hashes by .drv path, or how to compute one when first asked. */
  private readonly memo = new Map<string, string | (() => string)>();

  constructor(private readonly load: DerivationLoader) {}

  /** The hash of the input derivation at `drvPath` (outputs as written in its .drv), base16. */
  private hexOfPath(drvPath: string): string {
    const known = this.memo.get(drvPath);
    if (typeof known === "string") return known;
    const hex = known !== undefined ? known() : this.hashModuloHex(this.load(drvPath), false);
    this.memo.set(drvPath, hex);
    return hex;
  }

  /** The hash of the input derivation at `drvPath` (outputs as written in its .drv). */
  hashOfPath(drvPath: string): Hash {
    return new Hash("sha256", Buffer.from(this.hexOfPath(drvPath), "hex"));
  }

  /** Seeds the memo, e.g. when the evaluator has just computed a derivation's hash. */
  remember(drvPath: string, hash: Hash): void {
    this.memo.set(drvPath, hash.toBase16());
  }

  /** `remember` with the hash in base16. */
  rememberHex(drvPath: string, hex: string): void {
    this.memo.set(drvPath, hex);
  }

  /** Seeds the memo with a computation (of the base16 hash) run only if a dependent needs it. */
  rememberLazily(drvPath: string, compute: () => string): void {
    if (!this.memo.has(drvPath)) this.memo.set(drvPath, compute);
  }

  /**
   * `render`, when given, is the derivation's DerivationRender, reused between the
   * masked and the final hashing.
   */
  hashModulo(drv: Derivation, maskOutputs: boolean, render?: DerivationRender): Hash {
    return new Hash("sha256", Buffer.from(this.hashModuloHex(drv, maskOutputs, render), "hex"));
  }

  /** `hashModulo` in base16, the form store paths and dependents' ATerms use. */
  hashModuloHex(drv: Derivation, maskOutputs: boolean, render?: DerivationRender): string {
    const fixed = fixedOutput(drv);
    if (fixed) return sha256Hex(`fixed:out:${fixed.hashAlgo}:${fixed.hash}:${fixed.path}`);
    const r = render ?? new DerivationRender(drv);
    r.hashedInputMap ??= this.hashedInputDrvs(drv);
    return r.hashHex(maskOutputs ? MASKED_HASHED : HASHED);
  }

  /** The input derivations with each path replaced by its hash. */
  private hashedInputDrvs(drv: Derivation): Map<string, string[]> {
    // Two inputs may hash alike (e.g. fixed outputs of the same content): their output sets merge.
    const byHash = new Map<string, string[]>();
    for (const [drvPath, outputs] of drv.inputDrvs) {
      const key = this.hexOfPath(drvPath);
      const known = byHash.get(key);
      if (known === undefined) byHash.set(key, outputs);
      else {
        const merged = known.slice();
        for (const o of outputs) if (!merged.includes(o)) merged.push(o);
        byHash.set(key, merged);
      }
    }
    return byHash;
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

/**
 * The .drv path from its text, when the references (input sources and derivations)
 * are already known to be valid store paths in `storeDir`, e.g. because the
 * evaluator checked them: no parsing; with one store directory the full paths sort
 * as their base names do. Duplicates count once.
 */
export function derivationStorePathFromText(text: string, references: readonly string[], drvName: string, storeDir = DEFAULT_STORE_DIR): StorePath {
  return parseStorePath(derivationPathFromText(text, references, drvName, storeDir), storeDir);
}

/** `derivationStorePathFromText` rendered, computed without StorePath or Hash objects. `textHex`: sha256 of `text` if known. */
export function derivationPathFromText(text: string, references: readonly string[], drvName: string, storeDir = DEFAULT_STORE_DIR, textHex?: string): string {
  const type = references.length === 0 ? "text" : "text:" + sortedUnique(references).join(":");
  return storePathFromHex(type, textHex ?? sha256Hex(text), `${drvName}.drv`, storeDir);
}

function sortedUnique(items: readonly string[]): string[] {
  const sorted = sortStrings([...items]);
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  sorted.length = n;
  return sorted;
}
