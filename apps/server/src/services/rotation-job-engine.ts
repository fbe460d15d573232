/**
 * Runs rotation jobs (SPEC §11): core's job machine (`applyJobEvent`) decides every
 * transition; this module executes the actions it returns and the steps of the `random`
 * rotator, each step with its transition in ONE transaction that locks the secret's row, then
 * the job's row (always in that order: the operators' calls do the same), and checks the
 * caller still holds the job's lease. So a step either happened entirely (its version, stage,
 * audit event, change-feed notice and new phase) or not at all, and a replica that lost its
 * lease cannot commit anything.
 *
 * Steps of `random` (the only rotator this engine drives so far):
 * - create: a fresh value (core's generator with the policy's options; the whole value, or
 *   only the policy's `targets` keys of the current JSON value, adding those missing) written
 *   as a version on `pending`. Idempotent: a replay finds the job's version still pending and
 *   writes nothing.
 * - set, test: nothing to do (no target system): done.
 * - finish: pending → current, current → previous, the audit event `rotation.succeeded`, the
 *   change-feed notice and the policy's last_rotated_at / next_due_at, in the one transaction.
 *   Refused when the secret's pending version is no longer the job's.
 * - revert (any reverting phase): nothing to put back: revertDone.
 * A step that throws rolls back, then its failure is recorded in a transaction of its own:
 * stepFailed while attempts are left and the error is retryable (core's failureEvent), else
 * stepFailedFinal; the backoff comes from core's backoff.ts.
 *
 * Not done yet: the `postgres` and `webhook` rotators (a step there talks to another system
 * and cannot share the transaction: it needs the lease re-checked after the call), operator
 * `retry` and `rollback` (actions reopenJob / rollbackTarget / promotePrevious: reopenJob is
 * refused), job tokens, `rotation.missed`, and a bound on replays of a failing revert. Jobs
 * of other rotators are refused at start (rotation-job-service.ts).
 */
import {
  backoffDelay,
  applyJobEvent,
  failureEvent,
  generateRandomSecret,
  invalidStatus,
  isCofferError,
  JOB_PHASES,
  TARGET_STATE_UNKNOWN,
  type JobEvent,
  type JobPhase,
} from "@coffer/core";
import { SYSTEM, SYSTEM_META } from "../audit/audit-log.js";
import { changePayload } from "../changes/change-feed.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { JobChange, JobRow } from "../stores/rotation-job-store.js";
import type { PolicyRow } from "../stores/rotation-store.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import { scheduleOf } from "./rotation-policy-service.js";
import { secretUri, versionContext } from "./secret-view.js";
import { feedChange, sealVersion } from "./secret-write-batch.js";

/** Who a rotation job's writes name (`updated_by`, `created_by` of its versions). */
export const ROTATION_ACTOR = "rotation";

export type RotationEngineDeps = Pick<
  Deps,
  "db" | "org" | "keyring" | "changes" | "now" | "log" | "credentialCache" | "metrics"
>;
export type RotationEngineStores = Pick<
  Stores,
  "secrets" | "keys" | "audit" | "rotation" | "rotationJobs"
>;

export interface RotationEngineOptions {
  /** The backoff's jitter source (tests make it exact). */
  random?: () => number;
}

/** An error's words for the job's log: a CofferError's message (never a value), else generic. */
function failureText(error: unknown): string {
  return isCofferError(error) ? error.message : "internal error (see the server's log)";
}

/** Bad input or state will fail again the same way; anything else may pass on a retry. */
function retryable(error: unknown): boolean {
  return !(isCofferError(error) && ["INVALID_REQUEST", "INVALID_STATUS"].includes(error.errorCode));
}

export class RotationJobEngine {
  constructor(
    private readonly deps: RotationEngineDeps,
    private readonly stores: RotationEngineStores,
    private readonly options: RotationEngineOptions = {},
  ) {}

