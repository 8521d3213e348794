import type { FastifyInstance } from "fastify";
import type { SingleFlight } from "../../storage/index.js";
import type { HealthState } from "./health.js";
import { logLine, type LogSink } from "./request-log.js";

export interface ShutdownOptions {
  /** Time between failing /readyz and closing the listener, so load balancers stop sending traffic. */
  drainDelayMs: number;
  /** Longest wait for in-flight requests and builds (their uploads) before exiting anyway. */
  timeoutMs: number;
  signals: NodeJS.Signals[];
}

/**
 * On SIGTERM/SIGINT: fail readiness, wait `drainDelayMs`, then close — in-flight requests
 * finish, new ones get 503, builds in flight finish their uploads (so no client of another
 * replica waits on a lock that would only expire) — then exit. A second signal exits at once.
 */
export function installGracefulShutdown(
  app: FastifyInstance,
  builds: Pick<SingleFlight, "drain" | "inFlight">,
  state: HealthState,
  sink: LogSink | false,
  options: ShutdownOptions,
): () => void {
  const log = (msg: string, fields: Record<string, unknown> = {}) => sink && logLine(sink, "info", msg, fields);
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) {
      log("shutdown: second signal, exiting now", { signal });
      process.exit(1);
    }
    started = true;
    state.draining = true;
    log("shutdown: draining", { signal, buildsInFlight: builds.inFlight, drainDelayMs: options.drainDelayMs });
    const deadline = setTimeout(() => {
      log("shutdown: timed out, exiting with work in flight", { buildsInFlight: builds.inFlight });
      process.exit(1);
    }, options.drainDelayMs + options.timeoutMs);
    deadline.unref();
    void (async () => {
      await new Promise((r) => setTimeout(r, options.drainDelayMs));
      await app.close();
      log("shutdown: done");
      process.exit(0);
    })();
  };
  for (const signal of options.signals) process.on(signal, onSignal);
  app.addHook("preClose", async () => {
    await builds.drain();
  });
  return () => {
    for (const signal of options.signals) process.off(signal, onSignal);
  };
}
