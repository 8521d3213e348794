/**
 * The XML that `builtins.toXML` and `nix-instantiate --eval --xml` write
 * (CppNix 2.8's value-to-xml + XMLWriter), over a small value description the
 * evaluator builds from its values. Strings are byte strings (see regex.ts).
 *
 * Layout: an XML declaration line, then one element per line indented by two
 * spaces per level, `<name attrs />` for leaves. Element attributes are written
 * sorted by name (CppNix keeps them in a std::map), values escaped for `"` `<`
 * `>` `&` and newline (`&#xA;`); nothing else is escaped.
 */
import { showFloat } from "./float-format.js";

/** A source position; written as `column`, `line`, `path` when locations are on. */
export interface XmlPos {
  path: string;
  line: number;
  column: number;
}

/** Lazy so that cyclic values (a derivation's `out` is itself) can be described. */
export type XmlThunk = XmlValue | (() => XmlValue);

export interface XmlAttr {
  name: string;
  value: XmlThunk;
  pos?: XmlPos;
}

export type XmlValue =
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "string"; value: string }
  | { kind: "path"; value: string }
  | { kind: "null" }
  | { kind: "attrs"; attrs: XmlAttr[] }
  /** An attrset with `type = "derivation"`; drvPath/outPath only when they are strings. */
  | { kind: "derivation"; drvPath?: string; outPath?: string; attrs: XmlAttr[] }
  | { kind: "list"; items: XmlThunk[] }
  /** A lambda: `arg` alone is `x: …`; with `formals` it is `{ … }` (with `arg` for `@`). */
  | { kind: "lambda"; arg?: string; formals?: { names: string[]; ellipsis: boolean }; pos?: XmlPos }
  /** Primops, partially applied primops, thunks: `<unevaluated />`. */
  | { kind: "unevaluated" };

function escapeAttr(bytes: string): string {
  let out = "";
  for (const c of bytes) {
    if (c === '"') out += "&quot;";
    else if (c === "<") out += "&lt;";
    else if (c === ">") out += "&gt;";
    else if (c === "&") out += "&amp;";
    else if (c === "\n") out += "&#xA;";
    else out += c;
  }
  return out;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class XmlWriter {
  /**
   * Lines, joined at the end: deeply nested output grows quadratically with its
   * indentation, and one growing string would hit V8's length limit before the
   * evaluator's max-call-depth stops a too deep value.
   */
  private readonly lines: string[] = ["<?xml version='1.0' encoding='utf-8'?>\n"];
  private depth = 0;

  private tag(name: string, attrs: Record<string, string>): string {
    let s = "<" + name;
    for (const key of Object.keys(attrs).sort(byteOrder)) s += ` ${key}="${escapeAttr(attrs[key]!)}"`;
    return s;
  }

  open(name: string, attrs: Record<string, string> = {}): void {
    this.lines.push("  ".repeat(this.depth) + this.tag(name, attrs) + ">\n");
    this.depth++;
  }

  close(name: string): void {
    this.depth--;
    this.lines.push("  ".repeat(this.depth) + `</${name}>\n`);
  }

  empty(name: string, attrs: Record<string, string> = {}): void {
    this.lines.push("  ".repeat(this.depth) + this.tag(name, attrs) + " />\n");
  }

  text(): string {
    return this.lines.join("");
  }
}

function posAttrs(attrs: Record<string, string>, pos: XmlPos | undefined, location: boolean): void {
  if (!location || !pos) return;
  attrs.path = pos.path;
  attrs.line = String(pos.line);
  attrs.column = String(pos.column);
}

export interface RenderXmlOptions {
  /** Source positions on attributes and lambdas (nix-instantiate --xml; builtins.toXML has none). */
  location?: boolean;
  /**
   * Called once a lazily produced value (a function XmlThunk) has been written
   * with everything under it, so the producer can hold one level of its own
   * bookkeeping (the evaluator's max-call-depth) for the whole subtree.
   */
  leave?: () => void;
}

/** Renders a value as CppNix does. */
export function renderXml(value: XmlThunk, options: RenderXmlOptions = {}): string {
  const location = options.location ?? false;
  const leave = options.leave;
  const doc = new XmlWriter();
  const drvsSeen = new Set<string>();

  const showAttrs = (attrs: XmlAttr[]) => {
    for (const a of [...attrs].sort((x, y) => byteOrder(x.name, y.name))) {
      const xmlAttrs: Record<string, string> = { name: a.name };
      posAttrs(xmlAttrs, a.pos, location);
      doc.open("attr", xmlAttrs);
      print(a.value);
      doc.close("attr");
    }
  };

  const print = (thunk: XmlThunk): void => {
    if (typeof thunk !== "function") return printForced(thunk);
    printForced(thunk());
    if (leave !== undefined) leave();
  };

  const printForced = (v: XmlValue): void => {
    switch (v.kind) {
      case "int":
        return doc.empty("int", { value: v.value.toString() });
      case "float":
        return doc.empty("float", { value: showFloat(v.value) });
      case "bool":
        return doc.empty("bool", { value: v.value ? "true" : "false" });
      case "string":
        return doc.empty("string", { value: v.value });
      case "path":
        return doc.empty("path", { value: v.value });
      case "null":
        return doc.empty("null");
      case "attrs":
        doc.open("attrs");
        showAttrs(v.attrs);
        return doc.close("attrs");
      case "derivation": {
        const attrs: Record<string, string> = {};
        if (v.drvPath !== undefined) attrs.drvPath = v.drvPath;
        if (v.outPath !== undefined) attrs.outPath = v.outPath;
        doc.open("derivation", attrs);
        // Each derivation is expanded once; later occurrences (and ones without drvPath) are `<repeated />`.
        const drvPath = v.drvPath ?? "";
        if (drvPath !== "" && !drvsSeen.has(drvPath)) {
          drvsSeen.add(drvPath);
          showAttrs(v.attrs);
        } else {
          doc.empty("repeated");
        }
        return doc.close("derivation");
      }
      case "list":
        doc.open("list");
        for (const item of v.items) print(item);
        return doc.close("list");
      case "lambda": {
        const attrs: Record<string, string> = {};
        posAttrs(attrs, v.pos, location);
        doc.open("function", attrs);
        if (v.formals) {
          const pat: Record<string, string> = {};
          if (v.arg) pat.name = v.arg;
          if (v.formals.ellipsis) pat.ellipsis = "1";
          doc.open("attrspat", pat);
          for (const name of [...v.formals.names].sort(byteOrder)) doc.empty("attr", { name });
          doc.close("attrspat");
        } else {
          doc.empty("varpat", { name: v.arg ?? "" });
        }
        return doc.close("function");
      }
      case "unevaluated":
        return doc.empty("unevaluated");
    }
  };

  doc.open("expr");
  print(value);
  doc.close("expr");
  return doc.text();
}
