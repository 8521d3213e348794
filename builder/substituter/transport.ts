import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { TransientError, withRetries, type RetryPolicy } from "./retry.js";

/** How a binary cache's files are read: over HTTP(S) or from a directory. */
export interface CacheTransport {
  readonly url: string;
  /** The file's text, or undefined when the cache does not have it. */
  getText(relPath: string): Promise<string | undefined>;
  /** The file's bytes as they arrive, in one attempt: network trouble and 5xx (also midway) are TransientErrors. */
  getStream(relPath: string): Promise<AsyncIterable<Uint8Array>>;
}

export class NotInCacheError extends Error {
  override name = "NotInCacheError";
}

const STREAM_CHUNK = 1 << 20;

function joinUrl(base: string, rel: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rel)) return rel;
  return `${base.replace(/\/+$/, "")}/${rel.replace(/^\/+/, "")}`;
}

/** Statuses that mean "no such file": CppNix treats S3's 403 the same as 404. */
function isNotFound(status: number): boolean {
  return status === 404 || status === 403 || status === 410;
}

function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export class HttpTransport implements CacheTransport {
  constructor(
    readonly url: string,
    private readonly retry: RetryPolicy,
    private readonly onRetry?: (err: Error, attempt: number) => void,
  ) {}

  /** One request: the response, undefined for "not there", or an error (TransientError for 5xx and network trouble). */
  private async attempt(target: string): Promise<Response | undefined> {
    let response: Response;
    try {
      response = await fetch(target, { redirect: "follow" });
    } catch (err) {
      throw new TransientError(`cannot fetch '${target}': ${describe(err)}`);
    }
    if (response.ok) return response;
    await response.body?.cancel().catch(() => {});
    if (isNotFound(response.status)) return undefined;
    const message = `HTTP error ${response.status} fetching '${target}'`;
    if (isTransientStatus(response.status)) throw new TransientError(message);
    throw new Error(message);
  }

  async getText(relPath: string): Promise<string | undefined> {
    const target = joinUrl(this.url, relPath);
    return withRetries(
      this.retry,
      async () => {
        const response = await this.attempt(target);
        if (!response) return undefined;
        try {
          return await response.text();
        } catch (err) {
          throw new TransientError(`reading '${target}': ${describe(err)}`);
        }
      },
      this.onRetry,
    );
  }

  async getStream(relPath: string): Promise<AsyncIterable<Uint8Array>> {
    const target = joinUrl(this.url, relPath);
    // Not retried here: the caller retries the whole download, since a body may also break off midway.
    const response = await this.attempt(target);
    if (!response || !response.body) throw new NotInCacheError(`'${target}' does not exist in the cache`);
    const declared = response.headers.get("content-encoding") ? undefined : response.headers.get("content-length");
    const expected = declared ? Number(declared) : undefined;
    const body = response.body;
    return (async function* () {
      let received = 0;
      try {
        for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
          received += chunk.length;
          yield chunk;
        }
      } catch (err) {
        throw new TransientError(`download of '${target}' broke off after ${received} bytes: ${describe(err)}`);
      }
      if (expected !== undefined && received !== expected) {
        throw new TransientError(`download of '${target}' ended after ${received} of ${expected} bytes`);
      }
    })();
  }
}

export class FileTransport implements CacheTransport {
  private readonly dir: string;

  constructor(readonly url: string) {
    this.dir = fileURLToPath(url.replace(/\/+$/, "") + "/");
  }

  async getText(relPath: string): Promise<string | undefined> {
    try {
      return await readFile(joinUrl(this.dir, relPath), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async getStream(relPath: string): Promise<AsyncIterable<Uint8Array>> {
    const file = joinUrl(this.dir, relPath);
    const stream = createReadStream(file, { highWaterMark: STREAM_CHUNK });
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", (err) =>
        reject((err as NodeJS.ErrnoException).code === "ENOENT" ? new NotInCacheError(`'${file}' does not exist in the cache`) : err),
      );
    });
    return stream;
  }
}

export function makeTransport(url: string, retry: RetryPolicy, onRetry?: (err: Error, attempt: number) => void): CacheTransport {
  if (url.startsWith("http://") || url.startsWith("https://")) return new HttpTransport(url, retry, onRetry);
  if (url.startsWith("file://")) return new FileTransport(url);
  throw new Error(`unsupported binary cache URL '${url}' (expected http://, https:// or file://)`);
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ? `${e.message} (${e.cause.message})` : String(e?.message ?? err);
}
