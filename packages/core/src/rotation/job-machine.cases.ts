/**
 * The rotation job's transitions written out a second time, one line each, as the test's
 * expectation: job-machine.test.ts checks that the machine does exactly this, that every
 * row of the machine's table is listed here, and that every (phase, event) pair not listed
 * is refused. Changing the machine means changing both, on purpose.
 */
import type { JobAction, JobEventType, JobPhase } from "./job-machine.js";

export type JobCase = readonly [
  from: JobPhase,
  on: JobEventType,
  to: JobPhase,
  actions: readonly JobAction[],
];

const FAIL_UNKNOWN: readonly JobAction[] = ["recordTargetUnknown", "notifyFailed", "endJob"];

export const jobCases: readonly JobCase[] = [
  // Forward: create → set → test → finish → succeeded (promotion with its notice).
  ["create", "stepDone", "set", []],
  ["set", "stepDone", "test", []],
  ["test", "stepDone", "finish", []],
  ["finish", "stepDone", "succeeded", ["promotePending", "notifySucceeded", "endJob"]],

  // A failure before `set` discards the pending version; a retry generates a fresh one.
  ["create", "stepFailed", "backoff", ["discardPending", "scheduleBackoff"]],
  ["create", "stepFailedFinal", "failed", ["discardPending", "notifyFailed", "endJob"]],
  ["backoff", "backoffElapsed", "create", ["nextAttempt"]],

  // A failure from `set` on asks the rotator to revert; a failed test never reaches finish.
  ["set", "stepFailed", "reverting", ["revertTarget"]],
  ["set", "stepFailedFinal", "revertingToFail", ["revertTarget"]],
  ["test", "stepFailed", "reverting", ["revertTarget"]],
  ["test", "stepFailedFinal", "revertingToFail", ["revertTarget"]],
  ["finish", "stepFailed", "reverting", ["revertTarget"]],
  ["finish", "stepFailedFinal", "revertingToFail", ["revertTarget"]],
  ["reverting", "revertDone", "backoff", ["discardPending", "scheduleBackoff"]],
  ["reverting", "revertImpossible", "failed", FAIL_UNKNOWN],
  ["revertingToFail", "revertDone", "failed", ["discardPending", "notifyFailed", "endJob"]],
  ["revertingToFail", "revertImpossible", "failed", FAIL_UNKNOWN],

  // Cancel: before `set` discard; from `set` on revert first; not once the job is ending.
  ["create", "cancel", "cancelled", ["discardPending", "endJob"]],
  ["set", "cancel", "revertingToCancel", ["revertTarget"]],
  ["test", "cancel", "revertingToCancel", ["revertTarget"]],
  ["finish", "cancel", "revertingToCancel", ["revertTarget"]],
  ["reverting", "cancel", "revertingToCancel", []],
  ["backoff", "cancel", "cancelled", ["endJob"]],
  ["revertingToCancel", "revertDone", "cancelled", ["discardPending", "endJob"]],
  ["revertingToCancel", "revertImpossible", "failed", FAIL_UNKNOWN],

  // Operators on terminal states: retry a failure, roll back a success; nothing else.
  ["failed", "retry", "create", ["reopenJob", "discardPending", "resetAttempts"]],
  ["succeeded", "rollback", "rollingBack", ["reopenJob", "rollbackTarget"]],
  ["rollingBack", "revertDone", "rolledBack", ["promotePrevious", "endJob"]],
  ["rollingBack", "revertImpossible", "failed", FAIL_UNKNOWN],

  // Dry run: never sets the target, never retried, always discards its pending value.
  ["dryRunCreate", "stepDone", "dryRunTest", []],
  ["dryRunTest", "stepDone", "dryRunPassed", ["discardPending", "endJob"]],
  ["dryRunCreate", "stepFailed", "dryRunFailed", ["discardPending", "endJob"]],
  ["dryRunCreate", "stepFailedFinal", "dryRunFailed", ["discardPending", "endJob"]],
  ["dryRunCreate", "cancel", "cancelled", ["discardPending", "endJob"]],
  ["dryRunTest", "stepFailed", "dryRunFailed", ["discardPending", "endJob"]],
  ["dryRunTest", "stepFailedFinal", "dryRunFailed", ["discardPending", "endJob"]],
  ["dryRunTest", "cancel", "cancelled", ["discardPending", "endJob"]],

  // Leases: the phase stays; whoever takes the lease replays the step.
  ...(
    [
      "create",
      "set",
      "test",
      "finish",
      "reverting",
      "revertingToFail",
      "revertingToCancel",
      "rollingBack",
      "dryRunCreate",
      "dryRunTest",
    ] as const
  ).flatMap((phase): JobCase[] => [
    [phase, "leaseLost", phase, []],
    [phase, "leaseResumed", phase, ["replayStep"]],
  ]),
];
