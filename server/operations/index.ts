import type { FastifyInstance } from "fastify";
import type { Storage } from "../../storage/index.js";
import { registerHealthRoutes, type HealthState } from "./health.js";
import { metrics } from "./metrics.js";
import { registerRequestLog, stdoutSink, type LogSink } from "./request-log.js";
import { installGracefulShutdown, type ShutdownOptions } from "./shutdown.js";

export { metrics, metricsRegistry } from "./metrics.js";
export { logLine, requestIdOf, routeKind, stdoutSink, type LogSink, type LogLevel } from "./request-log.js";
export type { HealthState } from "./health.js";
export type { ShutdownOptions } from "./shutdown.js";

export interface OperationsOptions {
  storage: Pick<Storage, "check" | "description" | "builds">;
  /** JSON request log sink; stdout by default, false to log nothing. */
  log?: LogSink | false;
  /** Install SIGTERM/SIGINT handlers for graceful shutdown (the `serve` process only). */
  shutdown?: Partial<ShutdownOptions> | false;
}

export interface Operations {
  state: HealthState;
  /** Removes the signal handlers (tests). */
  uninstall(): void;
}

function envMs(name: string, fallbackSeconds: number): number {
  const value = Number(process.env[name] ?? fallbackSeconds);
  return (Number.isFinite(value) && value >= 0 ? value : fallbackSeconds) * 1000;
}

/**
 * Adds operations to the app: /healthz, /readyz, /metrics, a JSON log line with a request
 * id per request, build metrics from storage's SingleFlight, and (optionally) graceful
 * shutdown. Call before `listen`.
 */
export function registerOperations(app: FastifyInstance, options: OperationsOptions): Operations {
  const state: HealthState = { draining: false };
  const sink = options.log === undefined ? stdoutSink : options.log;
  registerRequestLog(app, sink);
  registerHealthRoutes(app, options.storage, state);
  // While draining, answers close their connection: an idle keep-alive socket would hold
  // the listener open (fastify keeps them 72 s) long after the last request finished.
  app.addHook("onSend", async (_request, reply, payload) => {
    if (state.draining) reply.header("Connection", "close");
    return payload;
  });
  options.storage.builds.observe({
    built: (_name, seconds, ok) => {
      metrics.builds.inc({ result: ok ? "success" : "failure" });
      metrics.buildSeconds.observe(seconds);
    },
    waited: () => metrics.builds.inc({ result: "waited" }),
    tookOver: () => metrics.builds.inc({ result: "takeover" }),
  });
  let uninstall = () => {};
  if (options.shutdown !== false && options.shutdown !== undefined) {
    uninstall = installGracefulShutdown(app, options.storage.builds, state, sink, {
      drainDelayMs: options.shutdown.drainDelayMs ?? envMs("LADING_SHUTDOWN_DELAY", 0),
      timeoutMs: options.shutdown.timeoutMs ?? envMs("LADING_SHUTDOWN_TIMEOUT", 120),
      signals: options.shutdown.signals ?? ["SIGTERM", "SIGINT"],
    });
  }
  return { state, uninstall };
}
