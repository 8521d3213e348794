import { randomUUID } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { CastoreCorruptionError, blake3Hex, isDigest, type CastoreBackend, type ObjectKind, type StoredObject } from "../store/index.js";
import { StorageConfigError } from "./errors.js";
import { isS3NotFound as isNotFound, s3ErrorText, s3Unavailable } from "./s3-errors.js";
import type { S3Config } from "./storage-config.js";
import { makeS3Client } from "./s3-client.js";

const PATH_KEY_RE = /^[0-9a-df-np-sv-z]{32}$/;

export interface S3CastoreOptions {
  /**
   * A put that finds its object present and written less than this long ago does
   * nothing more (one HEAD); an older one is touched (see the class comment). GC's
   * grace period must exceed this plus the longest ingestion (default 10 minutes;
   * GC's default grace is an hour).
   */
  refreshAfterMs?: number;
  /** Requests in flight at once during ingestion, GC and rendering (default 32). */
  parallelism?: number;
  /** Skip hashing what is read (default: every digest-named object is checked). */
  verifyReads?: boolean;
}

const unavailable = (err: unknown, what: string): unknown => s3Unavailable(err, what, [CastoreCorruptionError]);

/**
 * Castore objects in an S3 bucket, shared by every replica: `<prefix>castore/<kind>/<key>`.
 * Digest-named objects never change, so a put that finds one present uploads nothing;
 * bytes are checked against their name on write and on read.
 *
 * S3 cannot delete conditionally, so GC and writers meet through touch markers
 * (`castore/touch/<kind>/<key>`, empty objects whose LastModified is the time):
 * - a writer that finds an old object first writes its touch marker, then looks
 *   again (HEAD): present means GC will see the touch; absent means upload it again;
 * - GC copies a condemned object to `castore/trash/`, checks its touch marker,
 *   deletes it, checks the marker again, and puts it back from the trash when a writer
 *   touched it meanwhile. Whatever order the requests land in, an object a writer
 *   counted as present survives (or the writer uploaded it again); a reader may miss
 *   it only between the delete and the put-back. A collector that died halfway leaves
 *   trash, which the next one's `removeStale` puts back. Markers of objects still
 *   present stay (one empty object each): deleting one could race with a new touch.
 */
export class S3CastoreBackend implements CastoreBackend {
  readonly client: S3Client;
  readonly parallelism: number;
  private readonly refreshAfterMs: number;
  private readonly verify: boolean;
  private readonly base: string;

  constructor(
    private readonly config: S3Config,
    options: S3CastoreOptions = {},
    clientOverrides: Partial<S3ClientConfig> = {},
  ) {
    this.parallelism = options.parallelism ?? 32;
    this.refreshAfterMs = options.refreshAfterMs ?? 10 * 60_000;
    this.verify = options.verifyReads ?? true;
    this.base = `${config.prefix}castore/`;
    // Many small requests: keep connections open, as many as requests in flight.
    const agent = { keepAlive: true, maxSockets: this.parallelism + 4 };
    this.client = makeS3Client({
      forcePathStyle: config.forcePathStyle,
      ...(config.region ? { region: config.region } : {}),
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 3,
      requestHandler: {
        connectionTimeout: 3_000,
        requestTimeout: 60_000,
        httpAgent: new HttpAgent(agent),
        httpsAgent: new HttpsAgent(agent),
      },
      ...clientOverrides,
    });
  }

  private objectKey(kind: ObjectKind, key: string): string {
    const valid = kind === "path" ? PATH_KEY_RE.test(key) : isDigest(key);
    if (!valid) throw new Error(`invalid castore ${kind} key '${key}'`);
    return `${this.base}${kind}/${key}`;
  }

