import type { FastifyInstance } from "fastify";
import type { HealthCheck, Storage } from "../../storage/index.js";
import { metricsRegistry } from "./metrics.js";

export interface HealthState {
  /** Set at the start of a graceful shutdown: /readyz fails so load balancers drain this replica. */
  draining: boolean;
}

/** Readiness probes hit every backend; a second of caching keeps a probe storm off Redis and S3. */
const CHECK_CACHE_MS = 1_000;

/**
 * `/healthz`: the process answers (liveness; never restarts a replica because Redis is away).
 * `/readyz`: storage and Redis answer and we are not shutting down (load balancer membership).
 * `/metrics`: Prometheus text format.
 */
export function registerHealthRoutes(app: FastifyInstance, storage: Pick<Storage, "check" | "description">, state: HealthState): void {
  let cached: { at: number; checks: Promise<HealthCheck[]> } | undefined;
  const checks = () => {
    if (!cached || performance.now() - cached.at > CHECK_CACHE_MS) cached = { at: performance.now(), checks: storage.check() };
    return cached.checks;
  };

  app.get("/healthz", async (_request, reply) => reply.header("Cache-Control", "no-store").send({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const results = await checks();
    const ready = !state.draining && results.every((c) => c.ok);
    reply.header("Cache-Control", "no-store").code(ready ? 200 : 503);
    if (!ready) reply.header("Retry-After", "5");
    return reply.send({
      status: state.draining ? "draining" : ready ? "ready" : "unavailable",
      storage: storage.description,
      checks: results.map((c) => ({ ...c, latencyMs: Math.round(c.latencyMs * 10) / 10 })),
    });
  });

  app.get("/metrics", async (_request, reply) => {
    reply.type(metricsRegistry.contentType).header("Cache-Control", "no-store");
    return reply.send(await metricsRegistry.metrics());
  });
}
