import { fstatSync, writeSync } from "node:fs";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { instantiateDerivations } from "./instantiate-drv.js";
import { withStackFallback } from "./stack-fallback.js";
import {
  callInWorker,
  defaultParseCacheDir,
  formatPositionedWarning,
  instantiate,
  setAbortOnWarn,
  setLiteralLints,
  setPipeOperators,
  setParseCacheDir,
  setTomlTimestamps,
  setTraceSink,
  type InstantiateOptions,
  type InstantiateResult,
  type LintLevel,
  WORKER_STACK_MB,
} from "../../evaluator/index.js";

/**
 * What CppNix's logger does to stderr text that is not going to a terminal
 * (filterANSIEscapes): escape sequences (CSI, OSC, two-byte) removed, CR and BEL
 * dropped, tabs expanded to the next multiple of 8 columns counted from the start
 * of the text (a UTF-8 character is one column). Input and output are bytes.
 */
export function filterAnsiEscapes(s: string): string {
  let out = "";
  let width = 0;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === 0x1b) {
      i++;
      if (s[i] === "[") {
        i++;
        while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x3f) i++;
        while (i < s.length && s.charCodeAt(i) >= 0x20 && s.charCodeAt(i) <= 0x2f) i++;
        if (i < s.length && s.charCodeAt(i) >= 0x40 && s.charCodeAt(i) <= 0x7e) i++;
      } else if (s[i] === "]") {
        i++;
        while (i < s.length && s[i] !== "\x1b" && s[i] !== "\x07") i++;
        if (i < s.length) {
          const v = s[i++];
          if (v === "\x1b" && s[i] === "\\") i++;
        }
      } else if (i < s.length && s.charCodeAt(i) >= 0x40 && s.charCodeAt(i) <= 0x5f) i++;
    } else if (c === 0x09) {
      do {
        out += " ";
        width++;
      } while (width % 8 !== 0);
      i++;
    } else if (c === 0x0d || c === 0x07) {
      i++;
    } else {
      out += s[i++];
      if ((c & 0xc0) !== 0x80) width++;
    }
  }
  return out;
}

/** The literal lints of the last parsed command line (current CppNix's `--lint-*` flags). */
export const lints: { absolutePaths: LintLevel; shortPaths: LintLevel; urls: LintLevel } = { absolutePaths: "ignore", shortPaths: "ignore", urls: "ignore" };

function currentTraceSink(): (line: string) => void {
  const sink = setTraceSink(() => {});
  setTraceSink(sink);
  return sink;
}

/** Settings of the last parsed command line that evaluation reads (current CppNix's). */
export const settings = { abortOnWarn: false };

/** Experimental features named on the command line (`--extra-experimental-features`). */
export const experimentalFeatures = new Set<string>();

/** Flags as nix-instantiate reads them (2.8's, plus current CppNix's lint flags). */
export function parseInstantiateArgs(args: string[]): InstantiateOptions {
  Object.assign(lints, { absolutePaths: "ignore", shortPaths: "ignore", urls: "ignore" });
  experimentalFeatures.clear();
  settings.abortOnWarn = ["1", "true", "yes"].includes(process.env.NIX_ABORT_ON_WARN ?? "");
  const o: InstantiateOptions = {
    inputs: [],
    fromArgs: false,
    attrPaths: [],
    args: [],
    eval: false,
    strict: false,
    output: "plain",
    includes: [],
    showTrace: false,
    readOnly: false,
  };
  const need = (i: number, n: number, flag: string): void => {
    if (i + n >= args.length) throw new UsageError(`flag '${flag}' requires ${n} argument${n > 1 ? "s" : ""}`);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    switch (a) {
      case "-":
        o.readStdin = true;
        break;
      case "-E":
      case "--expr":
        o.fromArgs = true;
        break;
      case "--eval":
      case "--eval-only":
        o.eval = true;
        break;
      case "--parse":
      case "--parse-only":
        o.parseOnly = true;
        o.eval = true;
        break;
      case "-A":
      case "--attr":
        need(i, 1, a);
        o.attrPaths.push(args[++i]!);
        break;
      case "--arg":
      case "--argstr":
        need(i, 2, a);
        o.args.push({ name: args[i + 1]!, value: args[i + 2]!, isString: a === "--argstr" });
        i += 2;
        break;
      case "-I":
      case "--include":
        need(i, 1, a);
        o.includes.push(args[++i]!);
        break;
      case "--json":
        o.output = "json";
        break;
      case "--xml":
        o.output = "xml";
        break;
      case "--raw":
        o.output = "raw";
        break;
      case "--no-location":
        o.xmlLocation = false;
        break;
      case "--strict":
        o.strict = true;
        break;
      case "--show-trace":
        o.showTrace = true;
        break;
      case "--no-show-trace":
        o.showTrace = false;
        break;
      // Current CppNix settings with no effect on a pure, store-less evaluation.
      case "--impure":
      case "--trace-verbose":
        break;
      case "--max-call-depth":
        need(i, 1, a);
        o.maxCallDepth = parseCallDepth(args[++i]!);
        break;
      case "--timeout":
        need(i, 1, a);
        i++;
        break;
      case "--extra-experimental-features":
      case "--experimental-features":
        need(i, 1, a);
        for (const f of args[++i]!.split(/\s+/)) if (f !== "") experimentalFeatures.add(f);
        break;
      case "--option":
        need(i, 2, a);
        if (args[i + 1] === "experimental-features" || args[i + 1] === "extra-experimental-features") {
          for (const f of args[i + 2]!.split(/\s+/)) if (f !== "") experimentalFeatures.add(f);
        }
        if (args[i + 1] === "abort-on-warn") settings.abortOnWarn = args[i + 2] === "true";
        if (args[i + 1] === "max-call-depth") o.maxCallDepth = parseCallDepth(args[i + 2]!);
        i += 2;
        break;
      case "--abort-on-warn":
        settings.abortOnWarn = true;
        break;
      case "--no-abort-on-warn":
        settings.abortOnWarn = false;
        break;
      case "--lint-absolute-path-literals":
      case "--lint-short-path-literals":
      case "--lint-url-literals": {
        need(i, 1, a);
        const level = args[++i]!;
        if (level !== "ignore" && level !== "warn" && level !== "fatal") throw new UsageError(`invalid value '${level}' for ${a.slice(2)}`);
        if (a === "--lint-absolute-path-literals") lints.absolutePaths = level;
        else if (a === "--lint-short-path-literals") lints.shortPaths = level;
        else lints.urls = level;
        break;
      }
      case "--readonly-mode":
      case "--dry-run":
        o.readOnly = true;
        break;
      case "--read-write-mode":
      case "--repair":
        break;
      default:
        if (a.startsWith("-") && a !== "") throw new UsageError(`unrecognised flag '${a}'`);
        o.inputs.push(a);
    }
  }
  return o;
}

