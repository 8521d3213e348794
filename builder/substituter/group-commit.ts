import type { LocalStore, NewPathInfo, StagedNar } from "../local-store/index.js";

interface Waiting {
  readonly item: { staged: StagedNar; info: NewPathInfo };
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Group commit: registrations that arrive while a batch is being made durable wait
 * and go together in the next LocalStore.commitMany, so a closure costs two fsyncs
 * per batch instead of three per path. Callers must have verified each item's NAR
 * hash and made its references valid first (commitMany checks both again); a batch
 * that still fails fails every item in it, as commitMany discards the whole batch.
 */
export class GroupCommitter {
  private readonly waiting: Waiting[] = [];
  private draining = false;

  constructor(private readonly store: LocalStore) {}

  commit(staged: StagedNar, info: NewPathInfo): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item: { staged, info }, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          await this.store.commitMany(batch.map((w) => w.item));
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error as Error);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
