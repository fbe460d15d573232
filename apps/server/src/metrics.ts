/** Prometheus metrics (/metrics). Labels hold procedure names and outcomes, never values. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  registry: Registry;
  requests: Counter<"procedure" | "outcome">;
  duration: Histogram<"procedure">;
  authFailures: Counter<"reason">;
  /** The audit chain's head as this server last saw it: an anchor outside the database. */
  auditHeadSeq: Gauge;
  auditHeadInfo: Gauge<"digest">;
  /** Rotation jobs that ended, by state and mode (`failed` + `rotation`: failed rotations). */
  rotationJobsEnded: Counter<"state" | "mode">;
  /** Where the active rotation jobs gauge reads its count, set once the stores exist. */
  rotationJobsActive: { count?: () => Promise<number> };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "coffer_" });
  const rotationJobsActive: Metrics["rotationJobsActive"] = {};
  new Gauge({
    name: "coffer_rotation_jobs_active",
    help: "Rotation jobs running or waiting to retry, across replicas",
    registers: [registry],
    async collect() {
      if (rotationJobsActive.count) this.set(await rotationJobsActive.count());
    },
  });
  return {
    registry,
    requests: new Counter({
      name: "coffer_requests_total",
      help: "API calls by procedure and outcome (ok or error code)",
      labelNames: ["procedure", "outcome"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "coffer_request_duration_seconds",
      help: "API call duration by procedure",
      labelNames: ["procedure"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: "coffer_auth_failures_total",
      help: "Refused authentications by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    auditHeadSeq: new Gauge({
      name: "coffer_audit_chain_head_seq",
      help: "Events in the audit chain, as this server last saw its head",
      registers: [registry],
    }),
    auditHeadInfo: new Gauge({
      name: "coffer_audit_chain_head_info",
      help: "The audit chain head's digest (label), as this server last saw it; always 1",
      labelNames: ["digest"],
      registers: [registry],
    }),
    rotationJobsEnded: new Counter({
      name: "coffer_rotation_jobs_ended_total",
      help: "Rotation jobs that ended, by state and mode (rotation or dryRun)",
      labelNames: ["state", "mode"],
      registers: [registry],
    }),
    rotationJobsActive,
  };
}
