/**
 * `derivationStrict` (CppNix 2.8 prim_derivationStrict): turns the attribute set
 * into a store derivation — every attribute into the environment (or into
 * `__json` with `__structuredAttrs`), every string context into input derivations
 * and sources — computes the output paths and the .drv path, and returns
 * `{ drvPath; <output> = path; … }` with the contexts that make dependents depend
 * on it.
 */
import {
  BadStorePathError,
  DerivationRender,
  makeFixedOutputPath,
  outputPathName,
  parseStorePath,
  sortStrings,
  storePathFromHex,
  type Derivation,
  type DerivationOutput,
  type FileIngestionMethod,
  type Hash,
} from "../../store/index.js";
import {
  EvalError,
  NixAttrs,
  NixString,
  NixTypeError,
  coerceToString,
  definePrimOp,
  force,
  forceAttrs,
  forceBool,
  forceList,
  forceString,
  forceStringNoCtx,
  formatEvalError,
  showPosCurrent,
  stringBytes,
  stringContext,
  type Lazy,
} from "../eval/index.js";
import { writeLogLine } from "../builtins/index.js";
import { parseHashAllowEmpty, parseHashTypeOpt } from "./hash-parse.js";
import { drvState, type ContextElement } from "./drv-state.js";
import { storeCall } from "./eval-store.js";
import { StructuredJsonObject } from "./structured-json.js";

/** `s` split at runs of space, tab, newline and carriage return, without empty tokens (a regex split costs more per derivation). */
function whitespaceTokens(s: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      if (start >= 0) tokens.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  if (start >= 0) tokens.push(s.slice(start));
  return tokens;
}
const COERCE_ENV = { coerceMore: true, copyToStore: true } as const;


function addContext(into: Set<string>, v: string | NixString): string {
  const ctx = stringContext(v);
  for (let i = 0; i < ctx.length; i++) into.add(ctx[i]!);
  return stringBytes(v);
}


interface Collected {
  drv: Derivation;
  outputs: string[];
  outputHash: string | undefined;
  outputHashAlgo: string;
  hashMode: FileIngestionMethod | undefined;
  context: Set<string>;
}

function hashMode(s: string): FileIngestionMethod {
  if (s === "recursive") return "recursive";
  if (s === "flat") return "flat";
  throw new EvalError(`invalid value '${s}' for 'outputHashMode' attribute`);
}

/** The `outputs` attribute's names, checked and sorted. */
function outputNames(names: string[]): string[] {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new EvalError(`duplicate derivation output '${n}'`);
    if (n === "drv") throw new EvalError("invalid derivation output name 'drv'");
    seen.add(n);
  }
  if (seen.size === 0) throw new EvalError("derivation cannot have an empty set of outputs");
  return sortStrings([...seen]);
}

/** Attributes that only take effect without structured attributes (there: `outputChecks.<output>.*`). */
const OUTPUT_CHECKS = new Set(["allowedReferences", "allowedRequisites", "disallowedReferences", "disallowedRequisites", "maxSize", "maxClosureSize"]);

/** Current CppNix's warning at an attribute, under a "while evaluating derivation" frame. */
function warnAttr(drvName: string, pos: number, message: string): void {
  const warning = new EvalError(message, pos).addTrace(0, `while evaluating derivation '${drvName}'`);
  writeLogLine(formatEvalError(warning, false, "warning").replace(/\n$/, ""));
}

