/**
 * `nix-instantiate --eval` as a library call: parses the inputs, selects `-A`
 * attribute paths, auto-calls functions with `--arg`/`--argstr`, and renders the
 * result (plain, `--json`, `--xml`) or the error exactly as CppNix prints them.
 * The CLI (cli/commands/instantiate.ts) only parses flags and writes the output.
 */
import { readFileSync } from "node:fs";
import { NixSyntaxError } from "../syntax/errors.js";
import { showExpr } from "../syntax/show.js";
import { absPath } from "../syntax/paths.js";
import type { Expr } from "../syntax/ast.js";
import { NixAttrs, NixLambda, Thunk, showType, stringBytes, fromFsPath, type Lazy, type Value } from "./value.js";
import { EvalError, MissingArgumentError, NixTypeError, UsageError } from "./errors.js";
import { bestMatches, callFunction, evalExpr, force } from "./interpreter.js";
import { coerceToString, forceDeep } from "./operations.js";
import { EvalState, parseSearchPath, type SearchPathEntry } from "./state.js";
import { findFile, parseFile, parseString, resolveExprPath } from "./files.js";
import { getPrimOp } from "./primops.js";
import { formatEvalError, printValue } from "./print.js";

export interface InstantiateOptions {
  /** Files, or expressions when `fromArgs` (-E). */
  inputs: string[];
  fromArgs: boolean;
  readStdin?: boolean;
  attrPaths: string[];
  /** `--arg name expr` (expr text) and `--argstr name value`. */
  args: { name: string; value: string; isString: boolean }[];
  eval: boolean;
  parseOnly?: boolean;
  strict: boolean;
  /** `raw` (current CppNix's --raw): the value coerced to a string, printed without a newline. */
  output: "plain" | "json" | "xml" | "raw";
  xmlLocation?: boolean;
  /** `-I` entries, before NIX_PATH's. */
  includes: string[];
  showTrace: boolean;
  readOnly: boolean;
  /** Working directory for `-E` base paths and relative files (default: process.cwd()). */
  cwd?: string;
  /** NIX_PATH (default: the environment's). */
  nixPath?: string;
  /** `--max-call-depth N` / `--option max-call-depth N` (default 10000, current CppNix's). */
  maxCallDepth?: number;
}

export interface InstantiateResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The JS stack ran out (retry with a bigger stack, e.g. callInWorker). */
  stackOverflow?: boolean;
}

/** Runs nix-instantiate; never throws for Nix errors (they go to stderr, exit code 1 unless the error carries another). */
export function instantiate(opts: InstantiateOptions): InstantiateResult {
  let stdout = "";
  const showTrace = opts.showTrace;
  try {
    const cwd = fromFsPath(opts.cwd ?? process.cwd());
    const searchPath: SearchPathEntry[] = [
      ...opts.includes.map((i) => includeEntry(fromFsPath(i))),
      ...parseSearchPath(fromFsPath(opts.nixPath ?? process.env.NIX_PATH ?? "")),
    ];
    const state = new EvalState({ searchPath, showTrace, readOnly: opts.readOnly || opts.eval, cwd, maxCallDepth: opts.maxCallDepth });
    const autoArgs = buildAutoArgs(opts.args, cwd, state);
    const attrPaths = opts.attrPaths.length === 0 ? [""] : opts.attrPaths;
    const exprs: Expr[] = [];
    if (opts.readStdin) exprs.push(parseString(readFileSync(0, "latin1"), cwd, "stdin"));
    const inputs = opts.inputs.length === 0 && !opts.fromArgs && !opts.readStdin ? ["./default.nix"] : opts.inputs;
    for (const input of inputs) {
      exprs.push(opts.fromArgs ? parseString(fromFsPath(input), cwd) : parseFile(resolveExprPath(lookupFileArg(state, input, cwd))));
    }
    for (const e of exprs) {
      if (opts.parseOnly) {
        stdout += showExpr(e) + "\n";
        continue;
      }
      const root = evalExpr(e, state.baseEnv);
      for (const path of attrPaths) {
        const v = force(findAlongAttrPath(fromFsPath(path), autoArgs, root));
        if (!opts.eval) {
          throw new EvalError("instantiating derivations (nix-instantiate without --eval) arrives with the derivations issue; use --eval");
        }
        const res = autoArgs.size === 0 ? v : autoCall(autoArgs, v);
        // CppNix 2.8 ends --json output without a newline.
        if (opts.output === "json") stdout += callPrinter("__toJSON", res);
        else if (opts.output === "raw") stdout += stringBytes(coerceToString(res, 0, { ctx: "while generating the nix-instantiate output" }));
        else if (opts.output === "xml") stdout += xmlOutput !== undefined ? xmlOutput(res, opts.xmlLocation ?? true, opts.strict) : callPrinter("__toXML", res);
        else {
          if (opts.strict) forceDeep(res);
          stdout += printValue(res) + "\n";
        }
      }
    }
    return { stdout, stderr: "", exitCode: 0 };
  } catch (err) {
    const stackOverflow = err instanceof RangeError && /call stack/.test(err.message);
    // Some errors carry CppNix's exit status (a fetcher's hash mismatch exits with 102).
    const status = (err as { exitStatus?: unknown } | null)?.exitStatus;
    return { stdout, stderr: formatError(err, showTrace), exitCode: typeof status === "number" ? status : 1, stackOverflow };
  }
}

