import { createHash, randomUUID } from "node:crypto";
import { Readable, Transform, type TransformCallback } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { DigestMismatchError, type BlobInfo, type BlobStore, type ByteRange } from "./blob-store.js";
import { blobKey, formatDigest, type Digest } from "./digest.js";
import { StorageConfigError } from "./errors.js";
import { isS3NotFound as isNotFound, s3ErrorText, s3Status as statusOf, s3Unavailable } from "./s3-errors.js";
import type { S3Config } from "./storage-config.js";
import { makeS3Client } from "./s3-client.js";

/** Part size of multipart uploads: layers above it go up in parts, several at once. */
const PART_SIZE = 16 * 1024 * 1024;

const unavailable = (err: unknown, what: string): unknown => s3Unavailable(err, what, [DigestMismatchError]);

/** Hashes what passes through and, at the end, refuses to finish unless the digest is the expected one. */
class VerifyingStream extends Transform {
  private readonly hash = createHash("sha256");
  // Not `size`: lib-storage reads `Body.size` as the total length.
  bytesSeen = 0;
  digest: Digest | undefined;

  constructor(private readonly expected: Digest | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytesSeen += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = { algorithm: "sha256", hex: this.hash.digest("hex") };
    if (this.expected && this.expected.hex !== this.digest.hex) {
      callback(new DigestMismatchError(`content has digest ${formatDigest(this.digest)}, expected ${formatDigest(this.expected)}`));
    } else {
      callback();
    }
  }
}

/**
 * Blobs as objects `<prefix>blobs/sha256/<hex>` in an S3 bucket (AWS, MinIO, Ceph, …).
 * An object appears under its content address only with verified bytes: with a known
 * digest the multipart upload is completed only after the last byte hashed right;
 * otherwise the bytes go to `<prefix>tmp/` and are copied once their digest is known.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  /** Signs URLs for clients, which may reach the store under another name (LADING_S3_PUBLIC_ENDPOINT). */
  private readonly presignClient: S3Client;

  constructor(
    private readonly config: S3Config,
    clientOverrides: Partial<S3ClientConfig> = {},
  ) {
    const base: S3ClientConfig = {
      forcePathStyle: config.forcePathStyle,
      ...(config.region ? { region: config.region } : {}),
      // We verify sha256 ourselves; the SDK's default CRC trailers are not understood by every S3 clone.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 60_000 },
      ...clientOverrides,
    };
    this.client = makeS3Client({ ...base, ...(config.endpoint ? { endpoint: config.endpoint } : {}) });
    const publicEndpoint = config.publicEndpoint ?? config.endpoint;
    this.presignClient = publicEndpoint === config.endpoint ? this.client : makeS3Client({ ...base, ...(publicEndpoint ? { endpoint: publicEndpoint } : {}) });
  }

  private keyOf(digest: Digest): string {
    return this.config.prefix + blobKey(digest);
  }

  /**
   * Startup check: the bucket exists and we may write and delete in it. Throws a
   * StorageConfigError that says which of these failed.
   */
  async checkWritable(): Promise<void> {
    const { bucket } = this.config;
    const where = this.config.endpoint ? ` at ${this.config.endpoint}` : "";
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) throw new StorageConfigError(`S3 bucket '${bucket}' does not exist${where}; create it or fix LADING_S3_BUCKET`);
      if (status === 403 || status === 401) throw new StorageConfigError(`S3 bucket '${bucket}'${where} is not accessible with these credentials (HTTP ${status})`);
      throw new StorageConfigError(`cannot reach S3 bucket '${bucket}'${where}: ${s3ErrorText(err)}`);
    }
    const probe = `${this.config.prefix}tmp/write-check-${randomUUID()}`;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: probe, Body: "lading write check" }));
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }));
    } catch (err) {
      throw new StorageConfigError(
        `S3 bucket '${bucket}'${where} is not writable (needs s3:PutObject and s3:DeleteObject): ${s3ErrorText(err)}`,
      );
    }
  }

  /** Readiness: the bucket answers. */
  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
    } catch (err) {
      throw unavailable(err, "HeadBucket");
    }
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(digest) }));
      return { digest, size: head.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(err, "HeadObject");
    }
  }

  async read(digest: Digest, range?: ByteRange): Promise<Readable | undefined> {
    try {
      const got = await this.client.send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.keyOf(digest),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return got.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(err, "GetObject");
    }
  }

  /** A presigned GET URL for the blob (redirect mode). */
  async presignedUrl(digest: Digest): Promise<string> {
    return getSignedUrl(this.presignClient, new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(digest) }), {
      expiresIn: this.config.presignExpiresSeconds,
    });
  }

  async write(content: Readable | Uint8Array, expected?: Digest): Promise<BlobInfo> {
    const source = content instanceof Uint8Array ? Readable.from([content]) : content;
    const verifier = new VerifyingStream(expected);
    source.on("error", (err) => verifier.destroy(err));
    source.pipe(verifier);
    const key = expected ? this.keyOf(expected) : `${this.config.prefix}tmp/${randomUUID()}`;
    await this.upload(key, verifier);
    const digest = verifier.digest!;
    if (expected) return { digest, size: verifier.bytesSeen };
    try {
      const target = this.keyOf(digest);
      if (!(await this.stat(digest))) {
        await this.client.send(new CopyObjectCommand({ Bucket: this.config.bucket, Key: target, CopySource: `${this.config.bucket}/${key}` }));
      }
      return { digest, size: verifier.bytesSeen };
    } catch (err) {
      throw unavailable(err, "CopyObject");
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key })).catch(() => undefined);
    }
  }

  /** Uploads in parts when large; a failed or refused upload is aborted, leaving no parts. */
  private async upload(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: key, Body: body, ContentType: "application/octet-stream" },
      partSize: PART_SIZE,
      queueSize: 4,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      // A mismatch surfaces as the stream's error; the SDK may wrap or replace it.
      if (body instanceof VerifyingStream && body.errored instanceof DigestMismatchError) throw body.errored;
      throw unavailable(err, "upload");
    }
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(digest) }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw unavailable(err, "DeleteObject");
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    if (this.presignClient !== this.client) this.presignClient.destroy();
  }
}
