import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { mulberry32 } from "../helpers/random.js";

/** A seeded PRNG (mulberry32): the same seed gives the same run. */
export const makeRandom = mulberry32;

/** Result of one `nix-instantiate --eval` run: stdout and stderr as byte strings (latin1 view). */
export interface NixEvalResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Evaluates a Nix expression given as a byte string (each char code one byte), so
 * expressions may hold bytes that are not valid UTF-8. `mode` picks the output
 * form: "json" (--strict --json), "plain" (--strict), "xml" (--strict --xml).
 */
export function nixEval(expr: string, mode: "json" | "plain" | "xml" = "json"): NixEvalResult {
  const dir = mkdtempSync(join(tmpdir(), "lading-support-"));
  try {
    const file = join(dir, "expr.nix");
    writeFileSync(file, Buffer.from(expr, "latin1"));
    const flags = mode === "json" ? ["--json"] : mode === "xml" ? ["--xml"] : [];
    const r = spawnSync("nix-instantiate", ["--eval", "--strict", ...flags, file], {
      maxBuffer: 1 << 30,
      env: { ...process.env, NIX_CONFIG: "experimental-features = nix-command" },
    });
    return { ok: r.status === 0, stdout: r.stdout.toString("latin1"), stderr: r.stderr.toString("latin1") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Evaluates with --json and parses the output; throws with CppNix's stderr on failure. */
export function nixEvalJson(expr: string): unknown {
  const r = nixEval(expr, "json");
  if (!r.ok) throw new Error(`nix-instantiate failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A Nix string literal for a byte string (escapes `"`, `\` and `${`). */
export function nixString(bytes: string): string {
  return '"' + bytes.replace(/[\\"]/g, "\\$&").replace(/\$\{/g, "\\${").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t") + '"';
}

