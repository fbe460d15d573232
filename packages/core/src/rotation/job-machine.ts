/**
 * A rotation job's state machine (SPEC §11), as data: JOB_TRANSITIONS lists every
 * (phase, event) → phase the machine accepts, with the side effects the server runs for it
 * (JobAction). `applyJobEvent` looks the pair up and refuses anything else with
 * INVALID_STATUS naming the state and the event. The server executes the actions; it
 * decides nothing about order or legality itself.
 *
 * A *phase* is finer than SPEC's state: it also says which step runs and, while the target is
 * being put back, what the job ends as afterwards. Each phase maps to one public (state, step)
 * in JOB_PHASES. Steps: `create` (pending version written) → `set` (target takes it) → `test`
 * → `finish` (pending → current, one transaction with its audit event and change-feed notice),
 * plus `revert` (the rotator puts the target back) where a failure, cancel or rollback needs it.
 *
 * SPEC rules and where they live:
 * - A pending value that failed its test is never promoted: from `test` a failure leads only
 *   to revert phases, and the only way back to `finish` goes through `create` (fresh value).
 * - A failure before `set` (in `create`) discards the pending version; a failure in `set`,
 *   `test` or `finish` asks the rotator to revert (`revertTarget`). `revertImpossible` ends
 *   the job `failed` with TARGET_STATE_UNKNOWN, keeping the pending version so a person can
 *   see what the target may hold.
 * - Bounded retries: the server turns a failure into `stepFailed` only while attempts are left
 *   (`failureEvent`, DEFAULT_MAX_ATTEMPTS), else `stepFailedFinal`; a final failure ends
 *   `failed` with `notifyFailed` (`rotation.failed`). Never silent, never endless.
 * - Terminal states accept only what SPEC allows: `retry` of a failed job, `rollback` of a
 *   succeeded one. A dry run's end (`rotation.test`) accepts nothing.
 * - Lease lost / resumed change nothing but replay the running step (steps are idempotent).
 *   A revert that errors (as opposed to one the rotator says it cannot do) is replayed the
 *   same way; the server bounds those replays and then sends `revertImpossible`, so a job
 *   never waits on a revert forever.
 *
 * Choices where SPEC is silent (what an AWS Secrets Manager or Vault user would expect):
 * - A failure in `set` is treated as after `set`: the target may have taken the value before
 *   the error (a timeout after ALTER ROLE), and putting the current value back is harmless
 *   when it had not.
 * - A failure in `finish` (the promotion's transaction did not commit) reverts too: the
 *   secret still says the old value is current, so the target is put back to match it.
 * - A retry always starts over at `create` with a fresh value (SPEC), after the backoff; an
 *   operator `retry` of a failed job also discards any pending version left behind and resets
 *   the attempt count, as AWS's RotateSecret does after a failed rotation.
 * - `cancel` is accepted while the job is active and not already ending: before `set` it
 *   discards the pending version; from `set` on it reverts first and ends `cancelled`
 *   (or `failed`, target state unknown, when the revert is impossible). Cancelling during
 *   `finish` is allowed (scheduling a deletion cancels the active job): the promotion
 *   checks the phase in its transaction, so exactly one of the two wins.
 * - `rollback` of a succeeded job makes it active again: the rotator sets the *previous*
 *   value on the target (`rollbackTarget`), then previous → current (`promotePrevious`). If the
 *   target cannot be set back the job ends `failed` (target state unknown); a `retry` then
 *   rotates afresh, which puts target and secret back in step.
 * - A dry run (`rotation.test`) never sets the target (that would change a live password for
 *   the length of the test): `create` then `test` (the rotator checks what it can without
 *   changing anything), then the pending version is discarded. It is never retried, raises
 *   no `rotation.failed`, and its end accepts neither `retry` nor `rollback`.
 */
import { invalidStatus } from "../errors.js";