  /**
   * Applies `event` to `job` (locked by the caller, as is `secret`), runs the actions core
   * returns, and saves the job. `change` adds to what the transition sets (an error text).
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
    for (const action of outcome.actions) {
      switch (action) {
        case "discardPending":
          await this.#discardPending(tx, job, secret);
          break;
        case "promotePending":
          await this.#promote(tx, job, secret, now);
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
        case "endJob":
          // Counted when the transition is made: a transaction failing after it (rare) too.
          this.deps.metrics.rotationJobsEnded.inc({ state: outcome.state, mode: job.mode });
          next.ended_at = now;
          next.lease_owner = null;
          next.lease_until = null;
          break;
        // The reverting phases' step puts the target back (random: nothing to do); a
        // replay is the caller's next step.
        case "revertTarget":
        case "rollbackTarget":
        case "replayStep":
          break;
        case "reopenJob":
        case "promotePrevious":
          throw invalidStatus("retry and rollback of rotation jobs are not available yet");
      }
    }
    await this.stores.rotationJobs.save(tx, job.id, next);
    return next;
  }

  /**
   * Runs the job's current step under `owner`'s lease, with its transition, in one
   * transaction; a failure is recorded in another. Returns the job after it, or undefined
   * when the lease is no longer `owner`'s (another replica took it: nothing was written).
   */
  async step(jobId: string, owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const startedAt = this.deps.now();
    /** The phase whose step ran (undefined: the transaction never got that far). */
    let ran: JobPhase | undefined;
    try {
      return await this.#leased(jobId, owner, leaseMs, async (tx, job, secret) => {
        ran = job.phase;
        const event = await this.#work(tx, job, secret);
        if (event === undefined) return job;
        const after = await this.apply(tx, job, secret, event);
        if (JOB_PHASES[job.phase].step !== null && job.phase !== "backoff") {
          await this.#logStep(tx, job, "done", startedAt, null);
        }
        return after;
      });
    } catch (error) {
      if (ran === undefined) throw error;
      const failedPhase = ran;
      this.deps.log.warn({ err: error, job: jobId }, "a rotation step failed");
      return this.#leased(jobId, owner, leaseMs, async (tx, job, secret) => {
        const text = failureText(error);
        const stepOf = JOB_PHASES[job.phase].step;
        // Moved on meanwhile (a cancel): the failure is of a step no longer running.
        if (job.phase !== failedPhase || stepOf === null || job.phase === "backoff") return job;
        await this.#logStep(tx, job, "failed", startedAt, text);
        if (stepOf === "revert") {
          // A revert that errors is replayed (the machine's rule): try again shortly.
          const retryAt = new Date(this.deps.now().getTime() + leaseMs);
          const change = { next_attempt_at: retryAt, lease_owner: null, lease_until: null };
          await this.stores.rotationJobs.save(tx, job.id, { ...job, ...change });
          return { ...job, ...change };
        }
        const event = failureEvent(stepOf, {
          retryable: retryable(error),
          attempt: job.attempt,
          maxAttempts: job.max_attempts,
        });
        return this.apply(tx, job, secret, event, { error: text });
      });
    }
  }

  /** A replica took over a job whose lease expired: log it; the step runs again next. */
  async resume(jobId: string, owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const at = this.deps.now();
    return this.#leased(jobId, owner, leaseMs, async (tx, job, secret) => {
      if (!JOB_PHASES[job.phase].active || job.phase === "backoff") return job;
      await this.#logStep(tx, job, "replayed", at, null);
      return this.apply(tx, job, secret, { type: "leaseResumed" });
    });
  }

  /**
   * Locks the secret, then the job; runs `body` only while `owner` holds the job's lease
   * (extended by `leaseMs`) and the job is active.
   */
  async #leased(
    jobId: string,
    owner: string,
    leaseMs: number,
    body: (tx: Queryable, job: JobRow, secret: SecretRow) => Promise<JobRow>,
  ): Promise<JobRow | undefined> {
    return this.deps.db.transaction(async (tx) => {
      const first = await this.stores.rotationJobs.find(tx, jobId);
      if (!first) return undefined;
      const secret = await this.stores.secrets.byId(tx, first.secret_id, true);
      const job = await this.stores.rotationJobs.lock(tx, jobId);
      if (!secret || !job || job.ended_at !== null || job.lease_owner !== owner) return undefined;
      const until = new Date(this.deps.now().getTime() + leaseMs);
      return body(tx, { ...job, lease_until: until }, secret);
    });
  }

  /** The event the job's current phase ends with (undefined: not yet, e.g. a backoff). */
  async #work(tx: Queryable, job: JobRow, secret: SecretRow): Promise<JobEvent | undefined> {
    switch (job.phase) {
      case "backoff":
        return job.next_attempt_at > this.deps.now() ? undefined : { type: "backoffElapsed" };
      case "create":
      case "dryRunCreate":
        await this.#ensurePending(tx, job, secret);
        // The pending version is on `job` for the transition's actions.
        return { type: "stepDone", step: "create" };
      case "set":
        return { type: "stepDone", step: "set" };
      case "test":
      case "dryRunTest":
        return { type: "stepDone", step: "test" };
      case "finish":
        if (job.pending_version === null || secret.pending_version !== job.pending_version) {
          throw invalidStatus("the job's pending version is no longer pending");
        }
        return { type: "stepDone", step: "finish" };
      case "reverting":
      case "revertingToFail":
      case "revertingToCancel":
      case "rollingBack":
        return { type: "revertDone" };
      // Ended jobs are never leased (#leased refuses them).
      case "succeeded":
      case "failed":
      case "cancelled":
      case "rolledBack":
      case "dryRunPassed":
      case "dryRunFailed":
        return undefined;
    }
  }

  /** create: the job's pending version, written unless a replay finds it there already. */
  async #ensurePending(tx: Queryable, job: JobRow, secret: SecretRow): Promise<void> {
    if (job.pending_version !== null && secret.pending_version === job.pending_version) return;
    const uri = secretUri(this.deps.org, secret.owner, secret.name);
    if (secret.status !== "enabled") {
      throw invalidStatus(`${uri} is ${secret.status.replace("_", " ")}; it does not rotate`);
    }
    const policy = await this.stores.rotation.policy(tx, secret.id);
    if (!policy) throw invalidStatus(`${uri} has no rotation policy`);
    const value = await this.#newValue(tx, secret, policy);
    const version = secret.last_version + 1;
    const sealed = await sealVersion(this.deps, this.stores.keys, tx, secret, version, value);
    await this.stores.secrets.putVersions(tx, {
      secretId: secret.id,
      maxVersions: secret.max_versions,
      versions: [{ version, sealed, by: ROTATION_ACTOR }],
      state: {
        current_version: secret.current_version,
        previous_version: secret.previous_version,
        pending_version: version,
        last_version: version,
      },
      by: ROTATION_ACTOR,
      auditJson: await this.stores.audit.rowsJson(tx, [
        {
          actor: SYSTEM,
          meta: SYSTEM_META,
          events: {
            action: "rotation.pending",
            resource: uri,
            details: { job: job.id, version, mode: job.mode },
          },
        },
      ]),
      channel: this.deps.changes.channel,
      payloads: [changePayload(feedChange(this.deps.org, secret, "put", version))],
    });
    job.pending_version = version;
    secret.pending_version = version;
    secret.last_version = version;
  }

  /** A fresh value: the whole of it, or the current JSON value with its targets replaced. */
  async #newValue(tx: Queryable, secret: SecretRow, policy: PolicyRow): Promise<string> {
    if (policy.targets.length === 0) return generateRandomSecret(policy.generator);
    const [row] = await this.stores.secrets.reveal(tx, [
      { owner: secret.owner, name: secret.name, version: secret.current_version, stage: null },
    ]);
    const uri = secretUri(this.deps.org, secret.owner, secret.name);
    if (!row || row.v_version === null || row.v_protection_key_id === null) {
      throw invalidStatus(`${uri} has no current version to rotate targets of`);
    }
    await this.stores.keys.ensureLoaded(row.v_protection_key_id, tx);
    const current = this.deps.keyring.open(
      {
        protectionKeyId: row.v_protection_key_id,
        wrappedDataKey: row.v_wrapped_data_key!,
        ciphertext: row.v_ciphertext!,
      },
      versionContext(this.deps.org, secret, row.v_version),
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(current);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw invalidStatus(
        `the current value of ${uri} is not a JSON object, so its targets cannot be rotated`,
      );
    }
    const next: Record<string, unknown> = { ...(parsed as Record<string, unknown>) };
    for (const key of policy.targets) next[key] = generateRandomSecret(policy.generator);
    return JSON.stringify(next);
  }

  /** discardPending: the job's version leaves `pending` (if it is still there). */
  async #discardPending(tx: Queryable, job: JobRow, secret: SecretRow): Promise<void> {
    const version = job.pending_version;
    if (version === null || secret.pending_version !== version) return;
    await this.stores.secrets.clearPending(tx, secret.id, version, ROTATION_ACTOR);
    secret.pending_version = null;
    await this.deps.changes.notify(
      tx,
      feedChange(this.deps.org, secret, "stage", secret.current_version),
    );
  }

  /**
   * promotePending: pending → current, current → previous, the change-feed notice and the
   * policy's anchor; the audit event is notifySucceeded's, in this same transaction.
   */
  async #promote(tx: Queryable, job: JobRow, secret: SecretRow, now: Date): Promise<void> {
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

  async #logStep(
    tx: Queryable,
    job: JobRow,
    outcome: "done" | "failed" | "replayed",
    startedAt: Date,
    error: string | null,
  ): Promise<void> {
    await this.stores.rotationJobs.addStep(tx, {
      job_id: job.id,
      step: job.step,
      attempt: job.attempt,
      outcome,
      started_at: startedAt,
      ended_at: this.deps.now(),
      error,
    });
  }
}
