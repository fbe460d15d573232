/**
 * Automatic rotation (SPEC §11): a periodic job (run once across replicas by the JobRunner's
 * advisory lock) that starts a rotation job for each automatic policy that is due. The stored
 * `next_due_at` is never later than the true due time (a manual new version moves the anchor
 * without touching the policy), so each candidate is checked again with core's checkDue on
 * the true anchor: one not yet due gets its stored time moved forward; a due one (or a missed
 * `every` window, which catches up at once) starts a job, audited as `rotation.run` by
 * `system` with trigger `schedule`, and the stored due time moves a period on (so a job that
 * fails is tried again at the next period, as AWS Secrets Manager does, never in a loop; the
 * `rotation.failed` event tells a person meanwhile). Disabled secrets and secrets scheduled for deletion do
 * not rotate; a secret with an active job waits for it.
 *
 * A due time whose window passed without a start (the server was down) raises the audit event `rotation.missed` once (the policy remembers the last
 * one raised); an `every` policy then catches up at once, a cron one waits for its next window.
 *
 * Not done yet: skipping disabled secrets in SQL (they are skipped here, and at most
 * SCHEDULE_BATCH candidates are read per run).
 */
import { checkDue, isCofferError } from "@coffer/core";
import { SYSTEM, SYSTEM_META } from "../audit/audit-log.js";
import type { Deps } from "../deps.js";
import type { RotationJobService } from "../services/rotation-job-service.js";
import { currentVersionAt, lastRotation, scheduleOf } from "../services/rotation-policy-service.js";
import { secretUri } from "../services/secret-view.js";
import { feedChange } from "../services/secret-write-batch.js";
import type { Stores } from "../stores/stores.js";
import type { Job } from "./jobs.js";

export const SCHEDULE_BATCH = 500;

export function rotationScheduleJob(
  deps: Pick<Deps, "org" | "config" | "log" | "changes">,
  stores: Pick<Stores, "secrets" | "rotation" | "rotationJobs" | "audit">,
  jobs: RotationJobService,
): Job {
  return {
    name: "rotation-schedule",
    periodMs: deps.config.jobIntervalMs,
    async run(tx, now) {
      for (const { secret_id } of await stores.rotation.dueSecretIds(tx, now, SCHEDULE_BATCH)) {
        const secret = await stores.secrets.byId(tx, secret_id, true);
        const policy = secret && (await stores.rotation.policy(tx, secret.id));
        if (!secret || !policy?.auto || secret.status !== "enabled") continue;
        if ((await stores.rotationJobs.activeId(tx, secret.id)) !== undefined) continue;
        const schedule = scheduleOf(policy);
        const versionAt = await currentVersionAt(stores.secrets, tx, secret);
        const due = checkDue(schedule, lastRotation(policy.last_rotated_at, versionAt), now);
        if (due.kind === "waiting") {
          await stores.rotation.setNextDue(tx, secret.id, due.due);
          continue;
        }
        if (due.kind === "missed" && policy.missed_due_at?.getTime() !== due.missed.getTime()) {
          // Once per missed due time: the hook §12's automations read `rotation.missed` from.
          await stores.rotation.markMissed(tx, secret.id, due.missed);
          await deps.changes.notify(
            tx,
            feedChange(deps.org, secret, "rotation.missed", secret.current_version),
          );
          await stores.audit.record(tx, SYSTEM, SYSTEM_META, {
            action: "rotation.missed",
            resource: secretUri(deps.org, secret.owner, secret.name),
            details: {
              due: due.missed.toISOString(),
              windowEndedAt: new Date(due.missed.getTime() + schedule.windowMs).toISOString(),
              catchingUp: due.startNow,
            },
          });
        }
        if (due.kind === "missed" && !due.startNow) {
          await stores.rotation.setNextDue(tx, secret.id, due.next);
          continue;
        }
        let job;
        try {
          job = await jobs.start(tx, secret, policy, "rotation", "schedule", SYSTEM.label);
        } catch (error) {
          // Refused before writing anything (a rotator that cannot run jobs yet): the other
          // policies still start, and this one is tried again a period on.
          if (!isCofferError(error)) throw error;
          deps.log.warn({ err: error, secret: secret.id }, "a scheduled rotation was refused");
          await stores.rotation.setNextDue(tx, secret.id, schedule.next(now));
          continue;
        }
        // Whatever the job's end, the next automatic try is a period away: a job that fails
        // (or is cancelled) is not started again every minute. Its success sets it anew.
        await stores.rotation.setNextDue(tx, secret.id, schedule.next(now));
        await stores.audit.record(tx, SYSTEM, SYSTEM_META, {
          action: "rotation.run",
          resource: secretUri(deps.org, secret.owner, secret.name),
          details: { job: job.id, mode: "rotation", trigger: "schedule" },
        });
      }
    },
  };
}