function collectAttributes(attrs: NixAttrs, drvName: string): Collected {
  const structured = attrs.get("__structuredAttrs");
  const isStructured =
    structured !== undefined && forceBool(structured, 0, "while evaluating the `__structuredAttrs` attribute passed to builtins.derivationStrict");
  const ignoreNullsAttr = attrs.get("__ignoreNulls");
  const ignoreNulls = ignoreNullsAttr !== undefined && forceBool(ignoreNullsAttr, 0, "while evaluating the `__ignoreNulls` attribute passed to builtins.derivationStrict");

  const drv: Derivation = { outputs: new Map(), inputDrvs: new Map(), inputSrcs: [], platform: "", builder: "", args: [], env: new Map() };
  const c: Collected = { drv, outputs: ["out"], outputHash: undefined, outputHashAlgo: "", hashMode: undefined, context: new Set() };
  const context = c.context;
  const json = isStructured ? new StructuredJsonObject(context) : null;

  const names = attrs.names;
  for (let i = 0; i < names.length; i++) {
    const key = names[i]!;
    const value = attrs.values[i]!;
    if (key === "__ignoreNulls") continue;
    try {
      if (ignoreNulls && force(value) === null) continue;
      if (key === "__contentAddressed" || key === "__impure") {
        if (forceBool(value)) {
          const feature = key === "__impure" ? "impure-derivations" : "ca-derivations";
          throw new EvalError(`experimental Nix feature '${feature}' is disabled; use '--extra-experimental-features ${feature}' to override`);
        }
      } else if (key === "args") {
        for (const el of forceList(value)) {
          try {
            drv.args.push(addContext(context, coerceToString(el, 0, COERCE_ENV)));
          } catch (err) {
            if (err instanceof NixTypeError && err.message.startsWith("cannot coerce")) err.addTrace(0, "while evaluating an element of the argument list");
            throw err;
          }
        }
      } else if (json !== null) {
        if (key === "__structuredAttrs") continue;
        json.add(key, value, 0);
        if (OUTPUT_CHECKS.has(key)) {
          warnAttr(drvName, attrs.positions[i]!, `'structuredAttrs' disables the effect of the derivation attribute '${key}'; use 'outputChecks.<output>.${key}' instead`);
        }
        if (key === "builder") drv.builder = addContext(context, forceString(value));
        else if (key === "system") drv.platform = forceStringNoCtx(value);
        else if (key === "outputHash") c.outputHash = forceStringNoCtx(value);
        else if (key === "outputHashAlgo") c.outputHashAlgo = forceStringNoCtx(value);
        else if (key === "outputHashMode") c.hashMode = hashMode(forceStringNoCtx(value));
        else if (key === "outputs") {
          c.outputs = outputNames(forceList(value).map((el) => forceStringNoCtx(el)));
        }
      } else {
        const s = addContext(context, coerceToString(value, 0, COERCE_ENV));
        if (key === "__json") {
          warnAttr(drvName, attrs.positions[i]!, "setting structured attributes via '__json' is deprecated, and may be disallowed in future versions of Nix. Set '__structuredAttrs = true' instead.");
        }
        drv.env.set(key, s);
        if (key === "builder") drv.builder = s;
        else if (key === "system") drv.platform = s;
        else if (key === "outputHash") c.outputHash = s;
        else if (key === "outputHashAlgo") c.outputHashAlgo = s;
        else if (key === "outputHashMode") c.hashMode = hashMode(s);
        else if (key === "outputs") c.outputs = outputNames(whitespaceTokens(s));
      }
    } catch (err) {
      json?.abandon();
      if (err instanceof EvalError) err.addTrace(attrs.positions[i]!, `while evaluating attribute '${key}' of derivation '${drvName}'`);
      throw err;
    }
  }
  if (json !== null) drv.env.set("__json", json.finish());
  return c;
}

/**
 * A context element's parts, its path checked to be a store path once per
 * evaluation: the same elements (strings shared by every value that refers to a
 * derivation) recur in thousands of derivations.
 */
function contextElement(c: string, elements: Map<string, ContextElement>, storeDir: string): ContextElement {
  let e = elements.get(c);
  if (e !== undefined) return e;
  const first = c.charCodeAt(0);
  if (first === 0x21 /* ! */) {
    const bang = c.indexOf("!", 1);
    e = { kind: "output", path: c.slice(bang + 1), output: c.slice(1, bang) };
  } else if (first === 0x3d /* = */) {
    e = { kind: "all", path: c.slice(1), output: "" };
  } else {
    e = { kind: "path", path: c, output: "" };
  }
  // `=` paths are checked with their closure (addClosure).
  if (e.kind !== "all") {
    const path = e.path;
    storeCall(() => parseStorePath(path, storeDir));
  }
  elements.set(c, e);
  return e;
}

