/**
 * Renders an AST in the text format of CppNix 2.8's `Expr::show` (what
 * `nix-instantiate --parse` prints), so parses can be compared with CppNix's.
 */
import type { AttrName, Expr, Formal } from "./ast.js";
import { showFloat } from "../builtins/support/float-format.js";
import { printAttrName, quoteName } from "../builtins/support/string-escape.js";

/** String literals and identifiers print as CppNix shows them; the escaping lives in builtins/support. */
export const showString = quoteName;
export const showId = printAttrName;

/** `a.b."${e}"` */
export function showAttrPath(path: readonly AttrName[]): string {
  return path.map((a) => (typeof a === "string" ? showId(a) : `"\${${showExpr(a)}}"`)).join(".");
}

/**
 * CppNix prints `let` bindings and lambda formals in symbol-table order (the
 * addresses of interned strings), not source order. Symbols interned before
 * parsing (builtins, well-known attribute names) come first; the others in the
 * order the parser creates them. `preInterned` ranks the former.
 */
export interface ShowOptions {
  readonly preInterned?: ReadonlyMap<string, number>;
  /**
   * "name" sorts `let` bindings and formals by name instead: a canonical form for
   * comparing with CppNix where its symbol addresses make the order arbitrary.
   */
  readonly order?: "symbol" | "name";
  /**
   * "current" (the default) prints as current CppNix: bindings sorted by name with
   * `inherit` clauses grouped first, formals sorted by name, empty literal parts of
   * indented strings dropped (upstream parse-okay-inherits, -subversion, -ind-string).
   * "2.8" prints as CppNix 2.8, the differential tests' oracle.
   */
  readonly style?: "current" | "2.8";
}

/**
 * Names CppNix 2.8 interns before any parse (its EvalState's well-known attribute
 * names, then the base environment: builtins with and without `__`), as one
 * `nix-instantiate` run ordered them; their relative order varies between runs.
 */
const DEFAULT_PRE_INTERNED: readonly string[] = [
  "outPath", "meta", "name", "value", "system", "__overrides", "outputs", "outputName", "__ignoreNulls", "file",
  "line", "column", "drvPath", "type", "__functor", "__toString", "right", "wrong", "__structuredAttrs", "builder",
  "args", "__contentAddressed", "__impure", "outputHash", "outputHashAlgo", "outputHashMode",
  "recurseForDerivations", "description", "self", "startSet", "operator", "key", "path", "prefix", "builtins",
  "true", "false", "null", "__currentTime", "currentTime", "__currentSystem", "currentSystem", "__nixVersion",
  "nixVersion", "__storeDir", "storeDir", "__langVersion", "langVersion", "__nixPath", "nixPath", "scopedImport",
  "import", "__typeOf", "typeOf", "isNull", "__isFunction", "isFunction", "__isInt", "isInt", "__isFloat", "isFloat",
  "__isString", "isString", "__isBool", "isBool", "__isPath", "isPath", "__genericClosure", "genericClosure",
  "abort", "throw", "__addErrorContext", "addErrorContext", "__ceil", "ceil", "__floor", "floor", "__tryEval",
  "tryEval", "__getEnv", "getEnv", "__seq", "seq", "__deepSeq", "deepSeq", "__trace", "trace", "derivationStrict",
  "placeholder", "__toPath", "toPath", "__storePath", "storePath", "__pathExists", "pathExists", "baseNameOf",
  "dirOf", "__readFile", "readFile", "__findFile", "findFile", "__hashFile", "hashFile", "__readDir", "readDir",
  "__toXML", "toXML", "__toJSON", "toJSON", "__fromJSON", "fromJSON", "__toFile", "toFile", "__filterSource",
  "filterSource", "__path", "__attrNames", "attrNames", "__attrValues", "attrValues", "__getAttr", "getAttr",
  "__unsafeGetAttrPos", "unsafeGetAttrPos", "__hasAttr", "hasAttr", "__scopedImport", "__throw", "__true",
  "__isAttrs", "isAttrs", "removeAttrs", "__listToAttrs", "listToAttrs", "__intersectAttrs", "intersectAttrs",
  "__catAttrs", "catAttrs", "__functionArgs", "functionArgs", "__mapAttrs", "mapAttrs", "__zipAttrsWith",
  "zipAttrsWith", "__isList", "isList", "__elemAt", "elemAt", "__head", "head", "__tail", "tail", "map", "__filter",
  "filter", "__elem", "elem", "__concatLists", "concatLists", "__length", "length", "__foldl'", "foldl'", "__any",
  "any", "__all", "all", "__genList", "genList", "__sort", "sort", "__partition", "partition", "__groupBy",
  "groupBy", "__concatMap", "concatMap", "__add", "add", "__sub", "sub", "__mul", "mul", "__div", "div", "__bitAnd",
  "bitAnd", "__bitOr", "bitOr", "__bitXor", "bitXor", "__lessThan", "lessThan", "toString", "__substring",
  "substring", "__stringLength", "stringLength", "__hashString", "hashString", "__match", "match", "__split",
  "split", "__concatStringsSep", "concatStringsSep", "__replaceStrings", "replaceStrings", "__parseDrvName",
  "parseDrvName", "__compareVersions", "compareVersions", "__splitVersion", "splitVersion",
  "__unsafeDiscardStringContext", "unsafeDiscardStringContext", "__hasContext", "hasContext",
  "__unsafeDiscardOutputDependency", "unsafeDiscardOutputDependency", "__getContext", "getContext",
  "__appendContext", "appendContext", "fetchMercurial", "fetchTree", "__fetchurl", "fetchurl", "fetchTarball",
  "fetchGit", "fromTOML", "derivation",
];

