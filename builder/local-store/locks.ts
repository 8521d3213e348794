import { open, readFile, unlink } from "node:fs/promises";
import { isErrno } from "./fs-util.js";

/**
 * Many readers/writers of single paths (shared) or one garbage collector (exclusive).
 * Adding paths takes it shared so a collection never runs between a path's
 * registration and the caller rooting it.
 */
export class SharedExclusiveLock {
  private shared = 0;
  private exclusive = false;
  private readonly waiting: { exclusive: boolean; wake: () => void }[] = [];

  async withShared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive || this.waiting.some((w) => w.exclusive)) await this.wait(false);
    this.shared++;
    try {
      return await fn();
    } finally {
      this.shared--;
      this.wakeAll();
    }
  }

  async withExclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive || this.shared > 0) await this.wait(true);
    this.exclusive = true;
    try {
      return await fn();
    } finally {
      this.exclusive = false;
      this.wakeAll();
    }
  }

  private wait(exclusive: boolean): Promise<void> {
    return new Promise((wake) => this.waiting.push({ exclusive, wake }));
  }

  private wakeAll(): void {
    for (const w of this.waiting.splice(0)) w.wake();
  }
}

/** Runs at most one task per key at a time; later callers wait for the running one. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /**
   * Runs `fn` holding every key at once. The keys are queued for synchronously, all
   * together, so two such calls (or a `run`) cannot each wait for the other; one
   * promise serves the whole set (a batch of thousands of paths nested one `run`
   * per key before).
   */
  async runAll<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const befores: Promise<void>[] = [];
    const tails: Promise<void>[] = [];
    for (const key of keys) {
      const before = this.tails.get(key);
      const tail = before === undefined ? mine : before.then(() => mine);
      if (before !== undefined) befores.push(before);
      tails.push(tail);
      this.tails.set(key, tail);
    }
    if (befores.length > 0) await Promise.all(befores);
    try {
      return await fn();
    } finally {
      release();
      for (let i = 0; i < keys.length; i++) if (this.tails.get(keys[i]!) === tails[i]) this.tails.delete(keys[i]!);
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, "EPERM");
  }
}

/** Lock files this process holds, so a second open in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * One writer process per store: a lock file holding the owner's pid. A lock left by a
 * process that died (a crash) is taken over; that is also when crash leftovers are
 * cleaned, since no one else can be mid-commit then.
 */
export async function acquireOwnerLock(
  path: string,
  /** Wait while a live process holds the lock (told once, with its pid) instead of failing. */
  onWait?: (owner: number) => void,
): Promise<() => Promise<void>> {
  if (heldHere.has(path)) throw new Error(`store lock '${path}' is already held by this process`);
  let waitMs = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx", 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      heldHere.add(path);
      return async () => {
        heldHere.delete(path);
        await unlink(path).catch(() => {});
      };
    } catch (err) {
      if (!isErrno(err, "EEXIST")) throw err;
    }
    const owner = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
      if (onWait === undefined) throw new Error(`the store is in use by process ${owner} (lock file '${path}')`);
      if (waitMs === 0) onWait(owner);
      // Poll: the owner deletes the file when it closes the store (or dies, then it is stale).
      waitMs = Math.min(Math.max(2 * waitMs, 20), 500);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      attempt--;
      continue;
    }
    await unlink(path).catch(() => {}); // stale: its owner died
  }
  throw new Error(`could not take the store lock '${path}'`);
}