/** Moves the string contexts into inputDrvs/inputSrcs as CppNix does (the ATerm sorts them). */
function addInputs(drv: Derivation, context: Set<string>): void {
  const { store, contextElements } = drvState();
  const storeDir = store.storeDir;
  const inputDrvs = drv.inputDrvs;
  const inputSrcs: string[] = [];
  let closures = false;
  // All checked before any is used (one lookup each).
  const elements: ContextElement[] = [];
  try {
    for (const c of context) elements.push(contextElement(c, contextElements, storeDir));
  } catch (err) {
    // CppNix reports the first bad path in sorted order.
    for (const c of [...context].sort()) contextElement(c, contextElements, storeDir);
    throw err;
  }
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    if (e.kind === "output") {
      const outs = inputDrvs.get(e.path);
      if (outs === undefined) inputDrvs.set(e.path, [e.output]);
      else if (!outs.includes(e.output)) outs.push(e.output);
    } else if (e.kind === "all") {
      closures = true;
      addClosure(drv, e.path, inputSrcs);
    } else {
      inputSrcs.push(e.path);
    }
  }
  for (const outs of inputDrvs.values()) if (outs.length > 1) sortStrings(outs);
  if (closures) drv.inputSrcs = sortStrings([...new Set(inputSrcs)]);
  else drv.inputSrcs = sortStrings(inputSrcs);
}

/**
 * `=drv`: the builder sees the .drv path itself, so its whole closure becomes input.
 * CppNix reads that closure from its store, so when nothing is written (read-only)
 * a .drv made in this evaluation is "not valid" there, and so here.
 */
function addClosure(drv: Derivation, root: string, inputSrcs: string[]): void {
  const { store, readOnly } = drvState();
  const todo = [root];
  const seen = new Set<string>();
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    storeCall(() => parseStorePath(p, store.storeDir));
    if (readOnly && !store.isValidPath(p)) throw new EvalError(`path '${p}' is not valid`);
    for (const r of store.queryReferences(p)) todo.push(r);
  }
  for (const p of seen) {
    inputSrcs.push(p);
    if (p.endsWith(".drv")) {
      let outs = drv.inputDrvs.get(p);
      if (outs === undefined) drv.inputDrvs.set(p, (outs = []));
      for (const o of store.derivationOutputs(p)) if (!outs.includes(o)) outs.push(o);
    }
  }
}

function fixedOutputHash(c: Collected): { hash: Hash; method: FileIngestionMethod } {
  if (c.outputs.length !== 1 || c.outputs[0] !== "out") {
    throw new EvalError("multiple outputs are not supported in fixed-output derivations");
  }
  const hash = parseHashAllowEmpty(c.outputHash!, parseHashTypeOpt(c.outputHashAlgo));
  return { hash, method: c.hashMode ?? "flat" };
}

/** Builds, hashes and "writes" the derivation; returns its .drv path and output paths. */
export function instantiateDerivation(attrs: NixAttrs): { drvPath: string; drv: Derivation } {
  const nameAttr = attrs.find("name");
  if (nameAttr < 0) {
    // Current CppNix's getAttr with an error context: no position, the context as a frame.
    throw new NixTypeError("attribute 'name' missing").addTrace(0, "in the attrset passed as argument to builtins.derivationStrict");
  }
  const posDrvName = attrs.positions[nameAttr]!;
  let drvName: string;
  try {
    drvName = forceStringNoCtx(attrs.values[nameAttr]!, 0, "while evaluating the `name` attribute passed to builtins.derivationStrict");
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(posDrvName, "while evaluating the derivation attribute 'name'");
    throw err;
  }
  try {
    return instantiateNamed(attrs, drvName);
  } catch (err) {
    // Current CppNix names the derivation without a code excerpt, shown even in a truncated trace.
    if (err instanceof EvalError) {
      err.addTrace(0, `while evaluating derivation '${drvName}'\n  whose name attribute is located at ${showPosCurrent(posDrvName) ?? "«none»"}`, true);
    }
    throw err;
  }
}

