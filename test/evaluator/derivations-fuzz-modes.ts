/** How each derivation-fuzzer family is compared: nix-instantiate's output mode and cases per batch. */
import type { DrvFamily } from "./derivations-fuzz-gen.js";
import type { Mode } from "./fuzz-harness.js";

export const DRV_FUZZ_MODES: Readonly<Record<DrvFamily, { mode: Mode; batch: number }>> = {
  // .drv files written by CppNix, compared byte for byte.
  files: { mode: "drv", batch: 16 },
  probes: { mode: "json", batch: 24 },
  errors: { mode: "plain", batch: 16 },
};
