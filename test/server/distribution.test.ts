import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../server/index.js";
import { FsBlobStore, formatDigest } from "../../storage/index.js";

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), "lading-server-"));
  const app = createApp({ port: 0, host: "127.0.0.1", dataDir });
  const blobs = new FsBlobStore(join(dataDir, "storage"));
  return { app, blobs };
}

function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

test("GET /v2/ answers the version check", async () => {
  const { app } = await setup();
  const res = await app.inject({ method: "GET", url: "/v2/" });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["docker-distribution-api-version"], "registry/2.0");
  assert.deepEqual(res.json(), {});
});

test("blobs are served whole, by range and by HEAD with the right headers", async () => {
  const { app, blobs } = await setup();
  const bytes = Buffer.from("0123456789abcdef");
  const { digest } = await blobs.write(bytes);
  const d = formatDigest(digest);
  assert.equal(d, sha256(bytes));

  const whole = await app.inject({ method: "GET", url: `/v2/shell/curl/blobs/${d}` });
  assert.equal(whole.statusCode, 200);
  assert.equal(whole.body, bytes.toString());
  assert.equal(whole.headers["docker-content-digest"], d);
  assert.equal(whole.headers["content-length"], String(bytes.length));
  assert.equal(whole.headers["etag"], `"${d}"`);

  const head = await app.inject({ method: "HEAD", url: `/v2/shell/curl/blobs/${d}` });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, "");
  assert.equal(head.headers["content-length"], String(bytes.length));

  const part = await app.inject({ method: "GET", url: `/v2/shell/curl/blobs/${d}`, headers: { range: "bytes=4-7" } });
  assert.equal(part.statusCode, 206);
  assert.equal(part.body, "4567");
  assert.equal(part.headers["content-range"], `bytes 4-7/${bytes.length}`);
  assert.equal(part.headers["content-length"], "4");

  const suffix = await app.inject({ method: "GET", url: `/v2/shell/curl/blobs/${d}`, headers: { range: "bytes=-3" } });
  assert.equal(suffix.statusCode, 206);
  assert.equal(suffix.body, "def");

  const beyond = await app.inject({ method: "GET", url: `/v2/shell/curl/blobs/${d}`, headers: { range: "bytes=99-" } });
  assert.equal(beyond.statusCode, 416);
  assert.equal(beyond.headers["content-range"], `bytes */${bytes.length}`);
});

test("errors come as OCI error JSON with the spec's codes", async () => {
  const { app } = await setup();
  const cases: [string, string, number, string][] = [
    ["GET", `/v2/shell/blobs/${sha256("missing")}`, 404, "BLOB_UNKNOWN"],
    ["HEAD", `/v2/shell/blobs/${sha256("missing")}`, 404, ""],
    ["GET", "/v2/shell/blobs/sha256:nothex", 400, "DIGEST_INVALID"],
    ["GET", "/v2/Shell/Curl/manifests/latest", 400, "NAME_INVALID"],
    ["GET", "/v2/shell/manifests/latest", 404, "MANIFEST_UNKNOWN"],
    ["GET", `/v2/shell/manifests/${sha256("nope")}`, 404, "MANIFEST_UNKNOWN"],
    ["PUT", "/v2/shell/manifests/latest", 405, "UNSUPPORTED"],
    ["POST", "/v2/shell/blobs/uploads/", 405, "UNSUPPORTED"],
    ["GET", "/v2/shell/nonsense", 404, "UNSUPPORTED"],
    ["GET", "/elsewhere?x=1", 404, "UNSUPPORTED"],
  ];
  for (const [method, url, status, code] of cases) {
    const res = await app.inject({ method: method as "GET", url });
    assert.equal(res.statusCode, status, `${method} ${url}`);
    if (code) {
      const body = res.json() as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]?.code, code, `${method} ${url}`);
      assert.ok(body.errors[0]!.message.length > 0);
    }
  }
});

test("a stored manifest is served by digest with its media type", async () => {
  const { app, blobs } = await setup();
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: {}, layers: [] }));
  const { digest } = await blobs.write(manifest);
  const d = formatDigest(digest);
  const res = await app.inject({ method: "GET", url: `/v2/x/manifests/${d}?ignored=1` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["content-type"], "application/vnd.oci.image.manifest.v1+json");
  assert.equal(res.headers["docker-content-digest"], d);
  assert.equal(res.body, manifest.toString());
});

test("temporary failures answer 503 UNAVAILABLE with Retry-After; redirect mode answers 307 for whole blobs", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "lading-server-"));
  const blobs = new FsBlobStore(join(dataDir, "storage"));
  const stored = await blobs.write(Buffer.from("layer bytes"));
  const digest = formatDigest(stored.digest);
  const busy = Object.assign(new Error("the cache is unreachable"), { retryAfterSeconds: 7 });
  const app = createApp(
    { dataDir },
    {
      blobs,
      manifests: {
        resolve: async () => {
          throw busy;
        },
        tags: async () => [],
      },
      blobUrl: async (d) => `https://bucket.example/${d.hex}?signed`,
    },
  );
  const res = await app.inject({ method: "GET", url: "/v2/hello/manifests/latest" });
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers["retry-after"], "7");
  assert.equal(res.json().errors[0].code, "UNAVAILABLE");
  const redirect = await app.inject({ method: "GET", url: `/v2/hello/blobs/${digest}` });
  assert.equal(redirect.statusCode, 307);
  assert.equal(redirect.headers.location, `https://bucket.example/${stored.digest.hex}?signed`);
  const head = await app.inject({ method: "HEAD", url: `/v2/hello/blobs/${digest}` });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers["content-length"], "11");
  const range = await app.inject({ method: "GET", url: `/v2/hello/blobs/${digest}`, headers: { range: "bytes=0-4" } });
  assert.equal(range.statusCode, 206);
  assert.equal(range.body, "layer");
});
