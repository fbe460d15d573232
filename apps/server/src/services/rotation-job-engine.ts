/**
 * Runs rotation jobs' steps (SPEC §11), each with the job's rotator (rotators/rotator.ts);
 * core's job machine decides every transition and rotation-transitions.ts runs its actions.
 *
 * Every step commits in a transaction that locks the secret's row, then the job's row (always
 * in that order: the operators' calls do the same), and checks the caller still holds the
 * job's lease. So a step either happened entirely (its version, stage, audit event, change-feed
 * notice and new phase) or not at all, and a replica that lost its lease commits nothing.
 * - A step with nothing outside Coffer to talk to (`create`, and every step of `random`) runs
 *   inside that one transaction.
 * - A step that talks to another system (`set`, `test`, reverts of `postgres` and `webhook`)
 *   cannot hold a transaction open across the call: a first transaction reads what the call
 *   needs (values, the secrets the rotator's settings name, with its owner's rights now) and
 *   extends the lease; the call runs outside any transaction; a second transaction re-checks
 *   the lease and the phase and applies the outcome. A replica dying between the call and the
 *   commit leaves the phase unchanged: the next holder makes the call again (rotator calls are
 *   idempotent), so a target never ends up ahead of what the job records for long.
 * - A callback-mode webhook rotator drives `create`, `set` and `test` itself through the
 *   job-token API (rotation-job-callbacks.ts): the engine's `create` step only sends the start
 *   call and then waits until `callback_deadline`; a job still waiting then fails its step.
 * A step that throws rolls back, then its failure is recorded in a transaction of its own:
 * stepFailed while attempts are left and the error is retryable (core's failureEvent), else
 * stepFailedFinal; the backoff comes from core's backoff.ts. A revert that errors is tried
 * again a lease later, at most MAX_REVERT_ERRORS times; then the job ends `failed`, target state
 * unknown (the machine's revertImpossible).
 */
import {
  failureEvent,
  invalidStatus,
  isCofferError,
  JOB_PHASES,
  jobTokenLookupHash,
  mintJobToken,
  type JobEvent,
  type JobPhase,
} from "@coffer/core";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { JobChange, JobRow } from "../stores/rotation-job-store.js";
import type { RotatorRow } from "../stores/rotation-store.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import { RotationTransitions } from "./rotation-transitions.js";
import { ROTATION_ACTOR, RotationVersions } from "./rotation-versions.js";
import { rotatorFailure, type Rotator, type RotatorAction } from "./rotators/rotator.js";
import { builtInRotators, type RotatorRegistry } from "./rotators/rotators.js";
import { secretUri } from "./secret-view.js";

export { ROTATION_ACTOR };

export type RotationEngineDeps = Pick<
  Deps,
  "db" | "org" | "keyring" | "changes" | "now" | "log" | "credentialCache" | "metrics"
>;
export type RotationEngineStores = Pick<
  Stores,
  "secrets" | "keys" | "audit" | "rotation" | "rotationJobs" | "principals" | "grants"
>;

export interface RotationEngineOptions {
  /** The backoff's jitter source (tests make it exact). */
  random?: () => number;
  /** The rotators by kind (default: the built-in ones). */
  rotators?: RotatorRegistry;
  /** How long a callback rotator may go without calling back (default 10 min). */
  callbackTimeoutMs?: number;
}

/** Reverts of one attempt that may error before the job ends failed, target state unknown. */
export const MAX_REVERT_ERRORS = 5;
const DEFAULT_CALLBACK_TIMEOUT_MS = 10 * 60_000;

/** An error's words for the job's log: a CofferError's message (never a value), else generic. */
function failureText(error: unknown): string {
  return isCofferError(error) ? error.message : "internal error (see the server's log)";
}

/** Bad input or state will fail again the same way; a rotator says so itself. */
function retryable(error: unknown): boolean {
  if (!isCofferError(error)) return true;
  const said = error.details["retryable"];
  if (typeof said === "boolean") return said;
  return !["INVALID_REQUEST", "INVALID_STATUS"].includes(error.errorCode);
}

