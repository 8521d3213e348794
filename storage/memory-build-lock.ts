import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { BuildLock } from "./build-lock.js";

interface Timed {
  value: string;
  expiresAt: number;
}

/** Locks and results inside one process (no LADING_REDIS_URL). */
export class MemoryBuildLock implements BuildLock {
  private readonly locks = new Map<string, Timed>();
  private readonly results = new Map<string, Timed>();
  private readonly published = new EventEmitter().setMaxListeners(0);

  private static live(map: Map<string, Timed>, name: string): Timed | undefined {
    const entry = map.get(name);
    if (entry && entry.expiresAt <= Date.now()) {
      map.delete(name);
      return undefined;
    }
    return entry;
  }

  async tryAcquire(name: string, ttlMs: number): Promise<string | undefined> {
    if (MemoryBuildLock.live(this.locks, name)) return undefined;
    const token = randomUUID();
    this.locks.set(name, { value: token, expiresAt: Date.now() + ttlMs });
    return token;
  }

  async renew(name: string, token: string, ttlMs: number): Promise<boolean> {
    const held = MemoryBuildLock.live(this.locks, name);
    if (held?.value !== token) return false;
    held.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async release(name: string, token: string): Promise<void> {
    if (MemoryBuildLock.live(this.locks, name)?.value === token) this.locks.delete(name);
  }

  async isHeld(name: string): Promise<boolean> {
    return MemoryBuildLock.live(this.locks, name) !== undefined;
  }

  async publish(name: string, result: string, ttlMs: number): Promise<void> {
    this.results.set(name, { value: result, expiresAt: Date.now() + ttlMs });
    this.published.emit(name, result);
  }

  async result(name: string): Promise<string | undefined> {
    return MemoryBuildLock.live(this.results, name)?.value;
  }

  async waitForResult(name: string, timeoutMs: number): Promise<string | undefined> {
    const now = await this.result(name);
    if (now !== undefined) return now;
    return new Promise((resolve) => {
      const onResult = (value: string) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.published.off(name, onResult);
        resolve(undefined);
      }, timeoutMs);
      this.published.once(name, onResult);
    });
  }

  async clearResult(name: string): Promise<void> {
    this.results.delete(name);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
