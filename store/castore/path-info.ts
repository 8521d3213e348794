import { parseStorePath } from "../store-path.js";
import { isDigest } from "./digest.js";
import { CastoreFormatError, type CasNode } from "./nodes.js";

/** What the castore knows about one store path: its tree and its NAR's identity. */
export interface CasPathInfo {
  /** Absolute store path, e.g. `/nix/store/<hash>-hello-2.12`. */
  readonly storePath: string;
  readonly root: CasNode;
  /** `sha256:<nixbase32>` of the NAR, as in a narinfo's NarHash. */
  readonly narHash: string;
  readonly narSize: number;
  /** Absolute store paths, sorted. */
  readonly references: readonly string[];
  /** The .drv that produced it (absolute store path), when known. */
  readonly deriver?: string;
  /** Signatures (`keyname:base64`), as the binary cache's narinfo listed them. */
  readonly sigs?: readonly string[];
  /** Content-address assertion (`fixed:…`, `text:…`) of a content-addressed path. */
  readonly ca?: string;
}

/** What a path record may carry beyond the tree and NAR identity. */
export type CasPathExtras = Pick<CasPathInfo, "deriver" | "sigs" | "ca">;

/** The backend key of a path record: the store path's hash part. */
export function pathInfoKey(storePath: string): string {
  return parseStorePath(storePath).hashPart;
}

type NodeJson =
  | { kind: "file"; executable: boolean; size: number; digest: string }
  | { kind: "symlink"; target: string }
  | { kind: "directory"; size: number; digest: string };

function nodeToJson(node: CasNode): NodeJson {
  switch (node.kind) {
    case "file":
      if (node.contents) throw new CastoreFormatError("a path record's root cannot be an inline file");
      return { kind: "file", executable: node.executable, size: node.size, digest: node.digest };
    case "symlink":
      return { kind: "symlink", target: node.target.toString("base64") };
    case "directory":
      return { kind: "directory", size: node.size, digest: node.digest };
  }
}

function nodeFromJson(json: NodeJson): CasNode {
  const size = (json as { size?: unknown }).size;
  const digest = (json as { digest?: unknown }).digest;
  const goodSize = typeof size === "number" && Number.isSafeInteger(size) && size >= 0;
  const goodDigest = typeof digest === "string" && isDigest(digest);
  if (json.kind === "file" && goodSize && goodDigest && typeof json.executable === "boolean") {
    return { kind: "file", executable: json.executable, size: json.size, digest: json.digest };
  }
  if (json.kind === "directory" && goodSize && goodDigest) return { kind: "directory", size: json.size, digest: json.digest };
  if (json.kind === "symlink" && typeof json.target === "string") return { kind: "symlink", target: Buffer.from(json.target, "base64") };
  throw new CastoreFormatError("invalid root node in path record");
}

/**
 * A path record as JSON with a fixed field order (symlink targets in base64); the
 * optional fields appear only when set, so records without them keep their bytes.
 */
export function encodePathInfo(info: CasPathInfo): Buffer {
  const json = {
    storePath: info.storePath,
    root: nodeToJson(info.root),
    narHash: info.narHash,
    narSize: info.narSize,
    references: [...info.references].sort(),
    ...(info.deriver !== undefined ? { deriver: info.deriver } : {}),
    ...(info.sigs !== undefined ? { sigs: [...info.sigs] } : {}),
    ...(info.ca !== undefined ? { ca: info.ca } : {}),
  };
  return Buffer.from(`${JSON.stringify(json)}\n`);
}

export function decodePathInfo(bytes: Buffer): CasPathInfo {
  let json;
  try {
    json = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new CastoreFormatError("path record is not JSON");
  }
  const { storePath, root, narHash, narSize, references, deriver, sigs, ca } = json;
  const valid =
    typeof storePath === "string" &&
    typeof narHash === "string" &&
    typeof narSize === "number" &&
    Array.isArray(references) &&
    references.every((r) => typeof r === "string") &&
    typeof root === "object" &&
    root !== null &&
    (deriver === undefined || typeof deriver === "string") &&
    (sigs === undefined || (Array.isArray(sigs) && sigs.every((s) => typeof s === "string"))) &&
    (ca === undefined || typeof ca === "string");
  if (!valid) throw new CastoreFormatError("invalid path record");
  parseStorePath(storePath);
  return {
    storePath,
    root: nodeFromJson(root as NodeJson),
    narHash,
    narSize,
    references: references as string[],
    ...(deriver !== undefined ? { deriver } : {}),
    ...(sigs !== undefined ? { sigs: sigs as string[] } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
}