  /** Startup check: the bucket answers. */
  async checkReachable(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
    } catch (err) {
      const where = this.config.endpoint ? ` at ${this.config.endpoint}` : "";
      throw new StorageConfigError(`castore: S3 bucket '${this.config.bucket}'${where} is not usable: ${s3ErrorText(err)}`);
    }
  }

  private touchKey(kind: ObjectKind, key: string): string {
    return `${this.base}touch/${kind}/${key}`;
  }

  /** Unique per deletion: two collectors deleting the same object each keep their own copy. */
  private trashKey(kind: ObjectKind, key: string, id: string = randomUUID()): string {
    return `${this.base}trash/${kind}/${key}.${id}`;
  }

  /** LastModified of an object (ms), or undefined when absent. */
  private async modified(objectKey: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: objectKey }));
      return head.LastModified?.getTime() ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(err, "HeadObject");
    }
  }

  private async send(what: string, request: () => Promise<unknown>): Promise<void> {
    try {
      await request();
    } catch (err) {
      throw unavailable(err, what);
    }
  }

  private copy(from: string, to: string): Promise<void> {
    const command = new CopyObjectCommand({ Bucket: this.config.bucket, Key: to, CopySource: `${this.config.bucket}/${from}` });
    return this.send("CopyObject", () => this.client.send(command));
  }

  private remove(objectKey: string): Promise<void> {
    return this.send("DeleteObject", () => this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: objectKey })));
  }

  private upload(objectKey: string, bytes: Uint8Array): Promise<void> {
    const command = new PutObjectCommand({ Bucket: this.config.bucket, Key: objectKey, Body: bytes, ContentType: "application/octet-stream" });
    return this.send("PutObject", () => this.client.send(command));
  }

  async has(kind: ObjectKind, key: string): Promise<boolean> {
    return (await this.modified(this.objectKey(kind, key))) !== undefined;
  }

  async get(kind: ObjectKind, key: string): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(kind, key) }));
      bytes = Buffer.from(await got.Body!.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(err, "GetObject");
    }
    if (this.verify && kind !== "path" && blake3Hex(bytes) !== key) throw new CastoreCorruptionError(kind, key);
    return bytes;
  }

  async put(kind: ObjectKind, key: string, bytes: Uint8Array): Promise<boolean> {
    const objectKey = this.objectKey(kind, key);
    if (kind !== "path") {
      if (blake3Hex(bytes) !== key) throw new CastoreCorruptionError(kind, key);
      const time = await this.modified(objectKey);
      if (time !== undefined) {
        if (Date.now() - time < this.refreshAfterMs) return false;
        // Touch first, then look again: see the class comment.
        await this.upload(this.touchKey(kind, key), new Uint8Array(0));
        if ((await this.modified(objectKey)) !== undefined) return false;
      }
    }
    await this.upload(objectKey, bytes);
    return true;
  }

  async delete(kind: ObjectKind, key: string, unmodifiedSince?: number): Promise<boolean> {
    const objectKey = this.objectKey(kind, key);
    if (unmodifiedSince === undefined) {
      await this.remove(objectKey);
      return true;
    }
    const time = await this.modified(objectKey);
    if (time === undefined || time >= unmodifiedSince) return false;
    if (kind === "path") {
      // A record rewritten between these two requests is lost: the path then looks absent and is fetched again.
      await this.remove(objectKey);
      return true;
    }
    const touchKey = this.touchKey(kind, key);
    const touched = async () => ((await this.modified(touchKey)) ?? 0) >= unmodifiedSince;
    if (await touched()) return false;
    const trashKey = this.trashKey(kind, key);
    try {
      await this.copy(objectKey, trashKey);
    } catch (err) {
      if (isNotFound(err)) return false; // deleted meanwhile
      throw err;
    }
    await this.remove(objectKey);
    const wanted = await touched();
    if (wanted) await this.copy(trashKey, objectKey);
    await this.remove(trashKey);
    if (!wanted) await this.remove(touchKey);
    return !wanted;
  }

  /**
   * After a collector that died halfway: puts trash back where its object is missing
   * (the next collection decides again) and drops touch markers of absent objects,
   * for what was last modified before `cutoffMs`.
   */
  async removeStale(cutoffMs: number): Promise<number> {
    let handled = 0;
    for await (const { kind, key: name, modifiedMs } of this.listUnder("trash")) {
      if (modifiedMs >= cutoffMs) continue;
      const [key = "", id = ""] = name.split(".");
      const objectKey = this.objectKey(kind, key);
      const trashKey = this.trashKey(kind, key, id);
      if ((await this.modified(objectKey)) === undefined) await this.copy(trashKey, objectKey);
      await this.remove(trashKey);
      handled++;
    }
    for await (const { kind, key, modifiedMs } of this.listUnder("touch")) {
      if (modifiedMs >= cutoffMs || (await this.modified(this.objectKey(kind, key))) !== undefined) continue;
      await this.remove(this.touchKey(kind, key));
      handled++;
    }
    return handled;
  }

  private async *listUnder(area: "trash" | "touch"): AsyncIterable<StoredObject & { kind: ObjectKind }> {
    for (const kind of ["blob", "list", "dir"] as const) {
      for await (const object of this.listPrefix(`${this.base}${area}/${kind}/`)) yield { ...object, kind };
    }
  }

  async *list(kind: ObjectKind): AsyncIterable<StoredObject> {
    yield* this.listPrefix(`${this.base}${kind}/`);
  }

  private async *listPrefix(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
        );
      } catch (err) {
        throw unavailable(err, "ListObjectsV2");
      }
      for (const object of page.Contents ?? []) {
        yield { key: object.Key!.slice(prefix.length), size: object.Size ?? 0, modifiedMs: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
