/**
 * The operators of rotation jobs (SPEC §11), each needing `write` on the secret and audited:
 * `rotation.run` (NAVER Execute) and `rotation.test` (a dry run that never promotes) start a
 * job in core's initial phase for the executor to drive; `rotation.cancel` applies `cancel`;
 * `rotation.jobs` lists a secret's jobs, newest first, with their steps (never a value).
 *
 * One active job per secret: a second start is INVALID_STATUS naming the active job. The
 * secret's row is locked first, so starts of one secret queue; the unique partial index on
 * active jobs is the backstop (an insert it refuses is answered the same way).
 *
 * `rotation.retry` and `rotation.rollback` reopen the secret's newest job (core's machine:
 * `failed` takes retry, `succeeded` takes rollback); the job keeps its id and log and its
 * trigger says what started its current run.
 */
import {
  BASE62,
  initialJobPhase,
  invalidStatus,
  JOB_PHASES,
  randomString,
  type JobMode,
  type ListRotationJobsInput,
  type RotationJobPage,
  type RotationJobView,
  type SecretRotationInput,
} from "@coffer/core";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type {
  JobRow,
  JobTrigger,
  RotationJobStore,
  StepRow,
} from "../stores/rotation-job-store.js";
import type { PolicyRow } from "../stores/rotation-store.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import type { RotationJobEngine } from "./rotation-job-engine.js";
import { decodeTimeCursor, encodeTimeCursor } from "./cursors.js";
import { changeOnSecret, requirePolicy, writableSecret } from "./rotation-secret.js";
import { secretUri } from "./secret-view.js";

const DEFAULT_PAGE = 20;
const JOB_ID_RE = /^job_[0-9A-Za-z]{16}$/;

export const newJobId = (): string => `job_${randomString(BASE62, 16)}`;

/** The refusal of a second active job (and of stage moves while one runs). */
export function activeJobError(uri: string, jobId: string) {
  return invalidStatus(`${uri} has an active rotation job (${jobId}); wait for it or cancel it`, {
    job: jobId,
  });
}

/** SPEC §11: while a rotation job runs, users cannot move the secret's stages or write `pending`. */
export async function requireNoActiveJob(
  jobs: RotationJobStore,
  q: Queryable,
  org: string,
  row: Pick<SecretRow, "id" | "owner" | "name">,
): Promise<void> {
  const job = await jobs.activeId(q, row.id);
  if (job !== undefined) throw activeJobError(secretUri(org, row.owner, row.name), job);
}

