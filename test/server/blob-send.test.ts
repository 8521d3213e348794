import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../server/index.js";
import { FsBlobStore, formatDigest } from "../../storage/index.js";

/** A registry on a real loopback socket, so the pooled-buffer send path runs against TCP back-pressure. */
async function listening() {
  const dataDir = mkdtempSync(join(tmpdir(), "lading-blob-send-"));
  const app = createApp({ port: 0, host: "127.0.0.1", dataDir });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  return { app, blobs: new FsBlobStore(join(dataDir, "storage")), base: `http://127.0.0.1:${port}` };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

test("blobs larger than the send buffers arrive whole and by ranges that cross buffer edges, also in parallel", async (t) => {
  const { app, blobs, base } = await listening();
  t.after(() => app.close());
  // Not a multiple of the 1 MiB send buffer, so the last read is short.
  const a = randomBytes((5 << 20) + 13);
  const b = randomBytes((3 << 20) + 7);
  const da = formatDigest((await blobs.write(a)).digest);
  const db = formatDigest((await blobs.write(b)).digest);
  // Several downloads at once share the buffer pool: any reuse before the socket took the bytes would corrupt one.
  const results = await Promise.all([da, db, da, db].map((d) => fetch(`${base}/v2/x/blobs/${d}`)));
  for (const [i, res] of results.entries()) {
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    const expected = i % 2 === 0 ? a : b;
    assert.equal(res.headers.get("content-length"), String(expected.length));
    assert.equal(res.headers.get("docker-content-digest"), i % 2 === 0 ? da : db);
    assert.equal(sha256(body), sha256(expected));
  }
  const start = (1 << 20) - 1;
  const end = (3 << 20) + 5;
  const part = await fetch(`${base}/v2/x/blobs/${da}`, { headers: { range: `bytes=${start}-${end}` } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes ${start}-${end}/${a.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), a.subarray(start, end + 1));
});

test("an empty blob is served with Content-Length 0", async (t) => {
  const { app, blobs, base } = await listening();
  t.after(() => app.close());
  const d = formatDigest((await blobs.write(Buffer.alloc(0))).digest);
  const res = await fetch(`${base}/v2/x/blobs/${d}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), "0");
  assert.equal((await res.arrayBuffer()).byteLength, 0);
});

test("a client that goes away mid-blob leaves the server serving others", async (t) => {
  const { app, blobs, base } = await listening();
  t.after(() => app.close());
  const blob = randomBytes(16 << 20);
  const d = formatDigest((await blobs.write(blob)).digest);
  await new Promise<void>((done, fail) => {
    const req = request(`${base}/v2/x/blobs/${d}`, (res) => {
      res.once("data", () => {
        req.destroy();
        done();
      });
    });
    req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : fail(err)));
    req.end();
  });
  const again = await fetch(`${base}/v2/x/blobs/${d}`);
  assert.equal(sha256(Buffer.from(await again.arrayBuffer())), sha256(blob));
});