export const JOB_STATES = [
  "running",
  "retrying",
  "succeeded",
  "failed",
  "cancelled",
  "rolled_back",
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** SPEC's steps in order, then `revert`, which runs only to undo a `set`. */
export const JOB_STEPS = ["create", "set", "test", "finish", "revert"] as const;
export type JobStep = (typeof JOB_STEPS)[number];

export const DEFAULT_MAX_ATTEMPTS = 5;
/** The error a job ends with when the rotator cannot put the target back. */
export const TARGET_STATE_UNKNOWN = "target state unknown";

/**
 * Where a job is. `step` is null for phases that keep showing the step the job stopped at
 * (a failed job shows the step that failed). `active` phases hold the secret's one active-job
 * slot: no other job starts and users cannot move stages or write `pending` meanwhile.
 */
export const JOB_PHASES = {
  create: { state: "running", step: "create", active: true },
  set: { state: "running", step: "set", active: true },
  test: { state: "running", step: "test", active: true },
  finish: { state: "running", step: "finish", active: true },
  /** Reverting after a failure with attempts left; then the backoff. */
  reverting: { state: "retrying", step: "revert", active: true },
  /** Waiting for the backoff to elapse; the next attempt starts at `create`. */
  backoff: { state: "retrying", step: "create", active: true },
  revertingToFail: { state: "running", step: "revert", active: true },
  revertingToCancel: { state: "running", step: "revert", active: true },
  rollingBack: { state: "running", step: "revert", active: true },
  dryRunCreate: { state: "running", step: "create", active: true },
  dryRunTest: { state: "running", step: "test", active: true },
  succeeded: { state: "succeeded", step: "finish", active: false },
  failed: { state: "failed", step: null, active: false },
  cancelled: { state: "cancelled", step: null, active: false },
  rolledBack: { state: "rolled_back", step: "revert", active: false },
  dryRunPassed: { state: "succeeded", step: "test", active: false },
  dryRunFailed: { state: "failed", step: null, active: false },
} as const satisfies Record<string, { state: JobState; step: JobStep | null; active: boolean }>;
export type JobPhase = keyof typeof JOB_PHASES;

export type JobMode = "rotation" | "dryRun";

/** The phase a new job starts in: `rotation.run` and schedules, or `rotation.test`. */
export function initialJobPhase(mode: JobMode): JobPhase {
  return mode === "rotation" ? "create" : "dryRunCreate";
}

export const JOB_EVENT_TYPES = [
  /** The running step finished; carries the step so a stale report cannot advance another. */
  "stepDone",
  /** The running step failed and may be retried: retryable, attempts left. */
  "stepFailed",
  /** The running step failed for good: not retryable, or no attempt left. */
  "stepFailedFinal",
  "revertDone",
  "revertImpossible",
  "backoffElapsed",
  "cancel",
  /** Operator retry of a failed job. */
  "retry",
  /** Operator rollback of a succeeded job. */
  "rollback",
  /** The replica running the step lost its lease: it stops; nothing changes. */
  "leaseLost",
  /** Another replica (or the restarted one) took the lease: it replays the step. */
  "leaseResumed",
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export type JobEvent =
  | { type: "stepDone" | "stepFailed" | "stepFailedFinal"; step: JobStep }
  | { type: Exclude<JobEventType, "stepDone" | "stepFailed" | "stepFailedFinal"> };

/** Side effects the server runs for a transition, in the listed order. */
export const JOB_ACTIONS = [
  /** Remove the pending version, if any (idempotent). */
  "discardPending",
  /** Ask the rotator to put the current value back on the target; answered by revertDone / revertImpossible. */
  "revertTarget",
  /** Ask the rotator to put the previous value on the target (rollback); answered the same way. */
  "rollbackTarget",
  /** Pending → current, current → previous, with its audit event and change-feed notice. */
  "promotePending",
  /** Previous → current (rollback), with its audit event and change-feed notice. */
  "promotePrevious",
  /** Set when the next attempt may start (backoff.ts). */
  "scheduleBackoff",
  /** Count the attempt that is starting. */
  "nextAttempt",
  /** Operator retry: the attempt count starts again at 1. */
  "resetAttempts",
  /** The job's error becomes TARGET_STATE_UNKNOWN. */
  "recordTargetUnknown",
  /** Raise `rotation.succeeded`. */
  "notifySucceeded",
  /** Raise `rotation.failed`. */
  "notifyFailed",
  /** Take the secret's active-job slot again and issue a new job token (refused if taken). */
  "reopenJob",
  /** Release the secret's active-job slot and kill the job token. */
  "endJob",
  /** Run the phase's step again from its start. */
  "replayStep",
] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

export interface JobTransition {
  from: JobPhase;
  on: JobEventType;
  to: JobPhase;
  actions: readonly JobAction[];
}

const t = (
  from: JobPhase,
  on: JobEventType,
  to: JobPhase,
  ...actions: JobAction[]
): JobTransition => ({ from, on, to, actions });

const STEP_PHASES = ["create", "set", "test", "finish"] as const;
const REVERT_PHASES = ["reverting", "revertingToFail", "revertingToCancel", "rollingBack"] as const;
const DRY_RUN_PHASES = ["dryRunCreate", "dryRunTest"] as const;

/** Every phase where a step (or a revert) runs under a lease. */
const LEASED_PHASES = [...STEP_PHASES, ...REVERT_PHASES, ...DRY_RUN_PHASES] as const;

/** A failure from `set` on: put the target back, then retry or fail. */
const afterSet = (from: JobPhase): JobTransition[] => [
  t(from, "stepFailed", "reverting", "revertTarget"),
  t(from, "stepFailedFinal", "revertingToFail", "revertTarget"),
  t(from, "cancel", "revertingToCancel", "revertTarget"),
];

const failedTargetUnknown = (from: JobPhase): JobTransition =>
  t(from, "revertImpossible", "failed", "recordTargetUnknown", "notifyFailed", "endJob");

export const JOB_TRANSITIONS: readonly JobTransition[] = [
  // create: the pending version is written. A failure here is before `set`: discard it.
  t("create", "stepDone", "set"),
  t("create", "stepFailed", "backoff", "discardPending", "scheduleBackoff"),
  t("create", "stepFailedFinal", "failed", "discardPending", "notifyFailed", "endJob"),
  t("create", "cancel", "cancelled", "discardPending", "endJob"),
  // set → test → finish; from `set` on, failures and cancels revert the target first.
  t("set", "stepDone", "test"),
  ...afterSet("set"),
  t("test", "stepDone", "finish"),
  ...afterSet("test"),
  // finish: its work is this transition, committed in one transaction.
  t("finish", "stepDone", "succeeded", "promotePending", "notifySucceeded", "endJob"),
  ...afterSet("finish"),
  // Reverting, then: a retry after the backoff, a failure, a cancel, or a rollback.
  t("reverting", "revertDone", "backoff", "discardPending", "scheduleBackoff"),
  failedTargetUnknown("reverting"),
  t("reverting", "cancel", "revertingToCancel"),
  t("backoff", "backoffElapsed", "create", "nextAttempt"),
  t("backoff", "cancel", "cancelled", "endJob"),
  t("revertingToFail", "revertDone", "failed", "discardPending", "notifyFailed", "endJob"),
  failedTargetUnknown("revertingToFail"),
  t("revertingToCancel", "revertDone", "cancelled", "discardPending", "endJob"),
  failedTargetUnknown("revertingToCancel"),
  t("rollingBack", "revertDone", "rolledBack", "promotePrevious", "endJob"),
  failedTargetUnknown("rollingBack"),
  // A dry run: create, test, discard; never sets the target, never retried.
  t("dryRunCreate", "stepDone", "dryRunTest"),
  t("dryRunTest", "stepDone", "dryRunPassed", "discardPending", "endJob"),
  ...DRY_RUN_PHASES.flatMap((from) => [
    t(from, "stepFailed", "dryRunFailed", "discardPending", "endJob"),
    t(from, "stepFailedFinal", "dryRunFailed", "discardPending", "endJob"),
    t(from, "cancel", "cancelled", "discardPending", "endJob"),
  ]),
  // Terminal states: only an operator's retry of a failure or rollback of a success.
  t("failed", "retry", "create", "reopenJob", "discardPending", "resetAttempts"),
  t("succeeded", "rollback", "rollingBack", "reopenJob", "rollbackTarget"),
  // Leases: no change of phase; the new holder replays the step.
  ...LEASED_PHASES.flatMap((from) => [
    t(from, "leaseLost", from),
    t(from, "leaseResumed", from, "replayStep"),
  ]),
];

const byKey = new Map<string, JobTransition>(
  JOB_TRANSITIONS.map((row) => [`${row.from} ${row.on}`, row]),
);

export interface JobOutcome {
  phase: JobPhase;
  state: JobState;
  /** The step to show; null keeps the one shown before (where the job stopped). */
  step: JobStep | null;
  actions: readonly JobAction[];
}

/** The events a phase accepts, in table order (for error messages and clients). */
export function acceptedJobEvents(phase: JobPhase): JobEventType[] {
  return JOB_TRANSITIONS.filter((row) => row.from === phase).map((row) => row.on);
}

/**
 * Applies an event to a job in `phase`. Pure: returns the next phase, its public state and
 * step, and the actions to run; throws INVALID_STATUS when the phase does not accept it.
 */
export function applyJobEvent(phase: JobPhase, event: JobEvent): JobOutcome {
  const { state, step } = JOB_PHASES[phase];
  const row = byKey.get(`${phase} ${event.type}`);
  const accepted = acceptedJobEvents(phase);
  const details = { reason: "invalid-transition", state, step, phase, event: event.type, accepted };
  if (!row) {
    const allowed = accepted.length === 0 ? "nothing" : accepted.join(", ");
    const at = step === null ? state : `${state} (step ${step})`;
    throw invalidStatus(
      `a ${at} rotation job cannot take ${event.type}; it accepts ${allowed}`,
      details,
    );
  }
  if ("step" in event && event.step !== step) {
    throw invalidStatus(
      `${event.type} reported for step ${event.step}, but the job is at step ${step ?? "none"}`,
      { ...details, reportedStep: event.step },
    );
  }
  const next = JOB_PHASES[row.to];
  return { phase: row.to, state: next.state, step: next.step, actions: row.actions };
}

/**
 * The event for a failed step: `stepFailed` (retry after a backoff) while the failure is
 * retryable and `attempt` (1 for the first run) is below `maxAttempts`, else `stepFailedFinal`.
 */
export function failureEvent(
  step: JobStep,
  failure: { retryable: boolean; attempt: number; maxAttempts?: number | undefined },
): JobEvent {
  const max = failure.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retry = failure.retryable && failure.attempt < max;
  return { type: retry ? "stepFailed" : "stepFailedFinal", step };
}

/** True for phases that hold the secret's one active-job slot. */
export const isActiveJobPhase = (phase: JobPhase): boolean => JOB_PHASES[phase].active;
