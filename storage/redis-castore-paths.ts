import type { CastoreBackend, ObjectKind, StoredObject } from "../store/index.js";
import type { RedisConnection } from "./redis-connection.js";

const PATH_KEY_RE = /^[0-9a-df-np-sv-z]{32}$/;
const LIST_BATCH = 1000;

/**
 * Deletes a path record only if it was not written since the cutoff, atomically
 * (GC's sweep against a replica recording the same path again).
 * KEYS: record, index; ARGV: hash part, cutoff (ms) or "" for unconditional.
 */
const DELETE_SCRIPT = `
local score = redis.call("ZSCORE", KEYS[2], ARGV[1])
if ARGV[2] ~= "" and score and tonumber(score) >= tonumber(ARGV[2]) then return 0 end
redis.call("ZREM", KEYS[2], ARGV[1])
return redis.call("DEL", KEYS[1])
`;

/**
 * Castore path records in Redis, shared by every replica: the record (root node, NAR
 * hash and size, references) at `<prefix>castore:path:<hash part>`, and every hash
 * part in the sorted set `<prefix>castore:paths` scored by its write time, which GC
 * lists. A lookup before substituting is one GET. Holds the `path` kind only: use it
 * with a SplitCastoreBackend whose objects live elsewhere (S3, the filesystem).
 */
export class RedisCastorePaths implements CastoreBackend {
  readonly parallelism = 16;

  constructor(private readonly redis: RedisConnection) {}

  private recordKey(kind: ObjectKind, key: string): string {
    if (kind !== "path") throw new Error(`RedisCastorePaths holds path records only, not ${kind} objects`);
    if (!PATH_KEY_RE.test(key)) throw new Error(`invalid castore path key '${key}'`);
    return this.redis.key("castore", "path", key);
  }

  private get index(): string {
    return this.redis.key("castore", "paths");
  }

  async has(kind: ObjectKind, key: string): Promise<boolean> {
    const id = this.recordKey(kind, key);
    return (await this.redis.run("EXISTS", (c) => c.exists(id))) === 1;
  }

  async get(kind: ObjectKind, key: string): Promise<Buffer | undefined> {
    const id = this.recordKey(kind, key);
    return (await this.redis.run("GET", (c) => c.getBuffer(id))) ?? undefined;
  }

  /** Records are small and rewritten whole: the write and its index entry go in one transaction. */
  async put(kind: ObjectKind, key: string, bytes: Uint8Array): Promise<boolean> {
    const id = this.recordKey(kind, key);
    const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.redis.run("SET", (c) => c.multi().set(id, value).zadd(this.index, Date.now(), key).exec());
    return true;
  }

  async delete(kind: ObjectKind, key: string, unmodifiedSince?: number): Promise<boolean> {
    const id = this.recordKey(kind, key);
    const cutoff = unmodifiedSince === undefined ? "" : String(unmodifiedSince);
    const deleted = await this.redis.run("EVAL", (c) => c.eval(DELETE_SCRIPT, 2, id, this.index, key, cutoff));
    return deleted === 1;
  }

  async *list(kind: ObjectKind): AsyncIterable<StoredObject> {
    if (kind !== "path") return;
    // ZSCAN returns every member present for the whole scan, however others move or go
    // (paging by rank would skip a record when another one is rewritten meanwhile).
    let cursor = "0";
    do {
      const [next, page] = await this.redis.run("ZSCAN", (c) => c.zscan(this.index, cursor, "COUNT", LIST_BATCH));
      for (let i = 0; i + 1 < page.length; i += 2) yield { key: page[i]!, size: 0, modifiedMs: Number(page[i + 1]) };
      cursor = next;
    } while (cursor !== "0");
  }
}