export class RotationJobService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "now">,
    private readonly stores: Pick<Stores, "secrets" | "audit" | "rotation" | "rotationJobs">,
    private readonly engine: RotationJobEngine,
  ) {}

  run(actor: Actor, meta: RequestMeta, input: SecretRotationInput): Promise<RotationJobView> {
    return this.#startCall(actor, meta, input, "rotation");
  }

  test(actor: Actor, meta: RequestMeta, input: SecretRotationInput): Promise<RotationJobView> {
    return this.#startCall(actor, meta, input, "dryRun");
  }

  cancel(actor: Actor, meta: RequestMeta, input: SecretRotationInput): Promise<RotationJobView> {
    return this.#call(actor, meta, input, "rotation.cancel", async (tx, secret) => {
      const job = await this.stores.rotationJobs.active(tx, secret.id, true);
      if (!job) throw invalidStatus(`${this.#uri(secret)} has no active rotation job`);
      const after = await this.engine.apply(tx, job, secret, { type: "cancel" });
      return { result: await this.#view(tx, secret, after), details: { job: job.id } };
    });
  }

  /** Operator retry of the secret's newest job, which must have failed (SPEC §11). */
  retry(actor: Actor, meta: RequestMeta, input: SecretRotationInput): Promise<RotationJobView> {
    return this.#reopen(actor, meta, input, "retry");
  }

  /**
   * Operator rollback of the secret's newest job, which must have succeeded and still be the
   * current version: the rotator sets the previous value back on the target, then previous →
   * current (SPEC §11).
   */
  rollback(actor: Actor, meta: RequestMeta, input: SecretRotationInput): Promise<RotationJobView> {
    return this.#reopen(actor, meta, input, "rollback");
  }

  async jobs(actor: Actor, input: ListRotationJobsInput): Promise<RotationJobPage> {
    const secret = await writableSecret(this.deps, this.stores, this.deps.db, actor, input.secret);
    const limit = input.limit ?? DEFAULT_PAGE;
    const before = input.cursor === undefined ? null : decodeTimeCursor(input.cursor, JOB_ID_RE);
    const rows = await this.stores.rotationJobs.page(
      this.deps.db,
      secret.id,
      input.state ?? null,
      before,
      limit + 1,
    );
    const shown = rows.slice(0, limit);
    const last = shown[shown.length - 1]!;
    const steps = await this.stores.rotationJobs.steps(
      this.deps.db,
      shown.map((r) => r.id),
    );
    return {
      items: shown.map((r) => this.#toView(secret, r, steps)),
      nextCursor: rows.length > limit ? encodeTimeCursor(last.created_at, last.id) : null,
    };
  }

  /**
   * Starts a job on a secret whose row `tx` has locked (run, test, and the scheduler).
   * Throws INVALID_STATUS naming the active job when there is one.
   */
  async start(
    tx: Queryable,
    secret: SecretRow,
    policy: PolicyRow,
    mode: JobMode,
    trigger: JobTrigger,
    by: string,
  ): Promise<JobRow> {
    const uri = this.#uri(secret);
    if (secret.status !== "enabled") {
      throw invalidStatus(`${uri} is ${secret.status.replace("_", " ")}; it does not rotate`, {
        status: secret.status,
      });
    }
    const active = await this.stores.rotationJobs.activeId(tx, secret.id);
    if (active !== undefined) throw activeJobError(uri, active);
    const rotator = await this.stores.rotation.rotator(
      tx,
      policy.rotator_owner,
      policy.rotator_name,
    );
    if (!rotator)
      throw invalidStatus(
        `${uri}'s rotator ${policy.rotator_owner}/${policy.rotator_name} is gone`,
      );
    this.engine.rotatorFor(rotator);
    const phase = initialJobPhase(mode);
    const now = this.deps.now();
    const job = await this.stores.rotationJobs.insert(tx, {
      id: newJobId(),
      secret_id: secret.id,
      rotator_id: policy.rotator_id,
      rotator: `${policy.rotator_owner}/${policy.rotator_name}`,
      mode,
      trigger,
      phase,
      state: JOB_PHASES[phase].state,
      step: JOB_PHASES[phase].step ?? "create",
      attempt: 1,
      // A dry run is never retried.
      max_attempts: mode === "dryRun" ? 1 : policy.max_attempts,
      next_attempt_at: now,
      created_at: now,
      created_by: by,
    });
    if (!job) {
      const winner = await this.stores.rotationJobs.activeId(tx, secret.id);
      throw activeJobError(uri, winner ?? "another job");
    }
    return job;
  }

  #reopen(
    actor: Actor,
    meta: RequestMeta,
    input: SecretRotationInput,
    type: "retry" | "rollback",
  ): Promise<RotationJobView> {
    return this.#call(actor, meta, input, `rotation.${type}`, async (tx, secret) => {
      const uri = this.#uri(secret);
      if (secret.status !== "enabled") {
        throw invalidStatus(`${uri} is ${secret.status.replace("_", " ")}; it does not rotate`, {
          status: secret.status,
        });
      }
      const job = await this.stores.rotationJobs.latest(tx, secret.id);
      if (!job) throw invalidStatus(`${uri} has no rotation job to ${type}`);
      // An active job is the newest (one at a time): the machine refuses it with its state.
      if (type === "rollback" && job.phase === "succeeded") {
        if (secret.current_version !== job.pending_version || secret.previous_version === null) {
          throw invalidStatus(
            `${uri}'s current version is no longer the one job ${job.id} made (${job.pending_version}): there is nothing of the job's to roll back`,
            { job: job.id },
          );
        }
      }
      const rotator = await this.engine.jobRotator(tx, job);
      this.engine.rotatorFor(rotator);
      const after = await this.engine.apply(tx, job, secret, { type }, { trigger: type });
      return { result: await this.#view(tx, secret, after), details: { job: job.id } };
    });
  }

  #startCall(
    actor: Actor,
    meta: RequestMeta,
    input: SecretRotationInput,
    mode: JobMode,
  ): Promise<RotationJobView> {
    const action = mode === "rotation" ? "rotation.run" : "rotation.test";
    return this.#call(actor, meta, input, action, async (tx, secret) => {
      const policy = await requirePolicy(this.deps.org, this.stores.rotation, tx, secret);
      const job = await this.start(tx, secret, policy, mode, "manual", actor.label);
      return { result: await this.#view(tx, secret, job), details: { job: job.id, mode } };
    });
  }

  /** One operator call on a secret; the executor is told once it committed (the job may be due). */
  async #call(
    actor: Actor,
    meta: RequestMeta,
    input: SecretRotationInput,
    action: string,
    change: (
      tx: Queryable,
      secret: SecretRow,
    ) => Promise<{ result: RotationJobView; details: Record<string, unknown> }>,
  ): Promise<RotationJobView> {
    const view = await changeOnSecret(
      this.deps,
      this.stores,
      actor,
      meta,
      input.secret,
      action,
      change,
    );
    this.engine.due();
    return view;
  }

  async #view(q: Queryable, secret: SecretRow, job: JobRow): Promise<RotationJobView> {
    return this.#toView(secret, job, await this.stores.rotationJobs.steps(q, [job.id]));
  }

  #toView(secret: SecretRow, job: JobRow, steps: readonly StepRow[]): RotationJobView {
    return {
      id: job.id,
      secret: this.#uri(secret),
      rotator: job.rotator,
      mode: job.mode,
      trigger: job.trigger,
      state: job.state,
      step: job.step,
      attempt: job.attempt,
      maxAttempts: job.max_attempts,
      version: job.pending_version,
      createdAt: job.created_at.toISOString(),
      createdBy: job.created_by,
      updatedAt: job.updated_at.toISOString(),
      finishedAt: job.ended_at?.toISOString() ?? null,
      nextAttemptAt: job.ended_at === null ? job.next_attempt_at.toISOString() : null,
      error: job.error,
      steps: steps
        .filter((s) => s.job_id === job.id)
        .map((s) => ({
          step: s.step,
          attempt: s.attempt,
          startedAt: s.started_at.toISOString(),
          endedAt: s.ended_at.toISOString(),
          outcome: s.outcome,
          error: s.error,
        })),
    };
  }

  #uri(row: Pick<SecretRow, "owner" | "name">): string {
    return secretUri(this.deps.org, row.owner, row.name);
  }
}
