import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { metrics } from "./metrics.js";

export type LogLevel = "info" | "warn" | "error";
/** Where structured log lines go: one JSON object per line on stdout unless replaced. */
export type LogSink = (line: Record<string, unknown>) => void;

export const stdoutSink: LogSink = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** A structured log line with the standard fields. */
export function logLine(sink: LogSink, level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  sink({ time: new Date().toISOString(), level, msg, ...fields });
}

// A caller's id is kept (tracing through a load balancer) when it looks like one.
const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The kind of registry route, a label with few values (never the image name). */
export function routeKind(method: string, path: string): string {
  if (path === "/v2/" || path === "/v2") return "v2";
  if (path.startsWith("/v2/")) {
    if (/\/blobs\/[^/]+$/.test(path)) return "blob";
    if (/\/manifests\/[^/]+$/.test(path)) return "manifest";
    if (path.endsWith("/tags/list")) return "tags";
    return "v2-other";
  }
  if (["/healthz", "/readyz", "/metrics", "/"].includes(path)) return path;
  return method === "GET" ? "page" : "other";
}

interface RequestState {
  id: string;
  started: number;
  error?: Error;
}

const states = new WeakMap<FastifyRequest, RequestState>();

/** The id of a request (also sent back as `X-Request-Id`). */
export function requestIdOf(request: FastifyRequest): string {
  return states.get(request)?.id ?? request.id;
}

/** Logs one JSON line per request with a request id, and counts requests for /metrics. */
export function registerRequestLog(app: FastifyInstance, sink: LogSink | false): void {
  app.addHook("onRequest", async (request, reply) => {
    const incoming = request.headers["x-request-id"];
    const id = typeof incoming === "string" && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    states.set(request, { id, started: performance.now() });
    reply.header("X-Request-Id", id);
  });
  app.addHook("onError", async (request, _reply, error) => {
    const state = states.get(request);
    if (state) state.error = error;
  });
  app.addHook("onResponse", async (request, reply) => {
    const state = states.get(request);
    const path = request.url.split("?")[0]!;
    const route = routeKind(request.method, path);
    const seconds = state ? (performance.now() - state.started) / 1000 : 0;
    const status = reply.statusCode;
    metrics.requests.inc({ method: request.method, route, status: String(status) });
    metrics.requestSeconds.observe({ method: request.method, route }, seconds);
    const length = Number(reply.getHeader("content-length") ?? 0);
    if (route === "blob" && request.method === "GET") {
      if (status === 307 || status === 302) metrics.blobResponses.inc({ mode: "redirect" });
      else if (status === 200 || status === 206) {
        metrics.blobResponses.inc({ mode: "proxied" });
        if (Number.isFinite(length)) metrics.blobBytes.inc(length);
      }
    }
    // Probes and scrapes would drown the log; they are visible in metrics.
    if (!sink || route === "/healthz" || route === "/readyz" || route === "/metrics") return;
    const level: LogLevel = status >= 500 ? "error" : status >= 400 ? "warn" : "info";
    logLine(sink, level, "request", {
      requestId: state?.id,
      method: request.method,
      path,
      status,
      durationMs: Math.round(seconds * 1e4) / 10,
      ...(Number.isFinite(length) && length > 0 ? { bytes: length } : {}),
      remote: request.ip,
      ...(request.headers["user-agent"] ? { userAgent: request.headers["user-agent"] } : {}),
      ...(state?.error ? { error: state.error.message } : {}),
    });
  });
}
