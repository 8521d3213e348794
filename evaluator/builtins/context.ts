/**
 * String-context builtins. Context elements are encoded as CppNix does:
 * `/nix/store/…` (a path), `=/nix/store/x.drv` (a derivation with all its
 * outputs), `!out!/nix/store/x.drv` (one output of a derivation).
 */
import { createHash } from "node:crypto";
import { encodeBase32, isStorePath } from "../../store/index.js";
import {
  EvalError,
  printIdentifier,
  NixAttrs,
  coerceToString,
  definePrimOp,
  evalState,
  forceAttrs,
  forceBool,
  forceList,
  forceString,
  forceStringNoCtx,
  mkString,
  nixToBytes,
  stringBytes,
  stringContext,
  type Lazy,
} from "../eval/index.js";

definePrimOp("__unsafeDiscardStringContext", 1, ([s], pos) => stringBytes(coerceToString(s!, pos)));

definePrimOp("__hasContext", 1, ([s], pos) => stringContext(forceString(s!, pos)).length > 0);

definePrimOp("__unsafeDiscardOutputDependency", 1, ([s], pos) => {
  const str = coerceToString(s!, pos);
  return mkString(
    stringBytes(str),
    stringContext(str).map((c) => (c.startsWith("=") ? c.slice(1) : c)),
  );
});

/**
 * The inverse of unsafeDiscardOutputDependency: a string whose one context element
 * is a .drv path (`/nix/store/x.drv`) gets the whole-derivation element (`=…`).
 * Errors are at no position, as in current CppNix: only the builtin's frame shows.
 */
definePrimOp("__addDrvOutputDependencies", 1, ([s]) => {
  const str = coerceToString(s!, 0, { ctx: "while evaluating the argument passed to builtins.addDrvOutputDependencies" });
  const context = [...new Set(stringContext(str))];
  if (context.length !== 1) {
    throw new EvalError(`context of string '${stringBytes(str)}' must have exactly one element, but has ${context.length}`, 0);
  }
  const element = context[0]!;
  if (element.startsWith("=")) return mkString(stringBytes(str), context);
  if (element.startsWith("!")) {
    const output = element.slice(1, element.indexOf("!", 1));
    throw new EvalError(`\`addDrvOutputDependencies\` can only act on derivations, not on a derivation output such as '${output}'`, 0);
  }
  if (!element.endsWith(".drv")) throw new EvalError(`path '${element}' is not a derivation`, 0);
  return mkString(stringBytes(str), ["=" + element]);
});

interface ContextInfo {
  path: boolean;
  allOutputs: boolean;
  outputs: string[];
}

definePrimOp("__getContext", 1, ([s], pos) => {
  const infos = new Map<string, ContextInfo>();
  for (const c of stringContext(forceString(s!, pos))) {
    let path = c;
    let output = "";
    let isDrv = false;
    if (c.startsWith("=")) {
      path = c.slice(1);
      isDrv = true;
    } else if (c.startsWith("!")) {
      const bang = c.indexOf("!", 1);
      output = c.slice(1, bang);
      path = c.slice(bang + 1);
      isDrv = true;
    }
    const isPath = !isDrv;
    const isAllOutputs = isDrv && output === "";
    const info = infos.get(path);
    if (info === undefined) {
      infos.set(path, { path: isPath, allOutputs: isAllOutputs, outputs: output === "" ? [] : [output] });
    } else if (isPath) info.path = true;
    else if (isAllOutputs) info.allOutputs = true;
    else info.outputs.push(output);
  }
  const m = new Map<string, Lazy>();
  for (const [path, info] of infos) {
    const inner = new Map<string, Lazy>();
    if (info.path) inner.set("path", true);
    if (info.allOutputs) inner.set("allOutputs", true);
    if (info.outputs.length > 0) inner.set("outputs", info.outputs.slice());
    m.set(path, NixAttrs.fromMap(inner));
  }
  return NixAttrs.fromMap(m);
});

// CppNix 2.8 prints the attribute names in these messages quoted (a Symbol's formatting).
definePrimOp("__appendContext", 2, ([s, ctxArg], pos) => {
  const orig = forceString(s!, pos);
  const context = [...stringContext(orig)];
  const attrs = forceAttrs(ctxArg!, pos);
  const storeDir = evalState().store.storeDir;
  for (let i = 0; i < attrs.names.length; i++) {
    const name = attrs.names[i]!;
    const at = attrs.positions[i] || pos;
    if (!isStorePath(name, storeDir)) throw new EvalError(`context key '${printIdentifier(name)}' is not a store path`, at);
    const info = forceAttrs(attrs.values[i]!, at);
    const pathAttr = info.find("path");
    if (pathAttr >= 0 && forceBool(info.values[pathAttr]!, info.positions[pathAttr] || at)) context.push(name);
    const allAttr = info.find("allOutputs");
    if (allAttr >= 0 && forceBool(info.values[allAttr]!, info.positions[allAttr] || at)) {
      if (!name.endsWith(".drv")) {
        throw new EvalError(`Tried to add all-outputs context of "${name}", which is not a derivation, to a string`, at);
      }
      context.push("=" + name);
    }
    const outAttr = info.find("outputs");
    if (outAttr >= 0) {
      const outPos = info.positions[outAttr] || at;
      const outputs = forceList(info.values[outAttr]!, outPos);
      if (outputs.length > 0 && !name.endsWith(".drv")) {
        throw new EvalError(`Tried to add derivation output context of "${name}", which is not a derivation, to a string`, at);
      }
      for (const o of outputs) context.push(`!${forceStringNoCtx(o, outPos)}!${name}`);
    }
  }
  return mkString(stringBytes(orig), context);
});

/** `placeholder "out"`: `/` + nixbase32(sha256("nix-output:<name>")), replaced by the output path at build time. */
definePrimOp("placeholder", 1, ([name]) => {
  const output = forceStringNoCtx(name!, 0, "while evaluating the first argument passed to builtins.placeholder");
  return "/" + encodeBase32(createHash("sha256").update(nixToBytes("nix-output:" + output)).digest());
});
