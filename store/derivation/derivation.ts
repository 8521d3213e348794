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
