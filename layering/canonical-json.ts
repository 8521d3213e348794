import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted (by UTF-16 code units, as JS sorts; all our keys are
 * ASCII) and no whitespace, so the same value always gives the same bytes and digest.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) sorted[key] = sortKeys(child);
    }
    return sorted;
  }
  return value;
}

/** A JSON document as served: its bytes, digest and size. */
export interface JsonBlob {
  bytes: Buffer;
  digest: string;
  size: number;
}

export function jsonBlob(value: unknown): JsonBlob {
  const bytes = Buffer.from(canonicalJson(value));
  return { bytes, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`, size: bytes.length };
}
