/**
 * Background jobs (SPEC §7), each run once per period across replicas: a replica takes the
 * job's advisory lock without waiting and runs it only if no replica has within the period.
 * - purge secrets whose recovery window has passed;
 * - disable expired tokens, and delete tokens disabled for over 7 days;
 * - raise `token.expiring` 3 days before a token expires (not for tokens living under 3 days),
 *   and `token.expired` when it does (hook events, SPEC §12); `secret.deleted` for purged secrets;
 * - forget hook deliveries ended over 30 days ago;
 * - link new audit events into the hash chain (every few seconds);
 * - on embedded PostgreSQL, keep the planner's statistics current and dead rows reclaimed
 *   (see embedded-statistics.ts).
 */
import { createHash } from "node:crypto";
import { SYSTEM, SYSTEM_META } from "../audit/audit-log.js";
import type { Queryable } from "../db/database.js";
import { EmbeddedStatistics } from "../db/embedded-statistics.js";
import type { Deps } from "../deps.js";
import type { Services } from "../services/services.js";
import { jobStore, type JobStore } from "../stores/job-store.js";
import { createStores, type Stores } from "../stores/stores.js";
import { DAY_MS } from "../time.js";
import { secretEvent, tokenEvent } from "../hooks/hook-events.js";

/** How long the delivery log keeps an ended delivery (its attempts and event go with it). */
export const DELIVERY_LOG_DAYS = 30;

export interface Job {
  name: string;
  periodMs: number;
  run(tx: Queryable, now: Date): Promise<void>;
  /** After `run`'s transaction committed: for what cannot run in one (VACUUM). */
  afterCommit?(): Promise<void>;
}

const lockOf = (name: string): number =>
  createHash("sha256").update(`coffer-job:${name}`).digest().readInt32BE(0);

export function coreJobs(
  deps: Deps,
  stores: Pick<
    Stores,
    "secrets" | "credentials" | "audit" | "deliveries" | "sessions"
  > = createStores(deps),
): Job[] {
  const statistics = new EmbeddedStatistics(deps.db);
  const embedded: Job[] =
    deps.db.engine === "pglite"
      ? [
          {
            name: "embedded-statistics",
            periodMs: deps.config.jobIntervalMs,
            async run(tx) {
              await statistics.maintain(tx);
            },
            async afterCommit() {
              await statistics.vacuumIfDue();
            },
          },
        ]
      : [];
  return [
    ...embedded,
    {
      name: "purge-deleted-secrets",
      periodMs: deps.config.jobIntervalMs,
      async run(tx, now) {
        const purged = await stores.secrets.purgeDeleted(tx, deps.org, now);
        await stores.deliveries.enqueue(
          tx,
          purged.map((s) => secretEvent("secret.deleted", { ...s, ownerKind: s.owner_kind }, null)),
        );
        await stores.audit.record(
          tx,
          SYSTEM,
          SYSTEM_META,
          purged.map((s) => ({
            action: "secret.purge",
            resource: s.uri,
          })),
        );
      },
    },
    {
      name: "expire-and-purge-tokens",
      periodMs: deps.config.jobIntervalMs,
      async run(tx, now) {
        const expired = await stores.credentials.expireTokens(tx, now);
        await stores.deliveries.enqueue(
          tx,
          expired.map((t) => tokenEvent("token.expired", t)),
        );
        await stores.credentials.purgeUses(tx, now);
        const purged = await stores.credentials.purgeTokens(
          tx,
          new Date(now.getTime() - 7 * DAY_MS),
        );
        await stores.audit.record(
          tx,
          SYSTEM,
          SYSTEM_META,
          purged.map((id) => ({ action: "token.purge", resource: `token:${id}` })),
        );
      },
    },
    {
      name: "token-expiry-events",
      periodMs: deps.config.jobIntervalMs,
      async run(tx, now) {
        const soon = new Date(now.getTime() + 3 * DAY_MS);
        const due = await stores.credentials.expiringTokens(tx, now, soon);
        await stores.deliveries.enqueue(
          tx,
          due.map((t) => tokenEvent("token.expiring", t)),
        );
      },
    },
    {
      name: "purge-hook-deliveries",
      periodMs: deps.config.jobIntervalMs,
      async run(tx, now) {
        await stores.deliveries.purge(tx, new Date(now.getTime() - DELIVERY_LOG_DAYS * DAY_MS));
      },
    },
    {
      // Ended and expired console sessions are kept a day (a sign-out seen in the audit log can
      // still be matched to its row), then forgotten.
      name: "purge-console-sessions",
      periodMs: deps.config.jobIntervalMs,
      async run(tx, now) {
        await stores.sessions.purge(tx, new Date(now.getTime() - DAY_MS));
      },
    },
  ];
}

export class JobRunner {
  #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: Deps,
    private readonly services: Services,
    private readonly jobs: Job[] = coreJobs(deps),
    private readonly store: JobStore = jobStore,
  ) {}

  /** Runs one job if it is due and no replica holds it; returns whether it ran. */
  async runOnce(job: Job): Promise<boolean> {
    const ran = await this.deps.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS ok", [
        lockOf(job.name),
      ]);
      if (!lock?.ok) return false;
      const now = this.deps.now();
      const last = await this.store.lastRun(tx, job.name);
      if (last && now.getTime() - last.getTime() < job.periodMs * 0.9) return false;
      await job.run(tx, now);
      await this.store.ran(tx, job.name, now);
      return true;
    });
    if (ran) await job.afterCommit?.();
    return ran;
  }

  start(): void {
    for (const job of this.jobs) {
      const timer = setInterval(() => {
        this.runOnce(job).catch((err: unknown) =>
          this.deps.log.error({ err, job: job.name }, "job failed"),
        );
      }, job.periodMs);
      timer.unref();
      this.#timers.push(timer);
    }
    const chain = setInterval(() => {
      this.services.auditChain
        .chainPending()
        .catch((err: unknown) => this.deps.log.error({ err }, "audit chaining failed"));
    }, 2_000);
    chain.unref();
    this.#timers.push(chain);
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }
}