/** A `max-call-depth` value: an unsigned integer, as CppNix's setting. */
function parseCallDepth(text: string): number {
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`'${text}' is not an integer`);
  return Number(text);
}

/** Evaluates in a worker with a big stack (for deep recursion). */
function runInWorker(options: InstantiateOptions): Promise<InstantiateResult> {
  const url = new URL("../../evaluator/index.js", import.meta.url).href;
  return callInWorker<InstantiateResult>(url, "instantiate", [{ ...options, cwd: process.cwd() }]);
}

/** `--eval`: on the main thread, in a big-stack worker only if the stack runs out (stack-fallback.ts). */
function evaluate(options: InstantiateOptions): Promise<InstantiateResult> {
  return withStackFallback({
    main: () => instantiate(options),
    overflowed: (r) => r.stackOverflow === true,
    worker: () => runInWorker(options),
    workerStackMb: WORKER_STACK_MB,
  });
}

/**
 * Writes to fd 1 or 2 directly: touching `process.stdout` or `process.stderr` loads
 * Node's stream and net modules (~10 ms and 2 MB of a 130 ms `--eval -E 1`). Order with
 * other writes to process.stderr is kept, as both are synchronous for files, pipes and
 * terminals on Linux. A non-blocking pipe (EAGAIN) gets the rest through the stream,
 * which waits for it to drain.
 */
function writeAll(fd: 1 | 2, bytes: Buffer): void {
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(done));
  }
}

/** Whether stderr is a terminal, without creating process.stderr (a character device: a tty, or /dev/null, where filtering does not matter). */
function stderrIsTerminal(): boolean {
  try {
    return fstatSync(2).isCharacterDevice();
  } catch {
    return false;
  }
}

export const instantiateCommand: Command = {
  name: "instantiate",
  summary: "evaluate Nix expressions like nix-instantiate (--eval, --strict, --json, -A, --arg, -I …)",
  async run(args) {
    const options = parseInstantiateArgs(args);
    // Lint warnings go where trace lines go, so they keep their order with them.
    setTomlTimestamps(experimentalFeatures.has("parse-toml-timestamps"));
    setPipeOperators(experimentalFeatures.has("pipe-operators"));
    setAbortOnWarn(settings.abortOnWarn);
    setLiteralLints({ ...lints, warn: (message, pos) => currentTraceSink()(formatPositionedWarning(message, pos).replace(/\n$/, "")) });
    // Parsed files come from the on-disk cache (LADING_PARSE_CACHE=off: never); not
    // under --lint-*, whose warnings come from parsing.
    const linting = lints.absolutePaths !== "ignore" || lints.shortPaths !== "ignore" || lints.urls !== "ignore";
    // Nor with pipe operators: a cached tree holding them would skip the lexer's refusal later.
    setParseCacheDir(linting || experimentalFeatures.has("pipe-operators") ? null : defaultParseCacheDir());
    const result = !options.eval ? await instantiateDerivations(options) : await evaluate(options);
    if (result.stdout) writeAll(1, Buffer.from(result.stdout, "latin1"));
    if (result.stderr) writeAll(2, Buffer.from(stderrIsTerminal() ? result.stderr : filterAnsiEscapes(result.stderr), "latin1"));
    return result.exitCode;
  },
};
