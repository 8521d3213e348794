import { setTimeout as sleep } from "node:timers/promises";

/** A failure worth trying again: the network, a 5xx, a body that broke off. */
export class TransientError extends Error {
  override name = "TransientError";
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the first retry; doubles each time, with jitter, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8000 };

export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return exp / 2 + Math.random() * (exp / 2); // jitter spreads retries of parallel downloads
}

/** Runs `fn`, retrying TransientErrors with exponential backoff; other errors pass through. */
export async function withRetries<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  onRetry?: (err: Error, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof TransientError) || attempt >= policy.attempts) throw err;
      const delay = backoffDelay(policy, attempt - 1);
      onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
