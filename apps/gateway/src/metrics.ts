/**
 * Prometheus metrics, served at the config's `metricsPath`. The resolver's cache counters are
 * read at scrape time; request counts and durations are labelled by route (a configured path,
 * so the label set is bounded) and status. Never a value, header or query in a label.
 */
import type { CacheStats } from "@coffer/gateway";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The route label of requests no route matched. */
export const NO_ROUTE = "(none)";

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<"route" | "status">;
  duration: Histogram<"route">;
  /** Counts one finished (or abandoned) request. */
  record(route: string, status: number, seconds: number): void;
}

const CACHE_COUNTERS = [
  ["hits", "Reference lookups answered from the cache (fresh values and remembered failures)"],
  ["misses", "Reference lookups that waited for a fetch (started or joined)"],
  ["stale", "Lookups answered with the last good value while its backend failed"],
  ["errors", "Fetched references whose backend answered with a failure"],
  [
    "refreshes",
    "Fetches of references that had a value (ahead of expiry, after it, or pushed by the change feed)",
  ],
] as const;

export function createMetrics(cacheStats: () => CacheStats): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "coffer_gateway_" });
  for (const [field, help] of CACHE_COUNTERS) {
    new Counter({
      name: `coffer_gateway_cache_${field}_total`,
      help,
      registers: [registry],
      collect() {
        // The resolver counts; the metric mirrors its total at each scrape.
        this.reset();
        this.inc(cacheStats()[field]);
      },
    });
  }
  new Gauge({
    name: "coffer_gateway_cache_entries",
    help: "Entries in the resolver's cache",
    registers: [registry],
    collect() {
      this.set(cacheStats().entries);
    },
  });
  const requests = new Counter({
    name: "coffer_gateway_requests_total",
    help: "Requests by route (configured path) and response status",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "coffer_gateway_request_duration_seconds",
    help: "Time from request to the end of the response, by route",
    labelNames: ["route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Label children, kept: prom-client hashes the labels on every call otherwise.
  // Bounded: routes come from the config, statuses are three digits.
  const counted = new Map<string, ReturnType<typeof requests.labels>>();
  const timed = new Map<string, ReturnType<typeof duration.labels>>();
  return {
    registry,
    requests,
    duration,
    record(route, status, seconds) {
      const key = `${status} ${route}`;
      let counter = counted.get(key);
      if (counter === undefined) {
        counter = requests.labels({ route, status });
        counted.set(key, counter);
      }
      counter.inc();
      let timer = timed.get(route);
      if (timer === undefined) {
        timer = duration.labels({ route });
        timed.set(route, timer);
      }
      timer.observe(seconds);
    },
  };
}
