/**
 * Keeps up to `limit` backend requests (and `maxBytes` of their payloads) running at
 * once: a remote backend answers each small object after a round trip, so one at a
 * time would leave the connection idle. `run` waits for room, not for the request;
 * `drain` waits for all of them and throws the first failure.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private bytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly limit: number,
    private readonly maxBytes = 64 << 20,
  ) {}

  async run(task: () => Promise<unknown>, bytes = 0): Promise<void> {
    while (this.running.size > 0 && (this.running.size >= this.limit || this.bytes + bytes > this.maxBytes)) {
      await Promise.race(this.running);
    }
    this.rethrow();
    this.bytes += bytes;
    const started: Promise<void> = task().then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const tracked = started.finally(() => {
      this.bytes -= bytes;
      this.running.delete(tracked);
    });
    this.running.add(tracked);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    this.rethrow();
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}
