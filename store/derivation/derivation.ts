/**
 * A store derivation, as it is written to a `.drv` file. Strings are binary strings
 * (one char per byte, latin1), the convention the evaluator uses for Nix strings.
 */
export interface DerivationOutput {
  /** The output's store path; "" while the output paths are being computed. */
  path: string;
  /** "" for an input-addressed output; `sha256` or `r:sha256` (etc.) for a fixed output. */
  hashAlgo: string;
  /** The expected hash in base16 for a fixed output, else "". */
  hash: string;
}

export interface Derivation {
  /** Outputs by name; rendered sorted by name. */
  outputs: Map<string, DerivationOutput>;
  /** Input derivation paths and which of their outputs are used. */
  inputDrvs: Map<string, string[]>;
  /** Input source paths (store paths that are not derivation outputs). */
  inputSrcs: string[];
  platform: string;
  builder: string;
  args: string[];
  /** Environment; rendered sorted by key. */
  env: Map<string, string>;
}

/** The single `out` output of a fixed-output derivation, or undefined if it is not one. */
export function fixedOutput(drv: Derivation): DerivationOutput | undefined {
  if (drv.outputs.size !== 1) return undefined;
  const out = drv.outputs.get("out");
  return out && out.hash !== "" ? out : undefined;
}

/** Compares binary strings by bytes (JS `<` on latin1 strings is byte order). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts byte strings in place, by bytes (as the default sort does for latin1 strings).
 * Short arrays are insertion-sorted: V8's Array.prototype.sort allocates its merge
 * state (about 850 bytes) on every call, and a derivation sorts a dozen small arrays,
 * which the young-generation collector then has to copy in deep evaluations.
 */
export function sortStrings<T extends string[]>(items: T): T {
  const n = items.length;
  if (n > 24) return items.sort() as T;
  for (let i = 1; i < n; i++) {
    const x = items[i]!;
    let j = i - 1;
    while (j >= 0 && items[j]! > x) {
      items[j + 1] = items[j]!;
      j--;
    }
    items[j + 1] = x;
  }
  return items;
}
