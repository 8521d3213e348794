import { existsSync } from "node:fs";
import type { Derivation } from "../../store/index.js";
import { stringsAttr } from "./environment.js";

/** This machine's Nix system name (`x86_64-linux`, `aarch64-linux`, …). */
export function hostSystem(): string {
  const arch: Record<string, string> = { x64: "x86_64", arm64: "aarch64", ia32: "i686", arm: "armv7l", riscv64: "riscv64", ppc64: "powerpc64le", s390x: "s390x" };
  return `${arch[process.arch] ?? process.arch}-${process.platform}`;
}

/** The systems builds may be for besides the host's: CppNix's default extra-platforms plus `LADING_EXTRA_PLATFORMS`. */
export function extraPlatforms(env: NodeJS.ProcessEnv = process.env): string[] {
  const defaults = hostSystem() === "x86_64-linux" ? ["i686-linux"] : [];
  return [...defaults, ...(env.LADING_EXTRA_PLATFORMS ?? "").split(/\s+/).filter((w) => w !== "")];
}

/** CppNix's default system-features for a local machine. */
export function systemFeatures(): string[] {
  const features = ["benchmark", "big-parallel", "nixos-test"];
  if (existsSync("/dev/kvm")) features.push("kvm");
  return features.sort();
}

/** Why this machine cannot build `drv`, in CppNix's words, or undefined when it can. */
export function cannotBuildHere(drv: Derivation, drvName: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const required = [...new Set(stringsAttr(drv, "requiredSystemFeatures") ?? [])].sort();
  const features = systemFeatures();
  const builtin = drv.builder.startsWith("builtin:");
  const platformOk = builtin || drv.platform === hostSystem() || extraPlatforms(env).includes(drv.platform);
  if (platformOk && required.every((f) => features.includes(f))) return undefined;
  return `a '${drv.platform}' with features {${required.join(", ")}} is required to build '${drvName}', but I am a '${hostSystem()}' with features {${features.join(", ")}}`;
}
