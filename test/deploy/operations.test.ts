import { test } from "node:test";
import assert from "node:assert/strict";
import { createApp } from "../../server/index.js";
import { registerOperations } from "../../server/operations/index.js";
import { openStorage, storageConfigFromEnv, type HealthCheck } from "../../storage/index.js";

async function appWithOperations(checkOverride?: () => Promise<HealthCheck[]>) {
  const storage = await openStorage(storageConfigFromEnv({ LADING_STORAGE: "memory" }));
  const app = createApp({ dataDir: "/nonexistent" }, { blobs: storage.blobs, manifests: { resolve: () => Promise.reject(new Error("no")), tags: async () => [] } });
  const lines: Record<string, unknown>[] = [];
  const ops = registerOperations(app, {
    storage: { ...storage, check: checkOverride ?? (() => storage.check()), builds: storage.builds, description: storage.description },
    log: (line) => lines.push(line),
  });
  return { app, storage, lines, ops };
}

test("healthz and readyz answer; readyz reports each backend and fails while draining", async () => {
  const { app, ops } = await appWithOperations();
  const health = await app.inject({ url: "/healthz" });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { status: "ok" });
  const ready = await app.inject({ url: "/readyz" });
  assert.equal(ready.statusCode, 200);
  const body = ready.json() as { status: string; checks: HealthCheck[] };
  assert.equal(body.status, "ready");
  assert.deepEqual(body.checks.map((c) => [c.component, c.backend, c.ok]), [
    ["blobs", "memory", true],
    ["cache", "memory", true],
  ]);
  ops.state.draining = true;
  const draining = await app.inject({ url: "/readyz" });
  assert.equal(draining.statusCode, 503);
  assert.equal(draining.json().status, "draining");
  await app.close();
});

test("readyz is 503 with Retry-After when a backend is down", async () => {
  const { app } = await appWithOperations(async () => [
    { component: "blobs", backend: "s3", ok: true, latencyMs: 1 },
    { component: "cache", backend: "redis", ok: false, latencyMs: 2000, error: "Redis PING failed: connect ECONNREFUSED" },
  ]);
  const response = await app.inject({ url: "/readyz" });
  assert.equal(response.statusCode, 503);
  assert.equal(response.headers["retry-after"], "5");
  assert.equal(response.json().checks[1].error, "Redis PING failed: connect ECONNREFUSED");
  await app.close();
});

test("each request gets one JSON log line with a request id, echoed in X-Request-Id; probes are not logged", async () => {
  const { app, lines } = await appWithOperations();
  const first = await app.inject({ url: "/v2/" });
  const id = first.headers["x-request-id"];
  assert.match(String(id), /^[0-9a-f-]{36}$/);
  const traced = await app.inject({ url: "/v2/shell/curl/blobs/sha256:" + "0".repeat(64), headers: { "x-request-id": "trace-42" } });
  assert.equal(traced.statusCode, 404);
  assert.equal(traced.headers["x-request-id"], "trace-42");
  await app.inject({ url: "/healthz" });
  await app.inject({ url: "/v2/x/manifests/latest", headers: { "x-request-id": "bad id with spaces" } });
  assert.equal(lines.length, 3);
  assert.equal(lines[0]!.requestId, id);
  assert.equal(lines[0]!.status, 200);
  assert.equal(lines[0]!.level, "info");
  assert.equal(lines[1]!.requestId, "trace-42");
  assert.equal(lines[1]!.level, "warn");
  assert.equal(lines[1]!.path, "/v2/shell/curl/blobs/sha256:" + "0".repeat(64));
  assert.notEqual(lines[2]!.requestId, "bad id with spaces");
  assert.equal(lines[2]!.status, 500);
  assert.equal(lines[2]!.level, "error");
  assert.equal(lines[2]!.error, "no");
  for (const line of lines) assert.ok(!Number.isNaN(Date.parse(String(line.time))) && typeof line.durationMs === "number");
  await app.close();
});

test("metrics: requests by route kind, builds and waits from the storage's single flight", async () => {
  const { app, storage } = await appWithOperations();
  const before = await app.inject({ url: "/metrics" });
  const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  const okBuilds = /lading_builds_total\{result="success"\} (\d+)/;
  const failed = /lading_builds_total\{result="failure"\} (\d+)/;
  const blobs404 = /lading_http_requests_total\{method="GET",route="blob",status="404"\} (\d+)/;
  await app.inject({ url: "/v2/a/blobs/sha256:" + "1".repeat(64) });
  await storage.builds.run("m1", async () => "ok");
  await assert.rejects(storage.builds.run("m2", async () => Promise.reject(new Error("x"))));
  const after = await app.inject({ url: "/metrics" });
  assert.equal(after.statusCode, 200);
  assert.match(String(after.headers["content-type"]), /^text\/plain/);
  assert.equal(count(after.body, okBuilds) - count(before.body, okBuilds), 1);
  assert.equal(count(after.body, failed) - count(before.body, failed), 1);
  assert.equal(count(after.body, blobs404) - count(before.body, blobs404), 1);
  for (const name of ["lading_build_duration_seconds_bucket", "lading_layer_duration_seconds_bucket", "lading_substituted_bytes_total", "lading_cache_lookups_total", "lading_process_cpu_seconds_total"]) {
    assert.ok(after.body.includes(name), name);
  }
  await app.close();
});
