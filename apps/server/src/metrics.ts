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
  /** Hook delivery attempts by outcome (`delivered`, `retrying`, `failed`). */
  hookAttempts: Counter<"outcome">;
  /** Where the delivery backlog gauges read, set once the stores exist. */
  hookBacklog: { read?: () => Promise<{ pending: number; oldest: Date | null }> };
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
  const hookBacklog: Metrics["hookBacklog"] = {};
  // Both gauges from one query per scrape: the depth's collect reads, the age's uses it.
  let backlog: Promise<{ pending: number; oldest: Date | null }> | undefined;
  new Gauge({
    name: "coffer_hook_deliveries_pending",
    help: "Hook deliveries waiting for an attempt (queue depth), across replicas",
    registers: [registry],
    async collect() {
      backlog = hookBacklog.read?.();
      if (backlog) this.set((await backlog).pending);
    },
  });
  new Gauge({
    name: "coffer_hook_oldest_pending_seconds",
    help: "Age of the oldest hook delivery not delivered yet (0 when none waits)",
    registers: [registry],
    async collect() {
      const read = backlog ?? hookBacklog.read?.();
      backlog = undefined;
      if (!read) return;
      const { oldest } = await read;
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest.getTime()) / 1000));
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
    hookAttempts: new Counter({
      name: "coffer_hook_delivery_attempts_total",
      help: "Hook delivery attempts by outcome (delivered, retrying, failed)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    hookBacklog,
  };
}
