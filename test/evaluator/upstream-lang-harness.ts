import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Runs one case of the upstream Nix language suite (NixOS/nix tests/functional/lang)
 * the way upstream's tests/functional/lang.sh runs it, but against `lading instantiate`.
 * The suite itself is never committed: it is extracted from a NixOS/nix checkout by
 * scripts/upstream-lang.sh and pointed at with LADING_NIX_LANG_TESTS.
 */

export type CaseKind = "parse-okay" | "parse-fail" | "eval-okay" | "eval-fail";

export interface LangCase {
  kind: CaseKind;
  /** File name without `.nix`, e.g. `eval-okay-arithmetic`. */
  name: string;
}

export interface CaseOutcome {
  /** Exit code and output as upstream expects them. */
  exitOk: boolean;
  stdoutOk: boolean;
  stderrOk: boolean;
  /** For failures: the first line of the final `error:` message is the same. */
  messageOk: boolean;
  detail: string;
}

/** Tests that need derivations, the store or the network (they are E4's/E5's, not the language's). */
export const EXCLUDED: ReadonlyMap<string, string> = new Map([
  ["eval-okay-context-introspection", "derivations: builds derivations and inspects their drvPath/output contexts (addDrvOutputDependencies)"],
  ["eval-fail-derivationStrict-11", "derivations: derivationStrict's output-name checks (evaluator/derivations)"],
  ["eval-fail-derivationStrict-14", "derivations: derivationStrict's output-name checks (evaluator/derivations)"],
  ["eval-fail-fetchTree-negative", "network/store: fetchTree"],
  ["eval-fail-fetchTree-relative-path", "network/store: fetchTree"],
]);

/** The lang directory's cases, grouped in upstream's order. */
export function listCases(langDir: string): LangCase[] {
  const files = readdirSync(langDir).filter((f) => f.endsWith(".nix")).sort();
  const cases: LangCase[] = [];
  for (const kind of ["parse-fail", "parse-okay", "eval-fail", "eval-okay"] as const) {
    for (const f of files) {
      if (!f.startsWith(`${kind}-`)) continue;
      const name = f.slice(0, -4);
      // `.exp-disabled` marks cases upstream itself does not run.
      if (kind === "eval-okay" && existsSync(join(langDir, `${name}.exp-disabled`))) continue;
      cases.push({ kind, name });
    }
  }
  return cases;
}

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function runCli(cliMain: string, cliArgs: string[], cwd: string, env: Record<string, string>, stdin?: Buffer): Promise<Run> {
  // lang.sh runs CppNix with NIX_REMOTE=dummy:// (nothing is written to a store):
  // --readonly-mode is Lading's equivalent.
  const args = [cliArgs[0]!, "--readonly-mode", ...cliArgs.slice(1)];
  return new Promise((resolve, reject) => {
    const script = `import(${JSON.stringify(cliMain)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write("error: " + (e && e.message ? e.message : e) + "\\n"); process.exitCode = 1; })`;
    const child = spawn(process.execPath, ["--stack-size=2000", "--input-type=module", "-e", script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout: Buffer.concat(out).toString("latin1"), stderr: Buffer.concat(err).toString("latin1"), exitCode: code ?? 1 }));
    child.stdin.end(stdin);
  });
}

/** Upstream's `.flags` files: `#` starts a comment, then split on blanks. */
function readFlags(langDir: string, name: string): string[] | undefined {
  const file = join(langDir, `${name}.flags`);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, "latin1").replace(/#.*/g, "").split(/\s+/).filter((s) => s !== "");
}

function readExpected(langDir: string, file: string): string {
  const p = join(langDir, file);
  return existsSync(p) ? readFileSync(p, "latin1") : "";
}

/** lang.sh's `.postprocess` scripts are bash; the one upstream has masks numbers. */
function postprocess(langDir: string, name: string, text: string): string {
  if (!existsSync(join(langDir, `${name}.postprocess`))) return text;
  return text.replace(/[0-9 ]{7}[0-9](?=[^0-9])/g, "<number>").replace(/[0-9]+/g, "<number>");
}

