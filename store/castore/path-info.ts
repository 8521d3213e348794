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
}

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

/** A path record as JSON with a fixed field order (symlink targets in base64). */
export function encodePathInfo(info: CasPathInfo): Buffer {
  const json = {
    storePath: info.storePath,
    root: nodeToJson(info.root),
    narHash: info.narHash,
    narSize: info.narSize,
    references: [...info.references].sort(),
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
  const { storePath, root, narHash, narSize, references } = json;
  const valid =
    typeof storePath === "string" &&
    typeof narHash === "string" &&
    typeof narSize === "number" &&
    Array.isArray(references) &&
    references.every((r) => typeof r === "string") &&
    typeof root === "object" &&
    root !== null;
  if (!valid) throw new CastoreFormatError("invalid path record");
  parseStorePath(storePath);
  return { storePath, root: nodeFromJson(root as NodeJson), narHash, narSize, references: references as string[] };
}
