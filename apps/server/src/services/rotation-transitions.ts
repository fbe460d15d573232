/**
 * The transitions of rotation jobs (SPEC §11): core's job machine (`applyJobEvent`) decides
 * each one; this module runs the actions it returns, in the caller's transaction (the secret's
 * row, then the job's, locked): the pending version discarded, the promotions with their audit
 * events and change-feed notices, the backoff, the attempt count, the job's end. Who calls it:
 * the step runner (rotation-job-engine.ts), the operators (rotation-job-service.ts), the
 * rotator's callbacks (rotation-job-callbacks.ts) and a scheduled deletion's cancel.
 */
import {
  applyJobEvent,
  backoffDelay,
  invalidStatus,
  TARGET_STATE_UNKNOWN,
  type JobEvent,
} from "@coffer/core";
import { SYSTEM, SYSTEM_META } from "../audit/audit-log.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { JobChange, JobRow } from "../stores/rotation-job-store.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import { scheduleOf } from "./rotation-policy-service.js";
import { ROTATION_ACTOR, type RotationVersions } from "./rotation-versions.js";
import { secretUri } from "./secret-view.js";
import { feedChange } from "./secret-write-batch.js";

export class RotationTransitions {
  constructor(
    private readonly deps: Pick<Deps, "org" | "changes" | "now" | "metrics">,
    private readonly stores: Pick<Stores, "secrets" | "audit" | "rotation" | "rotationJobs">,
    private readonly versions: RotationVersions,
    private readonly options: { random?: () => number } = {},
  ) {}

  /**
   * Applies `event` to `job` (locked by the caller, as is `secret`), runs the actions core
   * returns, and saves the job. `change` adds to what the transition sets.
   */
  async apply(
    tx: Queryable,
    job: JobRow,
    secret: SecretRow,
    event: JobEvent,
    change: Partial<JobChange> = {},
  ): Promise<JobRow> {
    const outcome = applyJobEvent(job.phase, event);
    const now = this.deps.now();
    const next: JobRow = {
      ...job,
      ...change,
      phase: outcome.phase,
      state: outcome.state,
      step: outcome.step ?? job.step,
      updated_at: now,
    };
    if (outcome.phase !== job.phase) {
      // A new phase runs at once (a backoff sets its own time below) and starts its count of
      // revert errors afresh; a callback rotator's wait ends unless the change renews it.
      if (!("next_attempt_at" in change)) next.next_attempt_at = now;
      if (!("callback_deadline" in change)) next.callback_deadline = null;
      next.revert_errors = 0;
    }
    for (const action of outcome.actions) {
      switch (action) {
        case "discardPending":
          await this.versions.discardPending(tx, job, secret);
          break;
        case "promotePending":
          await this.#promotePending(tx, job, secret, now);
          break;
        case "promotePrevious":
          await this.#promotePrevious(tx, job, secret);
          break;
        case "scheduleBackoff":
          next.next_attempt_at = new Date(now.getTime() + backoffDelay(job.attempt, this.options));
          next.lease_owner = null;
          next.lease_until = null;
          break;
        case "nextAttempt":
          next.attempt = job.attempt + 1;
          break;
        case "resetAttempts":
          next.attempt = 1;
          break;
        case "recordTargetUnknown":
          next.error = TARGET_STATE_UNKNOWN;
          break;
        case "notifySucceeded":
        case "notifyFailed":
          // An earlier attempt's error stays in the step log, not on a job that succeeded.
          if (action === "notifySucceeded") next.error = null;
          // The change feed and the audit event are the hooks §12's automations will read.
          await this.deps.changes.notify(
            tx,
            feedChange(
              this.deps.org,
              secret,
              action === "notifySucceeded" ? "rotation.succeeded" : "rotation.failed",
              action === "notifySucceeded" ? job.pending_version : secret.current_version,
            ),
          );
          await this.stores.audit.record(tx, SYSTEM, SYSTEM_META, {
            action: action === "notifySucceeded" ? "rotation.succeeded" : "rotation.failed",
            resource: secretUri(this.deps.org, secret.owner, secret.name),
            details: {
              job: job.id,
              version: job.pending_version,
              ...(action === "notifyFailed" ? { error: next.error } : {}),
            },
          });
          break;
        case "reopenJob":
          // The caller checked, with the secret's row locked, that no other job is active.
          next.ended_at = null;
          next.error = null;
          next.token_lookup = null;
          next.lease_owner = null;
          next.lease_until = null;
          break;
        case "endJob":
          // Counted when the transition is made: a transaction failing after it (rare) too.
          this.deps.metrics.rotationJobsEnded.inc({ state: outcome.state, mode: job.mode });
          next.ended_at = now;
          next.lease_owner = null;
          next.lease_until = null;
          next.token_lookup = null;
          next.callback_deadline = null;
          break;
        // The reverting phases' step puts the target back; a replay is the caller's next step.
        case "revertTarget":
        case "rollbackTarget":
        case "replayStep":
          break;
      }
    }
    await this.stores.rotationJobs.save(tx, job.id, next);
    return next;
  }

  /**
   * promotePending: pending → current, current → previous, the change-feed notice and the
   * policy's anchor; the audit event is notifySucceeded's, in this same transaction.
   */
  async #promotePending(tx: Queryable, job: JobRow, secret: SecretRow, now: Date): Promise<void> {
    const version = job.pending_version;
    if (version === null || secret.pending_version !== version) {
      throw invalidStatus("the job's pending version is no longer pending");
    }
    await this.stores.secrets.makeCurrent(tx, secret.id, version, ROTATION_ACTOR);
    await this.deps.changes.notify(tx, feedChange(this.deps.org, secret, "stage", version));
    const policy = await this.stores.rotation.policy(tx, secret.id);
    if (policy) {
      await this.stores.rotation.markRotated(tx, secret.id, now, scheduleOf(policy).next(now));
    }
  }

  /**
   * promotePrevious (rollback): previous → current and the old current → previous, with the
   * audit event `rotation.rolled_back` and the change-feed notice, in this transaction.
   */
  async #promotePrevious(tx: Queryable, job: JobRow, secret: SecretRow): Promise<void> {
    if (secret.previous_version === null || secret.current_version !== job.pending_version) {
      throw invalidStatus("the secret's stages moved since the job: it cannot be rolled back");
    }
    await this.stores.secrets.rollback(tx, secret.id, ROTATION_ACTOR);
    await this.deps.changes.notify(
      tx,
      feedChange(this.deps.org, secret, "stage", secret.previous_version),
    );
    await this.stores.audit.record(tx, SYSTEM, SYSTEM_META, {
      action: "rotation.rolled_back",
      resource: secretUri(this.deps.org, secret.owner, secret.name),
      details: { job: job.id, from: secret.current_version, to: secret.previous_version },
    });
  }
}