/** Any error as CppNix prints it on stderr (ends with a newline). */
export function formatError(err: unknown, showTrace: boolean): string {
  if (err instanceof UsageError) return formatEvalError(err, showTrace) + "Try 'nix-instantiate --help' for more information.\n";
  if (err instanceof EvalError) return formatEvalError(err, showTrace);
  // Same layout as evaluation errors, code excerpt included.
  if (err instanceof NixSyntaxError) return formatEvalError(new EvalError(err.message, err.pos), showTrace);
  if (err instanceof RangeError && /call stack/.test(err.message)) {
    return "error: stack overflow (possible infinite recursion)\n";
  }
  if (err instanceof Error) return `error: ${err.message}\n`;
  return `error: ${String(err)}\n`;
}

/**
 * Renders `--xml` output, attribute positions included when `location`, values not
 * yet computed shown as such unless `strict` (registered by the builtins, where XML lives).
 */
export type XmlOutput = (v: Value, location: boolean, strict: boolean) => string;
let xmlOutput: XmlOutput | undefined;
export function setXmlOutput(fn: XmlOutput): void {
  xmlOutput = fn;
}

function callPrinter(name: string, v: Value): string {
  const op = getPrimOp(name);
  if (op === undefined) throw new EvalError(`output needs builtins.${name.slice(2)}, which is not available yet`);
  // No deep forcing first: CppNix's JSON/XML printers force values as they print
  // them, so the first error met in printing order is the one reported.
  return stringBytes(op.impl([v], 0) as string);
}

function lookupFileArg(state: EvalState, arg: string, cwd: string): string {
  if (arg.length > 2 && arg.startsWith("<") && arg.endsWith(">")) return findFile(state.searchPath, arg.slice(1, -1), 0);
  return absPath(fromFsPath(arg), cwd);
}

/** One `-I` argument: `prefix=path` or a bare path (not split on colons). */
function includeEntry(arg: string): SearchPathEntry {
  const eq = arg.indexOf("=");
  return eq < 0 ? { prefix: "", path: arg } : { prefix: arg.slice(0, eq), path: arg.slice(eq + 1) };
}

function buildAutoArgs(args: InstantiateOptions["args"], cwd: string, state: EvalState): NixAttrs {
  const map = new Map<string, Lazy>();
  for (const a of args) {
    const value: Lazy = a.isString ? fromFsPath(a.value) : new Thunk(parseString(fromFsPath(a.value), cwd), state.baseEnv);
    map.set(a.name, value);
  }
  return NixAttrs.fromMap(map);
}

/** CppNix's attribute-path syntax: dots separate, `"…"` quotes, numbers index lists. */
function parseAttrPath(s: string): string[] {
  const res: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ".") {
      res.push(cur);
      cur = "";
    } else if (c === '"') {
      for (i++; ; i++) {
        if (i >= s.length) throw new EvalError(`missing closing quote in selection path '${s}'`);
        if (s[i] === '"') break;
        cur += s[i];
      }
    } else cur += c;
  }
  if (cur !== "") res.push(cur);
  return res;
}

/** CppNix's findAlongAttrPath (auto-calling functions on the way). */
export function findAlongAttrPath(path: string, autoArgs: NixAttrs, root: Lazy): Lazy {
  let v: Lazy = root;
  for (const attr of parseAttrPath(path)) {
    const index = /^[0-9]+$/.test(attr) && attr.length < 10 ? Number(attr) : null;
    const cur = autoCall(autoArgs, force(v));
    if (index === null) {
      if (!(cur instanceof NixAttrs)) {
        throw new NixTypeError(`the expression selected by the selection path '${path}' should be a set but is ${showType(cur)}`);
      }
      if (attr === "") throw new EvalError(`empty attribute name in selection path '${path}'`);
      const a = cur.get(attr);
      if (a === undefined) {
        const err = new EvalError(`attribute '${attr}' in selection path '${path}' not found`);
        err.suggestions = bestMatches(cur.keys(), attr);
        throw err;
      }
      v = a;
    } else {
      if (!Array.isArray(cur)) {
        throw new NixTypeError(`the expression selected by the selection path '${path}' should be a list but is ${showType(cur)}`);
      }
      if (index >= cur.length) throw new EvalError(`list index ${index} in selection path '${path}' is out of range`);
      v = cur[index]!;
    }
  }
  return v;
}

/** CppNix's autoCallFunction: applies a function with formals to the automatic arguments. */
export function autoCall(args: NixAttrs, fn: Value): Value {
  if (fn instanceof NixAttrs) {
    const functor = fn.get("__functor");
    if (functor !== undefined) {
      const r = force(callFunction(force(functor), [fn], 0));
      return autoCall(args, r);
    }
  }
  if (!(fn instanceof NixLambda) || fn.expr.formals === null) return fn;
  const formals = fn.expr.formals;
  if (formals.ellipsis) return callFunction(fn, [NixAttrs.fromSorted(args.names, args.values, args.positions)], 0);
  const names: string[] = [];
  const values: Lazy[] = [];
  const positions: number[] = [];
  {
    const sorted = [...formals.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const f of sorted) {
      const i = args.find(f.name);
      if (i >= 0) {
        names.push(f.name);
        values.push(args.values[i]!);
        positions.push(args.positions[i]!);
      } else if (f.default === null) {
        throw new MissingArgumentError(
          `cannot evaluate a function that has an argument without a value ('${f.name}')\n\n` +
            "Nix attempted to evaluate a function as a top level expression; in\n" +
            "this case it must have its arguments supplied either by default\n" +
            "values, or passed explicitly with '--arg' or '--argstr'. See\n" +
            "https://nixos.org/manual/nix/stable/#ss-functions.",
          f.pos,
        );
      }
    }
  }
  return callFunction(fn, [new NixAttrs(names, values, positions)], 0);
}
