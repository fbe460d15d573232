/**
 * The rotator's side of a job (SPEC §11, NAVER's Secret Rotate Process Control): what a
 * webhook rotator's code calls back with the job token (`cfj_…`) it was sent. The token names
 * one job, is the one most recently sent for it (each call to the rotator mints a new one),
 * and dies when the job ends; it carries no other right.
 *
 * - `start`: the values (previous, current, the job's pending) and the targets, in both modes;
 *   audited as a reveal of the secret by the job.
 * - Callback mode only (the rotator drives create, set and test itself):
 *   `addPending` (Coffer generates the pending value with the policy's generator and targets)
 *   or `updatePending` (the rotator gives it) at `create`, then the rotator sets its target and
 *   `complete` (set and test done, then the promotion, in one transaction) or `fail` (the
 *   machine's failure: from `set` on Coffer then asks the rotator to revert). `updatePending`
 *   at `set` replaces the job's pending value. Each call pushes the job's callback deadline on;
 *   `heartbeat` only does that.
 * In driver mode Coffer calls the rotator for each step and its answer is the step's outcome,
 * so these four are refused (INVALID_STATUS).
 *
 * Every call locks the secret, then the job (as the engine does), so a call racing the
 * executor or an operator's cancel sees the job as it is; what the machine refuses is
 * INVALID_STATUS with the job's state.
 */
