/** An OCI content digest; Lading stores and serves sha256 only. */
export interface Digest {
  readonly algorithm: "sha256";
  readonly hex: string;
}

const DIGEST_RE = /^sha256:([a-f0-9]{64})$/;

export class InvalidDigestError extends Error {
  override name = "InvalidDigestError";
}

export function parseDigest(text: string): Digest {
  const m = DIGEST_RE.exec(text);
  if (!m) throw new InvalidDigestError(`invalid digest '${text}': expected sha256:<64 lower-case hex digits>`);
  return { algorithm: "sha256", hex: m[1]! };
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

/** The storage key of a blob: `blobs/sha256/<hex>`. */
export function blobKey(d: Digest): string {
  return `blobs/${d.algorithm}/${d.hex}`;
}
