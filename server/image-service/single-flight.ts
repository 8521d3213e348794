/**
 * In-process single flight: concurrent calls with one key share one run. The image
 * service uses it behind `BuildFlight` so a shared (Redis) implementation can replace it.
 */
export class KeyedFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** True while a run for `key` is under way. */
  has(key: string): boolean {
    return this.running.has(key);
  }

  run(key: string, work: () => Promise<T>): Promise<T> {
    let promise = this.running.get(key);
    if (!promise) {
      promise = work().finally(() => this.running.delete(key));
      this.running.set(key, promise);
    }
    return promise;
  }
}

/** Runs one image build per key across callers (and, in a shared implementation, across replicas). */
export interface BuildFlight<T> {
  run(key: string, work: () => Promise<T>): Promise<T>;
}