export const defaultPreInterned: ReadonlyMap<string, number> = new Map(DEFAULT_PRE_INTERNED.map((n, i) => [n, i]));

/** `Expr::show` of an expression. */
export function showExpr(e: Expr, options: ShowOptions = {}): string {
  const printer = new Printer(options.preInterned ?? defaultPreInterned, e);
  if (options.order === "name") printer.bySymbol = compareBytes;
  printer.current = options.style !== "2.8";
  return printer.show(e);
}

class Printer {
  private readonly rank = new Map<string, number>();
  /** Current CppNix's format (see ShowOptions.style). */
  current = true;

  constructor(
    preInterned: ReadonlyMap<string, number>,
    root: Expr,
  ) {
    for (const [n, r] of preInterned) this.rank.set(n, r);
    this.base = preInterned.size + 1;
    this.collect(root);
  }

  private readonly base: number;

  private intern(name: string): void {
    if (!this.rank.has(name)) this.rank.set(name, this.base + this.rank.size);
  }

  /** Interns names in roughly the order CppNix's parser actions create symbols. */
  private collect(e: Expr): void {
    switch (e.kind) {
      case "var":
        this.intern(e.name);
        return;
      case "select":
      case "hasAttr":
        this.collect(e.expr);
        this.collectPath(e.path);
        if (e.kind === "select" && e.default) this.collect(e.default);
        return;
      case "attrs":
        for (const [name, def] of e.defs) {
          this.intern(name);
          if (def.kind === "plain") this.collect(def.value);
        }
        for (const src of e.inheritFrom) this.collect(src);
        for (const d of e.dynamic) {
          this.collect(d.name);
          this.collect(d.value);
        }
        return;
      case "list":
        for (const x of e.elems) this.collect(x);
        return;
      case "lambda":
        if (e.formals) {
          for (const f of e.formals.entries) {
            if (f.default) this.collect(f.default);
            this.intern(f.name);
          }
        }
        this.collect(e.body);
        if (e.arg !== "") this.intern(e.arg);
        return;
      case "call":
        this.collect(e.fn);
        for (const a of e.args) this.collect(a);
        return;
      case "let":
        this.collect(e.attrs);
        this.collect(e.body);
        return;
      case "with":
        this.collect(e.attrs);
        this.collect(e.body);
        return;
      case "if":
        this.collect(e.cond);
        this.collect(e.then);
        this.collect(e.else);
        return;
      case "assert":
        this.collect(e.cond);
        this.collect(e.body);
        return;
      case "not":
        this.collect(e.expr);
        return;
      case "binary":
        this.collect(e.left);
        this.collect(e.right);
        return;
      case "concatStrings":
        for (const p of e.parts) this.collect(p);
        return;
      default:
        return;
    }
  }

  private collectPath(path: AttrName[]): void {
    for (const a of path) {
      if (typeof a === "string") this.intern(a);
      else this.collect(a);
    }
  }

  bySymbol = (a: string, b: string): number => this.rank.get(a)! - this.rank.get(b)!;

  private path(path: AttrName[]): string {
    return path.map((a) => (typeof a === "string" ? showId(a) : `"\${${this.show(a)}}"`)).join(".");
  }

