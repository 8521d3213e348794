/**
 * One pass over a stream, several consumers: each consumer gets its own branch and
 * every chunk is pulled from the source once. A consumer may run at most `MAX_LAG`
 * chunks ahead of the slowest, so memory stays bounded, and when one consumer fails
 * the others' branches fail too (nobody waits forever for a chunk that never comes).
 *
 * Used to unpack a substituted NAR into the local store and ingest it into the
 * castore from the same download, without reading the data a second time.
 */
const MAX_LAG = 8;

class TeeAborted extends Error {
  override name = "TeeAborted";
}

export async function fanOut<A, B>(
  source: AsyncIterable<Uint8Array>,
  first: (branch: AsyncIterable<Uint8Array>) => Promise<A>,
  second: (branch: AsyncIterable<Uint8Array>) => Promise<B>,
): Promise<[A, B]> {
  const iterator = source[Symbol.asyncIterator]();
  const window: Uint8Array[] = [];
  let base = 0; // index of window[0] in the stream
  const positions = [0, 0];
  const finished = [false, false];
  let ended = false;
  let failure: unknown;
  let pulling: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const w = wake!;
    changed = new Promise<void>((resolve) => (wake = resolve));
    w();
  };
  const slowest = () => Math.min(...positions.map((p, i) => (finished[i] ? Number.POSITIVE_INFINITY : p)));
  const trim = () => {
    const keepFrom = Math.min(slowest(), base + window.length);
    while (base < keepFrom) {
      window.shift();
      base++;
    }
  };
  const pull = () => {
    pulling ??= iterator.next().then(
      (step) => {
        pulling = undefined;
        if (step.done) ended = true;
        else window.push(step.value);
        notify();
      },
      (error: unknown) => {
        pulling = undefined;
        failure ??= error;
        notify();
      },
    );
  };

  const branch = (i: number): AsyncIterable<Uint8Array> => ({
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<Uint8Array>> {
        for (;;) {
          if (failure !== undefined) throw failure;
          const index = positions[i]!;
          if (index < base + window.length) {
            positions[i] = index + 1;
            const value = window[index - base]!;
            trim();
            notify();
            return { done: false, value };
          }
          if (ended) return { done: true, value: undefined };
          if (index - slowest() < MAX_LAG) pull();
          await changed;
        }
      },
      async return(): Promise<IteratorResult<Uint8Array>> {
        finished[i] = true;
        trim();
        notify();
        return { done: true, value: undefined };
      },
    }),
  });

  const run = async <T>(i: number, consume: (branch: AsyncIterable<Uint8Array>) => Promise<T>): Promise<T> => {
    try {
      return await consume(branch(i));
    } catch (error) {
      // The source's own error is the cause; otherwise this consumer's failure stops the other.
      failure ??= new TeeAborted(`another consumer of the stream failed: ${(error as Error).message}`);
      notify();
      throw error;
    } finally {
      finished[i] = true;
      trim();
      notify();
    }
  };
  try {
    const results = await Promise.allSettled([run(0, first), run(1, second)]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
    if (rejected.length > 0) {
      // The consumer that failed first matters, not the one stopped because of it.
      throw rejected.find((e) => !(e instanceof TeeAborted)) ?? rejected[0];
    }
    return [(results[0] as PromiseFulfilledResult<A>).value, (results[1] as PromiseFulfilledResult<B>).value];
  } finally {
    if (!ended) await iterator.return?.().catch(() => undefined);
  }
}
