/**
 * Background jobs (SPEC §7), each run once per period across replicas: a replica takes the
 * job's advisory lock without waiting and runs it only if no replica has within the period.
 * - purge secrets whose recovery window has passed;
 * - disable expired tokens, and delete tokens disabled for over 7 days;
 * - raise an expiry event 3 days before a token expires (not for tokens living under 3 days);
 * - link new audit events into the hash chain (every few seconds);
 * - on embedded PostgreSQL, keep the planner's statistics current and dead rows reclaimed
 *   (see embedded-statistics.ts).
 */
import { createHash } from "node:crypto";
import { recordAudit, SYSTEM, SYSTEM_META } from "../audit/audit-log.js";
import type { Queryable } from "../db/database.js";
import { EmbeddedStatistics } from "../db/embedded-statistics.js";
import type { Deps } from "../deps.js";
import { purgeDeletedSecrets } from "../services/secret-removal.js";
import type { Services } from "../services/services.js";
import { DAY_MS } from "../time.js";

export interface Job {
  name: string;
  periodMs: number;
  run(tx: Queryable, now: Date): Promise<void>;
  /** After `run`'s transaction committed: for what cannot run in one (VACUUM). */
  afterCommit?(): Promise<void>;
}

const lockOf = (name: string): number =>
  createHash("sha256").update(`coffer-job:${name}`).digest().readInt32BE(0);

export function coreJobs(deps: Deps): Job[] {
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
        const purged = await purgeDeletedSecrets(tx, deps.org, now);
        await recordAudit(
          deps,
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
        await tx.query(
          "UPDATE tokens SET disabled_at = expires_at WHERE disabled_at IS NULL AND expires_at <= $1",
          [now],
        );
        await tx.query("DELETE FROM signature_replays WHERE expires_at <= $1", [now]);
        const purged = await tx.query<{ id: string }>(
          "DELETE FROM tokens WHERE disabled_at <= $1 RETURNING id",
          [new Date(now.getTime() - 7 * DAY_MS)],
        );
        await recordAudit(
          deps,
          tx,
          SYSTEM,
          SYSTEM_META,
          purged.map((t) => ({ action: "token.purge", resource: `token:${t.id}` })),
        );
      },
    },
    {
      name: "token-expiry-events",
      periodMs: deps.config.jobIntervalMs,
      async run(tx, now) {
        const soon = new Date(now.getTime() + 3 * DAY_MS);
        const due = await tx.query<{ id: string; owner: string | null; expires_at: Date }>(
          `UPDATE tokens SET expiry_event_at = $1
           WHERE disabled_at IS NULL AND expiry_event_at IS NULL AND expires_at > $1 AND expires_at <= $2
             AND expires_at - created_at >= interval '3 days'
           RETURNING id, owner, expires_at`,
          [now, soon],
        );
        for (const t of due) {
          await tx.query(
            "INSERT INTO notifications (kind, subject, resource, details) VALUES ('token.expiring', $1, $2, $3)",
            [t.owner, `token:${t.id}`, JSON.stringify({ expiresAt: t.expires_at.toISOString() })],
          );
        }
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
  ) {}

  /** Runs one job if it is due and no replica holds it; returns whether it ran. */
  async runOnce(job: Job): Promise<boolean> {
    const ran = await this.deps.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS ok", [
        lockOf(job.name),
      ]);
      if (!lock?.ok) return false;
      const now = this.deps.now();
      const [last] = await tx.query<{ last_run_at: Date }>(
        "SELECT last_run_at FROM job_runs WHERE job = $1",
        [job.name],
      );
      if (last && now.getTime() - last.last_run_at.getTime() < job.periodMs * 0.9) return false;
      await job.run(tx, now);
      await tx.query(
        `INSERT INTO job_runs (job, last_run_at) VALUES ($1, $2)
         ON CONFLICT (job) DO UPDATE SET last_run_at = EXCLUDED.last_run_at`,
        [job.name, now],
      );
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