  show(e: Expr): string {
    switch (e.kind) {
      case "int":
        return e.value.toString();
      case "float":
        return showFloat(e.value);
      case "string":
        return quoteName(e.value);
      case "path":
        return e.value;
      case "var":
        return showId(e.name);
      case "curPos":
        return "__curPos";
      case "select":
        return `(${this.show(e.expr)}).${this.path(e.path)}` + (e.default ? ` or (${this.show(e.default)})` : "");
      case "hasAttr":
        return `((${this.show(e.expr)}) ? ${this.path(e.path)})`;
      case "attrs": {
        if (this.current) return `${e.rec ? "rec " : ""}{ ${this.bindings(e)}}`;
        let out = e.rec ? "rec { " : "{ ";
        const names = [...e.defs.keys()].sort(compareBytes);
        for (const name of names) {
          const def = e.defs.get(name)!;
          if (def.kind === "inherit") out += `inherit ${showId(name)} ; `;
          else out += `${showId(name)} = ${this.show(def.value)}; `;
        }
        for (const d of e.dynamic) out += `"\${${this.show(d.name)}}" = ${this.show(d.value)}; `;
        return out + "}";
      }
      case "list": {
        let out = "[ ";
        for (const x of e.elems) out += `(${this.show(x)}) `;
        return out + "]";
      }
      case "lambda": {
        let out = "(";
        if (e.formals) {
          const order = this.current ? compareBytes : this.bySymbol;
          const entries = [...e.formals.entries].sort((a: Formal, b: Formal) => order(a.name, b.name) || a.pos - b.pos);
          const shown = entries.map((f) => showId(f.name) + (f.default ? ` ? ${this.show(f.default)}` : ""));
          if (e.formals.ellipsis) shown.push("...");
          out += `{ ${shown.join(", ")} }`;
          if (e.arg !== "") out += " @ ";
        }
        if (e.arg !== "") out += showId(e.arg);
        return `${out}: ${this.show(e.body)})`;
      }
      case "call":
        return `(${this.show(e.fn)}${e.args.map((a) => " " + this.show(a)).join("")})`;
      case "let": {
        if (this.current) return `(let ${this.bindings(e.attrs)}in ${this.show(e.body)})`;
        let out = "(let ";
        const names = [...e.attrs.defs.keys()].sort(this.bySymbol);
        for (const name of names) {
          const def = e.attrs.defs.get(name)!;
          if (def.kind === "inherit") out += `inherit ${showId(name)}; `;
          else out += `${showId(name)} = ${this.show(def.value)}; `;
        }
        return `${out}in ${this.show(e.body)})`;
      }
      case "with":
        return `(with ${this.show(e.attrs)}; ${this.show(e.body)})`;
      case "if":
        return `(if ${this.show(e.cond)} then ${this.show(e.then)} else ${this.show(e.else)})`;
      case "assert":
        return `assert ${this.show(e.cond)}; ${this.show(e.body)}`;
      case "not":
        return `(! ${this.show(e.expr)})`;
      case "binary":
        return `(${this.show(e.left)} ${e.op} ${this.show(e.right)})`;
      case "concatStrings": {
        let parts = e.parts;
        if (this.current && e.forceString) {
          const kept = parts.filter((p) => !(p.kind === "string" && p.value === ""));
          if (kept.length > 0) parts = kept;
        }
        return `(${parts.map((p) => this.show(p)).join(" + ")})`;
      }
    }
  }

  /** Current CppNix's showBindings: `inherit a b; inherit (src) c; name = value; "${dyn}" = value; `. */
  private bindings(e: Expr & { kind: "attrs" }): string {
    const names = [...e.defs.keys()].sort(compareBytes);
    const inherits: string[] = [];
    const from = new Map<number, string[]>();
    let plain = "";
    for (const name of names) {
      const def = e.defs.get(name)!;
      if (def.kind === "inherit") inherits.push(name);
      else if (def.kind === "inheritFrom") {
        const list = from.get(def.fromIndex) ?? [];
        from.set(def.fromIndex, list);
        list.push(name);
      } else plain += `${name} = ${this.show(def.value)}; `;
    }
    let out = inherits.length > 0 ? `inherit ${inherits.join(" ")}; ` : "";
    for (const [i, list] of [...from].sort((a, b) => a[0] - b[0])) out += `inherit (${this.show(e.inheritFrom[i]!)}) ${list.join(" ")}; `;
    out += plain;
    for (const d of e.dynamic) out += `"\${${this.show(d.name)}}" = ${this.show(d.value)}; `;
    return out;
  }
}

/** std::string's `<` (bytewise on UTF-8), which CppNix uses to sort attributes. */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A float as CppNix prints a value (`%g`); the one implementation lives in builtins/support. */
export { showFloat as formatFloat };