/** What a phase's step comes to: an event now, a call to make outside the transaction, or nothing yet. */
type Work =
  { kind: "event"; event: JobEvent } | { kind: "call"; prepared: PreparedCall } | undefined;

/** A rotator call read and ready in the first transaction, made after it commits. */
interface PreparedCall {
  run: () => Promise<CallResult>;
  tokenLookup: string | null;
}

/** A call's outcome: the event it ends the step with, or (callback start) a wait. */
type CallResult = { kind: "event"; event: JobEvent } | { kind: "wait" };

/** The rotator action each phase's step is, for external rotators. */
const PHASE_ACTION: Partial<Record<JobPhase, RotatorAction>> = {
  set: "set",
  test: "test",
  dryRunTest: "check",
  reverting: "revert",
  revertingToFail: "revert",
  revertingToCancel: "revert",
  rollingBack: "rollback",
};

export class RotationJobEngine {
  readonly versions: RotationVersions;
  readonly transitions: RotationTransitions;
  readonly #rotators: RotatorRegistry;
  readonly #callbackTimeoutMs: number;
  readonly #dueListeners = new Set<() => void>();

  constructor(
    private readonly deps: RotationEngineDeps,
    private readonly stores: RotationEngineStores,
    private readonly options: RotationEngineOptions = {},
  ) {
    this.versions = new RotationVersions(deps, stores);
    this.transitions = new RotationTransitions(deps, stores, this.versions, options);
    this.#rotators = options.rotators ?? builtInRotators;
    this.#callbackTimeoutMs = options.callbackTimeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
  }

  /** Listens for jobs made due now on this replica (the executor, once started); returns the un-listen. */
  onDue(listener: () => void): () => void {
    this.#dueListeners.add(listener);
    return () => this.#dueListeners.delete(listener);
  }

  /** Tells the listeners a job is due now: call once the transaction that made it so committed. */
  due(): void {
    for (const listener of this.#dueListeners) listener();
  }

  /** When a callback rotator that calls now must call again by. */
  callbackDeadline(): Date {
    return new Date(this.deps.now().getTime() + this.#callbackTimeoutMs);
  }

  /** The rotator that runs `row`'s kind; INVALID_STATUS when this server has none. */
  rotatorFor(row: Pick<RotatorRow, "kind">): Rotator {
    const rotator = this.#rotators[row.kind];
    if (!rotator) {
      throw invalidStatus(`this server cannot run ${row.kind} rotators`, {
        reason: "rotator-not-supported",
      });
    }
    return rotator;
  }

  /** The job's rotator row; INVALID_STATUS when it was deleted. */
  async jobRotator(q: Queryable, job: JobRow): Promise<RotatorRow> {
    const row =
      job.rotator_id === null
        ? undefined
        : await this.stores.rotation.rotatorById(q, job.rotator_id);
    if (!row) throw invalidStatus(`the job's rotator ${job.rotator} was deleted`);
    return row;
  }

  /** Applies `event` to `job` (see RotationTransitions.apply). */
  apply(
    tx: Queryable,
    job: JobRow,
    secret: SecretRow,
    event: JobEvent,
    change: Partial<JobChange> = {},
  ): Promise<JobRow> {
    return this.transitions.apply(tx, job, secret, event, change);
  }

  /**
   * Runs the job's current step under `owner`'s lease (see the header for how), then its
   * transition. Returns the job after it, or undefined when the lease is no longer `owner`'s
   * (another replica took it: nothing was written).
   */
  async step(jobId: string, owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const startedAt = this.deps.now();
    /** The phase whose step ran (undefined: the transaction never got that far). */
    let ran: JobPhase | undefined;
    try {
      const first = await this.#leased(jobId, owner, leaseMs, async (tx, job, secret) => {
        ran = job.phase;
        const work = await this.#work(tx, job, secret);
        if (work === undefined) return { job };
        if (work.kind === "event") {
          return { job: await this.#stepDone(tx, job, secret, work.event, startedAt) };
        }
        const saved = { ...job, token_lookup: work.prepared.tokenLookup ?? job.token_lookup };
        await this.stores.rotationJobs.save(tx, job.id, saved);
        return { job: saved, run: work.prepared.run };
      });
      if (first?.run === undefined) return first?.job;
      const result = await first.run();
      const after = await this.#leased(jobId, owner, leaseMs, async (tx, job, secret) => {
        // Moved on meanwhile (a cancel): the call's outcome is of a step no longer running.
        if (job.phase !== ran) return { job };
        if (result.kind === "event") {
          return { job: await this.#stepDone(tx, job, secret, result.event, startedAt) };
        }
        const deadline = this.callbackDeadline();
        const waiting = {
          ...job,
          callback_deadline: deadline,
          next_attempt_at: deadline,
          lease_owner: null,
          lease_until: null,
          updated_at: this.deps.now(),
        };
        await this.stores.rotationJobs.save(tx, job.id, waiting);
        return { job: waiting };
      });
      return after?.job;
    } catch (error) {
      if (ran === undefined) throw error;
      return this.#failed(jobId, owner, leaseMs, ran, startedAt, error);
    }
  }