function instantiateNamed(attrs: NixAttrs, drvName: string): { drvPath: string; drv: Derivation } {
  const c = collectAttributes(attrs, drvName);
  const drv = c.drv;
  addInputs(drv, c.context);

  if (drv.builder === "") throw new EvalError("required attribute 'builder' missing");
  if (drv.platform === "") throw new EvalError("required attribute 'system' missing");
  if (drvName.endsWith(".drv")) throw new EvalError("derivation names are not allowed to end in '.drv'");

  const { store, hasher } = drvState();
  if (c.outputHash !== undefined) {
    const { hash, method } = fixedOutputHash(c);
    const path = storeCall(() => makeFixedOutputPath(drvName, method, hash, {}, store.storeDir)).render(store.storeDir);
    drv.env.set("out", path);
    const out: DerivationOutput = { path, hashAlgo: (method === "recursive" ? "r:" : "") + hash.algo, hash: hash.toBase16() };
    drv.outputs.set("out", out);
  } else {
    for (const o of c.outputs) {
      drv.env.set(o, "");
      drv.outputs.set(o, { path: "", hashAlgo: "", hash: "" });
    }
  }
  // One escaping of the environment serves the masked hash, the .drv text and the
  // final hash (store/derivation/render.ts).
  const render = new DerivationRender(drv);
  if (c.outputHash === undefined) {
    const hashModulo = hasher.hashModuloHex(drv, true, render);
    const storeDir = store.storeDir;
    try {
      for (const o of c.outputs) {
        const path = storePathFromHex(`output:${o}`, hashModulo, outputPathName(drvName, o), storeDir);
        drv.env.set(o, path);
        drv.outputs.get(o)!.path = path;
      }
    } catch (err) {
      if (err instanceof BadStorePathError) throw new EvalError(err.message);
      throw err;
    }
  }

  const textHex = render.hashHex();
  const drvPath = store.writeDerivation(drv, drvName, { hex: textHex, text: () => render.text() });
  // Eagerly, as CppNix: dependents need it, and the render's scratch is still in place.
  // Without input derivations there is nothing to replace: the text is the one hashed.
  const simple = drv.inputDrvs.size === 0 && c.outputHash === undefined;
  hasher.rememberHex(drvPath, simple ? textHex : hasher.hashModuloHex(drv, false, render));
  return { drvPath, drv };
}

definePrimOp("derivationStrict", 1, ([arg]) => {
  const attrs = forceAttrs(arg!, 0, "while evaluating the argument passed to builtins.derivationStrict");
  const { drvPath, drv } = instantiateDerivation(attrs);
  const { contextElements } = drvState();
  const names = resultNames(drv);
  const values = new Array<Lazy>(names.length);
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n === "drvPath") {
      values[i] = new NixString(drvPath, ["=" + drvPath]);
      continue;
    }
    // Dependents name the outputs in their contexts: known to be store paths already.
    const element = `!${n}!${drvPath}`;
    contextElements.set(element, { kind: "output", path: drvPath, output: n });
    values[i] = new NixString(drv.outputs.get(n)!.path, [element]);
  }
  return NixAttrs.fromSorted(names, values);
});

/** The last result's names, shared with the next result when equal (kept per derivation otherwise). */
let lastResultNames: readonly string[] = [];

/** `drvPath` and the output names, sorted. */
function resultNames(drv: Derivation): readonly string[] {
  const last = lastResultNames;
  if (last.length === drv.outputs.size + 1 || (drv.outputs.has("drvPath") && last.length === drv.outputs.size)) {
    let same = true;
    for (const n of drv.outputs.keys()) if (n !== "drvPath" && !last.includes(n)) same = false;
    if (same && last.includes("drvPath")) return last;
  }
  const names = ["drvPath"];
  for (const n of drv.outputs.keys()) if (n !== "drvPath") names.push(n);
  return (lastResultNames = sortStrings(names));
}