function diffLine(label: string, expected: string, got: string): string {
  const e = expected.split("\n");
  const g = got.split("\n");
  for (let i = 0; i < Math.max(e.length, g.length); i++) {
    if (e[i] !== g[i]) return `${label} line ${i + 1}:\n  expected: ${JSON.stringify(e[i] ?? "<eof>")}\n  got:      ${JSON.stringify(g[i] ?? "<eof>")}`;
  }
  return "";
}

/**
 * The first line of the innermost error message: current CppNix prints the trace
 * first and the message last (`       error: …`), 2.8-style output prints it first.
 */
export function errorMessage(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trimStart()).filter((l) => l.startsWith("error: "));
  return lines.length === 0 ? "" : lines[lines.length - 1]!;
}

/** Runs one case; `cliMain` is the compiled cli/main.js. */
export async function runCase(cliMain: string, langDir: string, c: LangCase): Promise<CaseOutcome> {
  const cwd = dirname(langDir);
  const base = { TEST_VAR: "foo", NIX_STORE_DIR: "/nix/store", NIX_PATH: "", HOME: process.env.HOME ?? "/root" };
  const pwd = (s: string): string => s.split(cwd).join("/pwd");
  const rel = `lang/${c.name}.nix`;
  let run: Run;
  let expOut: string | undefined;
  let expErr: string;
  switch (c.kind) {
    case "parse-fail":
    case "parse-okay": {
      run = await runCli(cliMain, ["instantiate", "--parse", "-"], cwd, base, readFileSync(join(langDir, `${c.name}.nix`)));
      if (c.kind === "parse-okay") expOut = readExpected(langDir, `${c.name}.exp`);
      expErr = readExpected(langDir, `${c.name}.${c.kind === "parse-okay" ? "err.exp" : "err.exp"}`);
      break;
    }
    case "eval-fail": {
      const flags = readFlags(langDir, c.name) ?? ["--eval", "--strict", "--show-trace"];
      run = await runCli(cliMain, ["instantiate", ...flags, rel], cwd, base);
      expErr = readExpected(langDir, `${c.name}.err.exp`);
      break;
    }
    case "eval-okay": {
      if (existsSync(join(langDir, `${c.name}.exp.xml`))) {
        run = await runCli(cliMain, ["instantiate", "--eval", "--xml", "--no-location", "--strict", rel], cwd, base);
        expOut = readExpected(langDir, `${c.name}.exp.xml`);
        expErr = run.stderr; // lang.sh does not look at stderr for XML cases
      } else {
        const flags = readFlags(langDir, c.name) ?? [];
        run = await runCli(cliMain, ["instantiate", ...flags, "--eval", "--strict", rel], cwd, { ...base, NIX_PATH: "lang/dir3:lang/dir4", HOME: "/fake-home" });
        expOut = readExpected(langDir, `${c.name}.exp`);
        expErr = readExpected(langDir, `${c.name}.err.exp`);
      }
      break;
    }
  }
  const wantExit = c.kind.endsWith("-fail") ? 1 : 0;
  const stdout = postprocess(langDir, c.name, pwd(run.stdout));
  const stderr = postprocess(langDir, c.name, pwd(run.stderr));
  const exitOk = run.exitCode === wantExit;
  const stdoutOk = expOut === undefined || stdout === expOut;
  const stderrOk = stderr === expErr;
  const messageOk = !c.kind.endsWith("-fail") || errorMessage(stderr) === errorMessage(expErr);
  const details: string[] = [];
  if (!exitOk) details.push(`exit code ${run.exitCode}, want ${wantExit}; stderr: ${stderr.slice(0, 600)}`);
  if (!stdoutOk) details.push(diffLine("stdout", expOut ?? "", stdout));
  if (!stderrOk) details.push(diffLine("stderr", expErr, stderr));
  if (!messageOk) details.push(`message:\n  expected: ${errorMessage(expErr)}\n  got:      ${errorMessage(stderr)}`);
  return { exitOk, stdoutOk, stderrOk, messageOk, detail: details.join("\n") };
}