import {
  failureEvent,
  invalidStatus,
  jobTokenLookupHash,
  unauthorized,
  type FailJobInput,
  type JobStartView,
  type JobStep,
  type UpdatePendingInput,
} from "@coffer/core";
import type { RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { JobRow } from "../stores/rotation-job-store.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import type { RotationJobEngine } from "./rotation-job-engine.js";
import { secretUri } from "./secret-view.js";

export interface JobStatusView {
  job: string;
  state: JobRow["state"];
  step: JobRow["step"];
  /** When the rotator must call again by (callback mode, while it drives the job). */
  deadline: string | null;
}

type Body<T> = (tx: Queryable, job: JobRow, secret: SecretRow) => Promise<T>;

export class RotationJobCallbacks {
  constructor(
    private readonly deps: Pick<Deps, "db" | "org" | "now">,
    private readonly stores: Pick<Stores, "secrets" | "audit" | "rotation" | "rotationJobs">,
    private readonly engine: RotationJobEngine,
  ) {}

  start(token: string, meta: RequestMeta): Promise<JobStartView> {
    return this.#call(token, meta, "rotation.job.start", async (tx, job, secret) => ({
      result: await this.#startView(tx, job, secret),
      // Audited as the reveal it is: which versions the rotator's code read (never a value).
      audit: {
        reveal: {
          current: secret.current_version,
          previous: secret.previous_version,
          pending: job.pending_version === secret.pending_version ? job.pending_version : null,
        },
      },
    }));
  }

  addPending(token: string, meta: RequestMeta): Promise<JobStartView> {
    return this.#call(token, meta, "rotation.job.addPending", async (tx, job, secret) => {
      await this.#requireCallbackMode(tx, job);
      this.#requirePhase(job, ["create"], "addPending");
      await this.engine.versions.ensurePending(tx, job, secret);
      const after = await this.engine.apply(
        tx,
        job,
        secret,
        { type: "stepDone", step: "create" },
        this.#waiting(),
      );
      await this.#log(tx, job, ["create"], "done", null);
      return {
        result: await this.#startView(tx, after, secret),
        audit: { version: after.pending_version },
      };
    });
  }

  updatePending(
    token: string,
    meta: RequestMeta,
    input: UpdatePendingInput,
  ): Promise<JobStatusView> {
    return this.#call(token, meta, "rotation.job.updatePending", async (tx, job, secret) => {
      await this.#requireCallbackMode(tx, job);
      this.#requirePhase(job, ["create", "set"], "updatePending");
      await this.engine.versions.discardPending(tx, job, secret);
      await this.engine.versions.writePending(tx, job, secret, input.value);
      const created = job.phase === "create";
      const after = created
        ? await this.engine.apply(
            tx,
            job,
            secret,
            { type: "stepDone", step: "create" },
            this.#waiting(),
          )
        : await this.#save(tx, job, this.#waiting());
      if (created) await this.#log(tx, job, ["create"], "done", null);
      return { result: this.#status(after), audit: { version: after.pending_version } };
    });
  }

  complete(token: string, meta: RequestMeta): Promise<JobStatusView> {
    return this.#call(token, meta, "rotation.job.complete", async (tx, job, secret) => {
      await this.#requireCallbackMode(tx, job);
      this.#requirePhase(job, ["set"], "complete");
      let after = await this.engine.apply(tx, job, secret, { type: "stepDone", step: "set" });
      after = await this.engine.apply(tx, after, secret, { type: "stepDone", step: "test" });
      after = await this.engine.apply(tx, after, secret, { type: "stepDone", step: "finish" });
      await this.#log(tx, job, ["set", "test", "finish"], "done", null);
      return { result: this.#status(after), audit: { version: job.pending_version } };
    });
  }

  fail(token: string, meta: RequestMeta, input: FailJobInput): Promise<JobStatusView> {
    return this.#call(token, meta, "rotation.job.fail", async (tx, job, secret) => {
      await this.#requireCallbackMode(tx, job);
      this.#requirePhase(job, ["create", "set"], "fail");
      const step = job.phase === "create" ? "create" : "set";
      const event = failureEvent(step, {
        retryable: input.retryable ?? true,
        attempt: job.attempt,
        maxAttempts: job.max_attempts,
      });
      const reason = `the rotator failed the job: ${input.reason}`;
      const after = await this.engine.apply(tx, job, secret, event, { error: reason });
      await this.#log(tx, job, [step], "failed", reason);
      return { result: this.#status(after), audit: { retryable: input.retryable ?? true } };
    });
  }

  heartbeat(token: string, meta: RequestMeta): Promise<JobStatusView> {
    return this.#call(token, meta, "rotation.job.heartbeat", async (tx, job) => {
      const waiting = job.callback_deadline !== null;
      const after = waiting ? await this.#save(tx, job, this.#waiting()) : job;
      return { result: this.#status(after), audit: {} };
    });
  }

  /** Finds the token's job, locks the secret then the job, runs `body`, audits it. */
  async #call<T>(
    token: string,
    meta: RequestMeta,
    action: string,
    body: Body<{ result: T; audit: Record<string, unknown> }>,
  ): Promise<T> {
    const lookup = jobTokenLookupHash(token);
    const result = await this.deps.db.transaction(async (tx) => {
      const found = await this.stores.rotationJobs.byToken(tx, lookup);
      if (!found) throw deadToken();
      const secret = await this.stores.secrets.byId(tx, found.secret_id, true);
      const job = await this.stores.rotationJobs.lock(tx, found.id);
      if (!secret || !job || job.ended_at !== null || job.token_lookup !== lookup) {
        throw deadToken();
      }
      const { result, audit } = await body(tx, job, secret);
      await this.stores.audit.record(tx, { label: `job:${job.id}`, tokenId: null }, meta, {
        action,
        resource: secretUri(this.deps.org, secret.owner, secret.name),
        details: { job: job.id, ...audit },
      });
      return result;
    });
    // A failure asks for a revert; the executor need not wait for its next poll.
    this.engine.due();
    return result;
  }

  async #requireCallbackMode(tx: Queryable, job: JobRow): Promise<void> {
    const row = await this.engine.jobRotator(tx, job);
    if (!this.engine.rotatorFor(row).drivesItself(row)) {
      throw invalidStatus(
        `job ${job.id} is driven by Coffer (its rotator ${job.rotator} is in driver mode): answer each call instead`,
        { job: job.id, reason: "driver-mode" },
      );
    }
  }

  #requirePhase(job: JobRow, phases: JobRow["phase"][], call: string): void {
    if (!phases.includes(job.phase)) {
      throw invalidStatus(
        `job ${job.id} is ${job.state} at step ${job.step}: ${call} is not taken there`,
        { job: job.id, state: job.state, step: job.step },
      );
    }
  }

  /** The step log: the rotator's steps since the job last changed, ending now. */
  async #log(
    tx: Queryable,
    job: JobRow,
    steps: JobStep[],
    outcome: "done" | "failed",
    error: string | null,
  ): Promise<void> {
    for (const step of steps) {
      await this.stores.rotationJobs.addStep(tx, {
        job_id: job.id,
        step,
        attempt: job.attempt,
        outcome,
        started_at: job.updated_at,
        ended_at: this.deps.now(),
        error,
      });
    }
  }

  /** The change that keeps a callback rotator's job waiting for it, from now. */
  #waiting(): Pick<JobRow, "callback_deadline" | "next_attempt_at"> {
    const deadline = this.engine.callbackDeadline();
    return { callback_deadline: deadline, next_attempt_at: deadline };
  }

  async #save(tx: Queryable, job: JobRow, change: Partial<JobRow>): Promise<JobRow> {
    const next = { ...job, ...change, updated_at: this.deps.now() };
    await this.stores.rotationJobs.save(tx, job.id, next);
    return next;
  }

  async #startView(tx: Queryable, job: JobRow, secret: SecretRow): Promise<JobStartView> {
    const values = await this.engine.versions.values(tx, secret, job);
    const policy = await this.stores.rotation.policy(tx, secret.id);
    return {
      job: job.id,
      secret: secretUri(this.deps.org, secret.owner, secret.name),
      targets: policy?.targets ?? [],
      previous: values.previous,
      current: values.current ?? "",
      pending: values.pending,
    };
  }

  #status(job: JobRow): JobStatusView {
    return {
      job: job.id,
      state: job.state,
      step: job.step,
      deadline: job.callback_deadline?.toISOString() ?? null,
    };
  }
}

const deadToken = () =>
  unauthorized("the job token is not valid: its job ended, or a newer call replaced it", {
    reason: "bad-job-token",
  });
