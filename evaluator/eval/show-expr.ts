/**
 * Expression text as CppNix 2.8's `Expr::show` prints it; used in
 * `assertion '<expr>' failed` messages.
 */
import type { AttrName, Expr } from "../syntax/ast.js";
import { formatFloatShort } from "./float-format.js";

export function showExpr(e: Expr): string {
  switch (e.kind) {
    case "int":
      return e.value.toString();
    case "float":
      return formatFloatShort(e.value);
    case "string":
      return showString(e.value);
    case "path":
      return e.value;
    case "var":
      return showId(e.name);
    case "select":
      return `(${showExpr(e.expr)}).${showAttrPath(e.path)}${e.default !== null ? ` or (${showExpr(e.default)})` : ""}`;
    case "hasAttr":
      return `((${showExpr(e.expr)}) ? ${showAttrPath(e.path)})`;
    case "attrs": {
      let s = e.rec ? "rec { " : "{ ";
      for (const name of [...e.defs.keys()].sort()) {
        const def = e.defs.get(name)!;
        s += def.kind === "inherit" ? `inherit ${showId(name)} ; ` : `${showId(name)} = ${showExpr(def.value)}; `;
      }
      for (const d of e.dynamic) s += `"\${${showExpr(d.name)}}" = ${showExpr(d.value)}; `;
      return s + "}";
    }
    case "list":
      return `[ ${e.elems.map((x) => `(${showExpr(x)}) `).join("")}]`;
    case "lambda": {
      let s = "(";
      if (e.formals !== null) {
        const parts = [...e.formals.entries]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((f) => (f.default !== null ? `${showId(f.name)} ? ${showExpr(f.default)}` : showId(f.name)));
        if (e.formals.ellipsis) parts.push("...");
        s += `{ ${parts.join(", ")} }`;
        if (e.arg !== "") s += " @ ";
      }
      if (e.arg !== "") s += showId(e.arg);
      return `${s}: ${showExpr(e.body)})`;
    }
    case "call":
      return `(${showExpr(e.fn)}${e.args.map((a) => " " + showExpr(a)).join("")})`;
    case "let": {
      let s = "(let ";
      for (const [name, def] of e.attrs.defs) {
        s += def.kind === "inherit" ? `inherit ${showId(name)}; ` : `${showId(name)} = ${showExpr(def.value)}; `;
      }
      return `${s}in ${showExpr(e.body)})`;
    }
    case "with":
      return `(with ${showExpr(e.attrs)}; ${showExpr(e.body)})`;
    case "if":
      return `(if ${showExpr(e.cond)} then ${showExpr(e.then)} else ${showExpr(e.else)})`;
    case "assert":
      return `assert ${showExpr(e.cond)}; ${showExpr(e.body)}`;
    case "not":
      return `(! ${showExpr(e.expr)})`;
    case "binary":
      return `(${showExpr(e.left)} ${e.op} ${showExpr(e.right)})`;
    case "concatStrings":
      return `(${e.parts.map(showExpr).join(" + ")})`;
    case "curPos":
      return "__curPos";
  }
}

function showAttrPath(path: AttrName[]): string {
  return path.map((p) => (typeof p === "string" ? showId(p) : `"\${${showExpr(p)}}"`)).join(".");
}

function showString(s: string): string {
  let out = '"';
  for (const c of s) {
    if (c === '"' || c === "\\" || c === "$") out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else out += c;
  }
  return out + '"';
}

function showId(s: string): string {
  if (s === "") return '""';
  if (s === "if") return '"if"';
  if (!/^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(s)) return showString(s);
  return s;
}
