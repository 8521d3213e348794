/**
 * The primitives of a distributed build lock with published results. SingleFlight
 * (single-flight.ts) builds the "one replica builds, the others wait" protocol on
 * them; the memory and Redis backends only implement these operations.
 *
 * A lock has an owner token and an expiry: the holder renews it while it works, so a
 * holder that dies (SIGKILL, network partition) loses it after at most `ttlMs` and
 * another replica takes over.
 */
export interface BuildLock {
  /** Takes the lock `name` if free or expired; returns the owner token, or undefined when held. */
  tryAcquire(name: string, ttlMs: number): Promise<string | undefined>;
  /** Extends the lock when `token` still owns it; false when it was lost. */
  renew(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock only when `token` still owns it (compare-and-delete). */
  release(name: string, token: string): Promise<void>;
  /** Whether anyone holds `name` right now. */
  isHeld(name: string): Promise<boolean>;
  /** Makes `result` visible to waiters for `ttlMs` and wakes them. */
  publish(name: string, result: string, ttlMs: number): Promise<void>;
  /** The published result, if any. */
  result(name: string): Promise<string | undefined>;
  /** Resolves with the result as soon as one is published, or undefined after `timeoutMs`. */
  waitForResult(name: string, timeoutMs: number): Promise<string | undefined>;
  /** Drops a published result (e.g. after a failure was reported, so the next request retries). */
  clearResult(name: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
