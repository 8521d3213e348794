/**
 * The end-to-end tests' package set (test/e2e/fixtures/dev-pkgs), built by CppNix and
 * put in a signed `file://` binary cache, so the registry pipeline is exercised
 * whole (evaluate → substitute → layer → serve) without a local builder.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runNix } from "../helpers/nix.js";

const FIXTURE = new URL("../../../test/e2e/fixtures/dev-pkgs/", import.meta.url).pathname;
const APPLETS = ["sh", "mkdir", "cp", "ln", "chmod", "printf", "cat", "echo"];
const ATTRS = ["busybox", "hello", "libgreet", "greet", "welcome"];

export interface DevPackageSet {
  /** The package set directory (LADING_PKGS_PATH). */
  dir: string;
  /** LADING_SUBSTITUTERS / LADING_TRUSTED_KEYS for the cache holding its outputs. */
  substituters: string;
  trustedKeys: string;
}

function findBusybox(): string {
  for (const candidate of ["/bin/busybox", "/usr/bin/busybox"]) {
    try {
      if (readFileSync(candidate).subarray(0, 4).toString("latin1") === "\x7fELF") return candidate;
    } catch {
      // try the next
    }
  }
  if (process.env.CI) throw new Error("busybox-static is required in CI (scripts/install-deps.sh)");
  throw new Error("busybox (busybox-static) not found");
}

/** Builds the set with CppNix and caches its outputs; takes ~10-20 s. */
export function prepareDevPackageSet(): DevPackageSet {
  const root = mkdtempSync(join(tmpdir(), "lading-devpkgs-"));
  const dir = join(root, "pkgs");
  mkdirSync(join(dir, "tools", "bin"), { recursive: true });
  copyFileSync(join(FIXTURE, "default.nix"), join(dir, "default.nix"));
  copyFileSync(findBusybox(), join(dir, "tools", "bin", "busybox"));
  for (const applet of APPLETS) symlinkSync("busybox", join(dir, "tools", "bin", applet));
  execFileSync("gcc", ["-static", "-O2", "-s", "-o", join(dir, "tools", "bin", "hello"), join(FIXTURE, "hello.c")]);

  const outs = runNix("nix-build", [join(dir, "default.nix"), "--no-out-link", ...ATTRS.flatMap((a) => ["-A", a])])
    .toString()
    .trim()
    .split("\n");
  const secret = join(root, "cache.sec");
  const pub = join(root, "cache.pub");
  runNix("nix-store", ["--generate-binary-cache-key", "lading-e2e-1", secret, pub]);
  const cache = join(root, "cache");
  runNix("nix", ["copy", "--to", `file://${cache}?secret-key=${secret}&compression=none`, ...outs]);
  writeFileSync(join(root, "outputs"), outs.join("\n"));
  return { dir, substituters: `file://${cache}`, trustedKeys: readFileSync(pub, "utf8").trim() };
}
