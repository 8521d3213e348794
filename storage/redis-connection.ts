import { Redis } from "ioredis";
import { StorageConfigError, StorageUnavailableError } from "./errors.js";

/** How long one command may take before the caller gets a 503-able error. */
const COMMAND_TIMEOUT_MS = 2_000;
/** Retries for commands that never reached Redis (connection down), spread over ~0.7 s. */
const RETRY_DELAYS_MS = [100, 200, 400];

function isReplyError(err: unknown): boolean {
  return (err as Error).name === "ReplyError";
}

/**
 * One Redis connection for commands (no offline queue: a command fails fast while
 * Redis is away, and we retry a little, then answer 503) plus a lazily opened second
 * connection for pub/sub, which ioredis resubscribes after a reconnect.
 */
export class RedisConnection {
  readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  private constructor(
    private readonly url: string,
    readonly prefix: string,
  ) {
    this.client = new Redis(url, RedisConnection.options(false));
    // Errors are reported through the commands that fail; the reconnect loop continues.
    this.client.on("error", () => undefined);
  }

  private static options(offlineQueue: boolean) {
    return {
      lazyConnect: true,
      enableOfflineQueue: offlineQueue,
      maxRetriesPerRequest: offlineQueue ? null : 0,
      commandTimeout: offlineQueue ? undefined : COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1_000),
    };
  }

  /** Connects and pings; a Redis that does not answer within `timeoutMs` is a startup error. */
  static async open(url: string, prefix = "lading:", timeoutMs = 10_000): Promise<RedisConnection> {
    const connection = new RedisConnection(url, prefix);
    const safeUrl = url.replace(/\/\/[^@/]*@/, "//***@");
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        if (connection.client.status === "wait" || connection.client.status === "end") await connection.client.connect();
        await connection.client.ping();
        return connection;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    connection.client.disconnect();
    throw new StorageConfigError(`cannot reach Redis at ${safeUrl} (LADING_REDIS_URL): ${(lastError as Error)?.message ?? "timeout"}`);
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(":");
  }

  /**
   * Runs a command; connection failures are retried while `idempotent`, then become
   * StorageUnavailableError. Redis's own answers (ReplyError) pass through unchanged.
   */
  async run<T>(what: string, command: (client: Redis) => Promise<T>, idempotent = true): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await command(this.client);
      } catch (err) {
        if (isReplyError(err)) throw err;
        const delay = RETRY_DELAYS_MS[attempt];
        if (!idempotent || delay === undefined) {
          throw new StorageUnavailableError(`Redis ${what} failed: ${(err as Error).message}`, "redis", 2, { cause: err });
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Calls `handler` for every message on `channel` until the returned function is called. */
  async subscribe(channel: string, handler: (message: string) => void): Promise<() => void> {
    if (!this.subscriber) {
      this.subscriber = new Redis(this.url, RedisConnection.options(true));
      this.subscriber.on("error", () => undefined);
      this.subscriber.on("message", (ch: string, message: string) => {
        for (const h of this.handlers.get(ch) ?? []) h(message);
      });
      await this.subscriber.connect().catch(() => undefined);
    }
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      // Queued while Redis is away; polling covers the gap (see SingleFlight).
      this.subscriber.subscribe(channel).catch(() => undefined);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
