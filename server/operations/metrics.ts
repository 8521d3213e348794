import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The registry's Prometheus metrics, one set per process (served at /metrics). Other
 * modules import `metrics` and increment what they observe, e.g.
 * `metrics.cacheLookups.inc({ cache: "manifest", result: "hit" })`.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: "lading_" });

const registers = [metricsRegistry];
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const buildBuckets = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

export const metrics = {
  requests: new Counter({
    name: "lading_http_requests_total",
    help: "HTTP requests answered, by method, route kind and status code",
    labelNames: ["method", "route", "status"] as const,
    registers,
  }),
  requestSeconds: new Histogram({
    name: "lading_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method and route kind",
    labelNames: ["method", "route"] as const,
    buckets: durationBuckets,
    registers,
  }),
  cacheLookups: new Counter({
    name: "lading_cache_lookups_total",
    help: "Metadata cache lookups by cache (manifest, layer) and result (hit, miss)",
    labelNames: ["cache", "result"] as const,
    registers,
  }),
  builds: new Counter({
    name: "lading_builds_total",
    help: "Image builds on this replica by result (success, failure), waits for another replica's build (waited) and takeovers from a dead holder (takeover)",
    labelNames: ["result"] as const,
    registers,
  }),
  buildSeconds: new Histogram({
    name: "lading_build_duration_seconds",
    help: "Time to build an image (evaluate, realise, layer, store) on this replica",
    buckets: buildBuckets,
    registers,
  }),
  layerSeconds: new Histogram({
    name: "lading_layer_duration_seconds",
    help: "Time to write one layer (tar, compress, store)",
    buckets: durationBuckets.concat([60, 120]),
    registers,
  }),
  substitutedBytes: new Counter({
    name: "lading_substituted_bytes_total",
    help: "Bytes downloaded from binary caches (substitution)",
    registers,
  }),
  blobResponses: new Counter({
    name: "lading_blob_responses_total",
    help: "Blob GETs by how they were served (proxied through this replica, redirect to storage)",
    labelNames: ["mode"] as const,
    registers,
  }),
  blobBytes: new Counter({
    name: "lading_blob_bytes_total",
    help: "Blob bytes streamed through this replica",
    registers,
  }),
};
