/**
 * Where the benchmarks find nixpkgs' lib: LADING_NIXPKGS_LIB (a checkout of
 * nixpkgs or nixpkgs.lib), else the scratch folder /tmp/nixlib, fetched there
 * (`git clone --depth 1` of github.com/nix-community/nixpkgs.lib) when missing, as
 * scripts/nixpkgs-lib-tests.sh does. Never inside the repository. Returns the `lib`
 * directory, or undefined (with the reason printed) when it cannot be had.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const SCRATCH = "/tmp/nixlib";
const UPSTREAM = "https://github.com/nix-community/nixpkgs.lib";

let found: string | null | undefined;

export function nixpkgsLib(): string | undefined {
  if (found !== undefined) return found ?? undefined;
  const root = process.env.LADING_NIXPKGS_LIB ?? SCRATCH;
  if (!existsSync(join(root, "lib", "default.nix")) && root === SCRATCH) {
    console.error(`fetching nixpkgs lib into ${SCRATCH} (${UPSTREAM})…`);
    const r = spawnSync("git", ["clone", "--quiet", "--depth", "1", UPSTREAM, SCRATCH], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0) console.error(`could not fetch nixpkgs lib: ${(r.stderr || String(r.error)).trim()}`);
  }
  found = existsSync(join(root, "lib", "default.nix")) ? join(root, "lib") : null;
  if (found === null) console.error(`no nixpkgs lib at ${root}: its workloads are left out (set LADING_NIXPKGS_LIB to a checkout)`);
  return found ?? undefined;
}
