/**
 * `parseFlakeRef` and `flakeRefToString` (current CppNix; upstream
 * eval-okay-parse-flake-ref, eval-okay-flake-ref-to-string): flake references as
 * attribute sets and back, for the common schemes — `github:`/`gitlab:`/
 * `sourcehut:` owner/repo[/ref-or-rev], `path:`, `git+…`, `tarball+…`/`file+…`,
 * plain http(s) archives and indirect ids. Nothing is fetched.
 */
import { EvalError, NixAttrs, definePrimOp, force, forceAttrs, forceStringNoCtx, showType, type Value } from "../eval/index.js";

const FORGES = new Set(["github", "gitlab", "sourcehut"]);
const REV = /^[0-9a-f]{40}$/;

function attrsOf(fields: [string, Value][]): NixAttrs {
  return NixAttrs.fromMap(new Map(fields.map(([k, v]) => [k, v])));
}

function queryFields(query: string | undefined): [string, Value][] {
  if (!query) return [];
  return query.split("&").filter((p) => p !== "").map((p) => {
    const eq = p.indexOf("=");
    const k = decodeURIComponent(eq < 0 ? p : p.slice(0, eq));
    return [k, decodeURIComponent(eq < 0 ? "" : p.slice(eq + 1))];
  });
}

export function parseFlakeRefString(ref: string, pos: number): NixAttrs {
  const [body, query] = ref.split("?", 2) as [string, string | undefined];
  const colon = body.indexOf(":");
  const scheme = colon < 0 ? "" : body.slice(0, colon);
  const rest = body.slice(colon + 1);
  const q = queryFields(query);
  if (FORGES.has(scheme)) {
    const parts = rest.split("/");
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) throw new EvalError(`'${ref}' is not a valid URL`, pos);
    const fields: [string, Value][] = [["type", scheme], ["owner", parts[0]!], ["repo", parts[1]!]];
    if (parts[2] !== undefined) fields.push([REV.test(parts[2]) ? "rev" : "ref", parts[2]]);
    return attrsOf([...fields, ...q]);
  }
  if (scheme === "path") return attrsOf([["type", "path"], ["path", rest], ...q]);
  if (scheme.startsWith("git+")) return attrsOf([["type", "git"], ["url", body.slice(4)], ...q]);
  if (scheme.startsWith("tarball+") || scheme.startsWith("file+")) {
    const plus = scheme.indexOf("+");
    return attrsOf([["type", scheme.slice(0, plus)], ["url", body.slice(plus + 1)], ...q]);
  }
  if (scheme === "http" || scheme === "https") return attrsOf([["type", /\.(zip|tar|tgz|tar\.\w+)$/.test(body) ? "tarball" : "file"], ["url", body], ...q]);
  if (colon < 0 && /^[a-zA-Z][a-zA-Z0-9_-]*(\/[^/]+)?$/.test(body)) {
    const [id, r] = body.split("/", 2) as [string, string | undefined];
    const fields: [string, Value][] = [["type", "indirect"], ["id", id]];
    if (r !== undefined) fields.push([REV.test(r) ? "rev" : "ref", r]);
    return attrsOf([...fields, ...q]);
  }
  if (colon < 0 && body.startsWith("/")) return attrsOf([["type", "path"], ["path", body], ...q]);
  throw new EvalError(`'${ref}' is not a valid URL`, pos);
}

definePrimOp("__parseFlakeRef", 1, ([s], pos) => parseFlakeRefString(forceStringNoCtx(s!, pos), pos));

definePrimOp("__flakeRefToString", 1, ([a], pos) => {
  const attrs = forceAttrs(a!, pos);
  const fields = new Map<string, string>();
  for (const k of attrs.keys()) {
    const v = force(attrs.get(k)!, pos);
    if (typeof v === "number" || typeof v === "bigint") {
      if (v < 0) throw new EvalError(`negative value given for flake ref attr ${k}: ${v}`, pos);
      fields.set(k, v.toString());
    } else if (typeof v === "boolean") fields.set(k, v ? "1" : "0");
    else if (typeof v === "string" || (typeof v === "object" && v !== null && "s" in v)) fields.set(k, forceStringNoCtx(v, pos));
    else throw new EvalError(`flake reference attribute sets may only contain integers, Booleans, and strings, but attribute '${k}' is ${showType(v)}`, pos);
  }
  const type = fields.get("type");
  if (type === undefined) throw new EvalError("attribute 'type' missing in flake reference", pos);
  const take = (k: string): string | undefined => {
    const v = fields.get(k);
    fields.delete(k);
    return v;
  };
  take("type");
  let base: string;
  if (FORGES.has(type)) {
    const owner = take("owner");
    const repo = take("repo");
    if (owner === undefined || repo === undefined) throw new EvalError(`flake reference of type '${type}' needs 'owner' and 'repo'`, pos);
    const refOrRev = take("rev") ?? take("ref");
    base = `${type}:${owner}/${repo}${refOrRev !== undefined ? `/${refOrRev}` : ""}`;
  } else if (type === "path") base = `path:${take("path") ?? ""}`;
  else if (type === "git") base = `git+${take("url") ?? ""}`;
  else if (type === "tarball" || type === "file") base = `${type}+${take("url") ?? ""}`;
  else if (type === "indirect") {
    const refOrRev = take("rev") ?? take("ref");
    base = `flake:${take("id") ?? ""}${refOrRev !== undefined ? `/${refOrRev}` : ""}`;
  } else throw new EvalError(`unsupported input type '${type}'`, pos);
  const query = [...fields.keys()].sort().map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(fields.get(k)!)}`);
  return query.length > 0 ? `${base}?${query.join("&")}` : base;
});
