import type { BuildLock } from "./build-lock.js";

export interface SingleFlightOptions {
  /** How long a lock outlives its holder's last renewal (how fast a dead builder is replaced). */
  lockTtlMs: number;
  /** How long a finished build's result stays visible to late waiters. */
  resultTtlMs: number;
  /** How long a failure is reported to waiters before the next request builds again. */
  failureTtlMs: number;
  /** How long a waiter waits for another replica's build before giving up (503). */
  waitTimeoutMs: number;
  /** How often a waiter checks that the holder is still alive. */
  pollMs: number;
}

export const DEFAULT_SINGLE_FLIGHT: SingleFlightOptions = {
  lockTtlMs: 15_000,
  resultTtlMs: 5 * 60_000,
  failureTtlMs: 5_000,
  waitTimeoutMs: 15 * 60_000,
  pollMs: 1_000,
};

/** What a failed build on another replica reported (its error's name, message and code). */
export class RemoteBuildError extends Error {
  override name = "RemoteBuildError";
  constructor(
    message: string,
    readonly remoteName: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Another replica's build did not finish in time; the client may retry (503). */
export class BuildWaitTimeoutError extends Error {
  override name = "BuildWaitTimeoutError";
  readonly retryAfterSeconds = 10;
}

/** The build lost its lock (not renewed in time); another replica may have taken over. */
export class LockLostError extends Error {
  override name = "LockLostError";
}

/** Hooks for metrics: what happened to each build this replica was asked for. */
export interface SingleFlightObserver {
  /** This replica built `name` (ok or failed) in `seconds`. */
  built?(name: string, seconds: number, ok: boolean): void;
  /** This replica waited for another replica's build of `name`. */
  waited?(name: string): void;
  /** This replica took over `name` from a holder whose lock expired. */
  tookOver?(name: string): void;
}

type Outcome = { ok: true; value: string } | { ok: false; name: string; message: string; code?: string };

/**
 * Runs each named build once across all replicas sharing `lock`: the first caller takes
 * the lock, renews it while building and publishes the result; every other caller (in
 * this process or another) waits for that result. When the holder dies its lock expires
 * without a result and one waiter takes over. Results are strings (e.g. a manifest
 * digest); builds must be deterministic, since a takeover may build twice.
 */
export class SingleFlight {
  private readonly local = new Map<string, Promise<string>>();
  private readonly observers: SingleFlightObserver[] = [];
  readonly options: SingleFlightOptions;

  constructor(
    private readonly lock: BuildLock,
    options: Partial<SingleFlightOptions> = {},
  ) {
    this.options = { ...DEFAULT_SINGLE_FLIGHT, ...options };
  }

  observe(observer: SingleFlightObserver): void {
    this.observers.push(observer);
  }

  /** How many builds or waits this process has in flight. */
  get inFlight(): number {
    return this.local.size;
  }

  /** Resolves once every build or wait in flight here has settled (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.local.size > 0) await Promise.allSettled([...this.local.values()]);
  }

  /**
   * The result of build `name`, building it here only if no replica has it or is building
   * it. `build` gets a signal that aborts if this replica loses the lock.
   * `onWait` is called once when this caller waits for another replica (for metrics).
   */
  run(name: string, build: (signal: AbortSignal) => Promise<string>, onWait?: () => void): Promise<string> {
    const inflight = this.local.get(name);
    if (inflight) return inflight;
    const promise = this.coordinate(name, build, onWait).finally(() => this.local.delete(name));
    this.local.set(name, promise);
    return promise;
  }

  private async coordinate(name: string, build: (signal: AbortSignal) => Promise<string>, onWait?: () => void): Promise<string> {
    const deadline = Date.now() + this.options.waitTimeoutMs;
    let waited = false;
    let holderGone = false;
    for (;;) {
      const existing = await this.lock.result(name);
      if (existing !== undefined) return decode(existing);
      const token = await this.lock.tryAcquire(name, this.options.lockTtlMs);
      if (token !== undefined) {
        // The previous holder may have published and released between our two reads.
        const late = await this.lock.result(name);
        if (late !== undefined) {
          await this.lock.release(name, token);
          return decode(late);
        }
        if (holderGone) for (const o of this.observers) o.tookOver?.(name);
        return this.buildHolding(name, token, build);
      }
      if (!waited) {
        waited = true;
        onWait?.();
        for (const o of this.observers) o.waited?.(name);
      }
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new BuildWaitTimeoutError(`build '${name}' on another replica did not finish in time`);
        const result = await this.lock.waitForResult(name, Math.min(this.options.pollMs, remaining));
        if (result !== undefined) return decode(result);
        if (!(await this.lock.isHeld(name))) {
          holderGone = true; // without a result: take over
          break;
        }
      }
    }
  }

  private async buildHolding(name: string, token: string, build: (signal: AbortSignal) => Promise<string>): Promise<string> {
    const { lockTtlMs } = this.options;
    const controller = new AbortController();
    let lastRenewed = Date.now();
    let renewing = false;
    const timer = setInterval(() => {
      if (renewing || controller.signal.aborted) return;
      renewing = true;
      this.lock
        .renew(name, token, lockTtlMs)
        .then(
          (held) => {
            if (held) lastRenewed = Date.now();
            else controller.abort(new LockLostError(`lock for '${name}' was taken over`));
          },
          // An unreachable backend is not yet a lost lock: it is lost once the TTL passed.
          () => {
            if (Date.now() - lastRenewed > lockTtlMs) controller.abort(new LockLostError(`lock for '${name}' could not be renewed`));
          },
        )
        .finally(() => (renewing = false));
    }, Math.max(50, Math.floor(lockTtlMs / 3)));
    timer.unref();
    const started = performance.now();
    const report = (ok: boolean) => {
      for (const o of this.observers) o.built?.(name, (performance.now() - started) / 1000, ok);
    };
    try {
      let value: string;
      try {
        value = await build(controller.signal);
        report(true);
      } catch (err) {
        report(false);
        const e = err as { name?: unknown; message?: unknown; code?: unknown };
        const outcome: Outcome = {
          ok: false,
          name: typeof e.name === "string" ? e.name : "Error",
          message: typeof e.message === "string" ? e.message : String(err),
          ...(typeof e.code === "string" ? { code: e.code } : {}),
        };
        await this.lock.publish(name, JSON.stringify(outcome), this.options.failureTtlMs).catch(() => undefined);
        throw err;
      }
      // Waiters that miss this publication (backend down) see the lock expire and rebuild.
      await this.lock.publish(name, JSON.stringify({ ok: true, value } satisfies Outcome), this.options.resultTtlMs).catch(() => undefined);
      return value;
    } finally {
      clearInterval(timer);
      await this.lock.release(name, token).catch(() => undefined);
    }
  }
}

function decode(text: string): string {
  const outcome = JSON.parse(text) as Outcome;
  if (outcome.ok) return outcome.value;
  throw new RemoteBuildError(outcome.message, outcome.name, outcome.code);
}
