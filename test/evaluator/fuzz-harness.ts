/**
 * Batched differential runs for the fuzzer: many generated cases go into one file,
 * evaluated as a list by one CppNix process and one in-process Lading call. When
 * the outputs agree (the usual case) the whole batch passes at once; otherwise the
 * batch is halved until each difference is pinned to one case (a failing case fails
 * the whole list, so error cases are compared one by one this way too). Errors are
 * compared by their final message, 2.8's wording mapped to current CppNix's
 * (errors-current.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ours, theirs, type Run } from "./eval-harness.js";
import { drvFileMismatches, oursWithDrvs, theirs as theirsDrv } from "./derivations-harness.js";
import { sameErrorAcrossVersions } from "./errors-current.js";

export type Mode = "plain" | "json" | "xml" | "drv";

export interface Mismatch {
  /** The case (or the batch, when no single case differs on its own). */
  expr: string;
  mode: Mode;
  ours: string;
  theirs: string;
}

export interface FuzzStats {
  cases: number;
  /** Cases failing on both sides with different errors that current CppNix's `//` evaluation order explains. */
  orderDependent: number;
  /** Cases where we report integer overflow (current CppNix) and 2.8 silently wrapped. */
  overflow: number;
  /** Processes run on each side. */
  runs: number;
  mismatches: Mismatch[];
}

/** A scratch directory; each batch runs in a fresh subdirectory of it (fuzzFixture). */
export function fuzzDir(): string {
  return mkdtempSync(join(tmpdir(), "lading-fuzz-"));
}

/** The files generated paths may name (`./foo`, `./a/b`), small enough to copy to the store. */
function fuzzFixture(dir: string): void {
  mkdirSync(join(dir, "a"), { recursive: true });
  writeFileSync(join(dir, "foo"), "foo\n");
  writeFileSync(join(dir, "x.nix"), "{ x = 1; }\n");
  writeFileSync(join(dir, "a", "b"), "b\n");
}

export function removeFuzzDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function argsFor(mode: Mode, file: string): string[] {
  if (mode === "drv") return [file];
  const out = mode === "json" ? ["--json"] : mode === "xml" ? ["--xml"] : [];
  return ["--eval", "--strict", "--readonly-mode", ...out, file];
}

let fileCounter = 0;

interface Side {
  stdout: string;
  error: string;
  exitCode: number;
  /** .drv files whose bytes differ (drv mode). */
  drvDiffs: string[];
}

/** Writes the files a batch's cases may name into its directory. */
export type Fixture = (dir: string) => void;

async function runBoth(cases: readonly string[], mode: Mode, dir: string, fixture: Fixture): Promise<[Side, Side]> {
  // Its own directory: `./.` is copied to the store by some cases, batch file included.
  // Deep, so that a chain of dirOf stays inside the scratch directory.
  const batchDir = join(dir, "1/2/3/4/5/6/7/8", `b${fileCounter++}`);
  fixture(batchDir);
  const file = join(batchDir, "batch.nix");
  writeFileSync(file, `[\n${cases.map((c) => `(${c})`).join("\n")}\n]\n`);
  const args = argsFor(mode, file);
  if (mode === "drv") {
    // CppNix writes the .drv files (to compare their bytes); Lading only computes.
    const b = await theirsDrv(args, batchDir);
    const a = oursWithDrvs(args, batchDir);
    const drvDiffs = b.exitCode === 0 && a.exitCode === 0 ? drvFileMismatches(a.drvs) : [];
    rmSync(batchDir, { recursive: true, force: true });
    return [{ ...a, drvDiffs }, { ...b, drvDiffs: [] }];
  }
  const b: Run = await theirs(args, batchDir);
  const a: Run = ours(args, batchDir);
  rmSync(batchDir, { recursive: true, force: true });
  return [{ ...a, drvDiffs: [] }, { ...b, drvDiffs: [] }];
}

function agree(a: Side, b: Side): boolean {
  if (b.exitCode === 0) return a.exitCode === 0 && a.stdout === b.stdout && a.drvDiffs.length === 0;
  return a.exitCode !== 0 && sameErrorAcrossVersions(a.error, b.error);
}

function describe(s: Side): string {
  if (s.exitCode !== 0) return s.error;
  return s.stdout.trimEnd() + (s.drvDiffs.length > 0 ? `\n.drv bytes differ: ${s.drvDiffs.join(", ")}` : "");
}

/** Compares `cases` (Nix expressions) in batches; returns the differences. */
export async function fuzzCompare(cases: readonly string[], mode: Mode, dir: string, batchSize = 64, fixture: Fixture = fuzzFixture): Promise<FuzzStats> {
  const stats: FuzzStats = { cases: cases.length, orderDependent: 0, overflow: 0, runs: 0, mismatches: [] };
  const check = async (batch: readonly string[]): Promise<void> => {
    stats.runs++;
    const [a, b] = await runBoth(batch, mode, dir, fixture);
    // Both succeeded alike: done. Both failed: other cases may still differ, so split.
    if (b.exitCode === 0 && agree(a, b)) return;
    if (batch.length === 1) {
      if (agree(a, b)) return;
      // Current CppNix evaluates `//`'s right operand first, 2.8 its left: when both
      // fail, either error may come first.
      if (a.exitCode !== 0 && b.exitCode !== 0 && batch[0]!.includes("//")) stats.orderDependent++;
      else if (a.error.startsWith("error: integer overflow in ")) stats.overflow++;
      else stats.mismatches.push({ expr: batch[0]!, mode, ours: describe(a), theirs: describe(b) });
      return;
    }
    const before = stats.mismatches.length + stats.orderDependent + stats.overflow;
    const half = Math.ceil(batch.length / 2);
    await check(batch.slice(0, half));
    await check(batch.slice(half));
    // A difference only the whole list shows (sharing, order of evaluation).
    if (stats.mismatches.length + stats.orderDependent + stats.overflow === before && !agree(a, b)) {
      stats.mismatches.push({ expr: `[ ${batch.map((c) => `(${c})`).join(" ")} ]`, mode, ours: describe(a), theirs: describe(b) });
    }
  };
  for (let i = 0; i < cases.length; i += batchSize) await check(cases.slice(i, i + batchSize));
  return stats;
}

/** One line per mismatch, for assertion messages and the runner's log. */
export function formatMismatches(ms: readonly Mismatch[]): string {
  return ms.map((m) => `--- [${m.mode}] ${m.expr}\n  ours:   ${m.ours.replace(/\n/g, "\n          ")}\n  CppNix: ${m.theirs.replace(/\n/g, "\n          ")}`).join("\n");
}