  /** A replica took over a job whose lease expired: log it; the step runs again next. */
  async resume(jobId: string, owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const at = this.deps.now();
    const resumed = await this.#leased(jobId, owner, leaseMs, async (tx, job, secret) => {
      if (!JOB_PHASES[job.phase].active || job.phase === "backoff") return { job };
      await this.#logStep(tx, job, "replayed", at, null);
      return { job: await this.apply(tx, job, secret, { type: "leaseResumed" }) };
    });
    return resumed?.job;
  }

  /** Records a step's failure (its own transaction): retried, reverted, or the job's end. */
  async #failed(
    jobId: string,
    owner: string,
    leaseMs: number,
    failedPhase: JobPhase,
    startedAt: Date,
    error: unknown,
  ): Promise<JobRow | undefined> {
    this.deps.log.warn({ err: error, job: jobId }, "a rotation step failed");
    const failed = await this.#leased(jobId, owner, leaseMs, async (tx, job, secret) => {
      const text = failureText(error);
      const stepOf = JOB_PHASES[job.phase].step;
      // Moved on meanwhile (a cancel): the failure is of a step no longer running.
      if (job.phase !== failedPhase || stepOf === null || job.phase === "backoff") return { job };
      await this.#logStep(tx, job, "failed", startedAt, text);
      if (stepOf === "revert") {
        if (job.revert_errors + 1 >= MAX_REVERT_ERRORS) {
          return { job: await this.apply(tx, job, secret, { type: "revertImpossible" }) };
        }
        // A revert that errors is replayed (the machine's rule): try again a lease later.
        const change = {
          revert_errors: job.revert_errors + 1,
          next_attempt_at: new Date(this.deps.now().getTime() + leaseMs),
          lease_owner: null,
          lease_until: null,
        };
        await this.stores.rotationJobs.save(tx, job.id, { ...job, ...change });
        return { job: { ...job, ...change } };
      }
      const event = failureEvent(stepOf, {
        retryable: retryable(error),
        attempt: job.attempt,
        maxAttempts: job.max_attempts,
      });
      return { job: await this.apply(tx, job, secret, event, { error: text }) };
    });
    return failed?.job;
  }

  async #stepDone(
    tx: Queryable,
    job: JobRow,
    secret: SecretRow,
    event: JobEvent,
    startedAt: Date,
  ): Promise<JobRow> {
    const after = await this.apply(tx, job, secret, event);
    if (JOB_PHASES[job.phase].step !== null && job.phase !== "backoff") {
      await this.#logStep(tx, job, "done", startedAt, null);
    }
    return after;
  }

  /**
   * Locks the secret, then the job; runs `body` only while `owner` holds the job's lease
   * (extended by `leaseMs`: saved by whatever `body` saves) and the job is active.
   */
  async #leased<T extends { job: JobRow }>(
    jobId: string,
    owner: string,
    leaseMs: number,
    body: (tx: Queryable, job: JobRow, secret: SecretRow) => Promise<T>,
  ): Promise<T | undefined> {
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

  /** What the job's current phase does now (see Work). */
  async #work(tx: Queryable, job: JobRow, secret: SecretRow): Promise<Work> {
    const now = this.deps.now();
    if (job.phase === "backoff") {
      return job.next_attempt_at > now ? undefined : event({ type: "backoffElapsed" });
    }
    if (!JOB_PHASES[job.phase].active) return undefined; // ended jobs are never leased
    const rotatorRow = await this.jobRotator(tx, job);
    const rotator = this.rotatorFor(rotatorRow);
    if (rotator.drivesItself(rotatorRow) && ["create", "set", "test"].includes(job.phase)) {
      if (job.callback_deadline !== null) {
        throw rotatorFailure(
          `the rotator ${job.rotator} did not call back before ${job.callback_deadline.toISOString()}`,
          true,
          "callback-timeout",
        );
      }
      if (job.phase !== "create") throw new Error(`a callback job at ${job.phase} is not waiting`);
      return this.#prepare(tx, job, secret, rotatorRow, rotator, "start");
    }
    if (job.phase === "create" || job.phase === "dryRunCreate") {
      await this.versions.ensurePending(tx, job, secret);
      // The pending version is on `job` for the transition's actions.
      return event({ type: "stepDone", step: "create" });
    }
    if (job.phase === "finish") {
      if (job.pending_version === null || secret.pending_version !== job.pending_version) {
        throw invalidStatus("the job's pending version is no longer pending");
      }
      return event({ type: "stepDone", step: "finish" });
    }
    const action = PHASE_ACTION[job.phase];
    if (action === undefined) throw new Error(`no step for rotation phase ${job.phase}`);
    if (!rotator.external) return event(outcomeEvent(action, "done"));
    return this.#prepare(tx, job, secret, rotatorRow, rotator, action);
  }

  /** Reads what the rotator's call needs, in the step's transaction; the call runs after it. */
  async #prepare(
    tx: Queryable,
    job: JobRow,
    secret: SecretRow,
    row: RotatorRow,
    rotator: Rotator,
    action: RotatorAction,
  ): Promise<Work> {
    const policy = await this.stores.rotation.policy(tx, secret.id);
    const settings: Record<string, string> = {};
    for (const [field, ref] of Object.entries(rotator.namedSecrets(row))) {
      settings[field] = await this.versions.named(tx, row, ref, field);
    }
    const values = await this.versions.values(tx, secret, job);
    const token = rotator.usesJobToken ? mintJobToken().token : undefined;
    const call = {
      action,
      job: { id: job.id, attempt: job.attempt, mode: job.mode },
      secret: secretUri(this.deps.org, secret.owner, secret.name),
      targets: policy?.targets ?? [],
      values,
      settings,
      jobToken: token,
    };
    return {
      kind: "call",
      prepared: {
        tokenLookup: token === undefined ? null : jobTokenLookupHash(token),
        run: async (): Promise<CallResult> => {
          const outcome = await rotator.call(row, call);
          return action === "start"
            ? { kind: "wait" }
            : { kind: "event", event: outcomeEvent(action, outcome) };
        },
      },
    };
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

const event = (e: JobEvent): Work => ({ kind: "event", event: e });

/** The event a rotator action's outcome ends its step with. */
function outcomeEvent(action: RotatorAction, outcome: "done" | "impossible"): JobEvent {
  switch (action) {
    case "set":
      return { type: "stepDone", step: "set" };
    case "test":
    case "check":
      return { type: "stepDone", step: "test" };
    case "revert":
    case "rollback":
      return { type: outcome === "done" ? "revertDone" : "revertImpossible" };
    case "start":
      throw new Error("a start call ends in a wait, not an event");
  }
}
