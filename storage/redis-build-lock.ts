import { randomUUID } from "node:crypto";
import type { BuildLock } from "./build-lock.js";
import type { RedisConnection } from "./redis-connection.js";

// Both only act when the caller still owns the lock, atomically (no GET-then-DEL race).
const RENEW_IF_OWNER = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
const DELETE_IF_OWNER = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * Build locks shared by all replicas: `SET lock NX PX ttl` with a random owner token,
 * renewal and release by compare-and-act scripts, results under their own key with a
 * TTL and announced on one pub/sub channel (the message is the build's name).
 */
export class RedisBuildLock implements BuildLock {
  private readonly channel: string;

  constructor(private readonly redis: RedisConnection) {
    this.channel = redis.key("results");
  }

  async tryAcquire(name: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    // Retrying is safe: a SET that landed before a lost reply fails the retry's NX, and the
    // lock then expires unused after ttlMs — a delay, never two holders.
    const ok = await this.redis.run("SET NX", (c) => c.set(this.redis.key("lock", name), token, "PX", ttlMs, "NX"));
    return ok === "OK" ? token : undefined;
  }

  async renew(name: string, token: string, ttlMs: number): Promise<boolean> {
    const renewed = await this.redis.run("renew", (c) => c.eval(RENEW_IF_OWNER, 1, this.redis.key("lock", name), token, String(ttlMs)));
    return renewed === 1;
  }

  async release(name: string, token: string): Promise<void> {
    await this.redis.run("release", (c) => c.eval(DELETE_IF_OWNER, 1, this.redis.key("lock", name), token));
  }

  async isHeld(name: string): Promise<boolean> {
    return (await this.redis.run("EXISTS", (c) => c.exists(this.redis.key("lock", name)))) === 1;
  }

  async publish(name: string, result: string, ttlMs: number): Promise<void> {
    await this.redis.run("publish", async (c) => {
      await c.set(this.redis.key("result", name), result, "PX", ttlMs);
      await c.publish(this.channel, name);
    });
  }

  async result(name: string): Promise<string | undefined> {
    return (await this.redis.run("GET", (c) => c.get(this.redis.key("result", name)))) ?? undefined;
  }

  async waitForResult(name: string, timeoutMs: number): Promise<string | undefined> {
    let wake: () => void = () => undefined;
    const announced = new Promise<void>((resolve) => (wake = resolve));
    const unsubscribe = await this.redis.subscribe(this.channel, (message) => {
      if (message === name) wake();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      // Subscribed first, then read: a result published in between is not missed.
      const now = await this.result(name);
      if (now !== undefined) return now;
      const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
      if ((await Promise.race([announced, timedOut])) === "timeout") return undefined;
      return await this.result(name);
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
  }

  async clearResult(name: string): Promise<void> {
    await this.redis.run("DEL", (c) => c.del(this.redis.key("result", name)));
  }

  async ping(): Promise<void> {
    await this.redis.run("PING", (c) => c.ping());
  }

  async close(): Promise<void> {}
}
