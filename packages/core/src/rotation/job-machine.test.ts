import { describe, expect, it } from "vitest";
import { expectCofferError, thrownBy } from "../crypto/test-errors.js";
import { jobCases } from "./job-machine.cases.js";
import {
  DEFAULT_MAX_ATTEMPTS,
  JOB_EVENT_TYPES,
  JOB_PHASES,
  JOB_TRANSITIONS,
  applyJobEvent,
  failureEvent,
  initialJobPhase,
  isActiveJobPhase,
  type JobAction,
  type JobEvent,
  type JobEventType,
  type JobPhase,
} from "./job-machine.js";

const PHASES = Object.keys(JOB_PHASES) as JobPhase[];
const STEP_EVENTS = new Set<JobEventType>(["stepDone", "stepFailed", "stepFailedFinal"]);

/** The event as the server would send it in `phase` (step events carry the running step). */
function eventIn(phase: JobPhase, type: JobEventType): JobEvent {
  if (!STEP_EVENTS.has(type)) return { type } as JobEvent;
  return { type, step: JOB_PHASES[phase].step ?? "create" };
}

const key = (from: JobPhase, on: JobEventType) => `${from} ${on}`;
const caseKeys = new Set(jobCases.map(([from, on]) => key(from, on)));

describe("the job machine: every row of the cases table", () => {
  it.each(jobCases.map((c) => [`${c[0]} + ${c[1]} → ${c[2]} [${c[3].join(", ")}]`, c] as const))(
    "%s",
    (_label, [from, on, to, actions]) => {
      const outcome = applyJobEvent(from, eventIn(from, on));
      expect(outcome.phase).toBe(to);
      expect(outcome.actions).toEqual(actions);
      expect(outcome.state).toBe(JOB_PHASES[to].state);
      expect(outcome.step).toBe(JOB_PHASES[to].step);
    },
  );

  it("lists each (phase, event) once, and the machine has no row the cases do not list", () => {
    expect(caseKeys.size).toBe(jobCases.length);
    const tableKeys = JOB_TRANSITIONS.map((row) => key(row.from, row.on));
    expect(new Set(tableKeys).size).toBe(tableKeys.length);
    expect(new Set(tableKeys)).toEqual(caseKeys);
  });

  it("refuses every (phase, event) pair not in the table with INVALID_STATUS naming both", () => {
    let refused = 0;
    for (const phase of PHASES) {
      for (const type of JOB_EVENT_TYPES) {
        if (caseKeys.has(key(phase, type))) continue;
        const error = expectCofferError(
          thrownBy(() => applyJobEvent(phase, eventIn(phase, type))),
          "INVALID_STATUS",
          "invalid-transition",
        );
        const { state } = JOB_PHASES[phase];
        expect(error.message).toContain(`a ${state}`);
        expect(error.message).toContain(`cannot take ${type}`);
        expect(error.details).toMatchObject({ state, phase, event: type });
        refused++;
      }
    }
    expect(refused).toBe(PHASES.length * JOB_EVENT_TYPES.length - jobCases.length);
  });

  it("names what a phase accepts, and says so when it accepts nothing", () => {
    const failed = expectCofferError(
      thrownBy(() => applyJobEvent("failed", { type: "cancel" })),
      "INVALID_STATUS",
    );
    expect(failed.message).toBe("a failed rotation job cannot take cancel; it accepts retry");
    const running = expectCofferError(
      thrownBy(() => applyJobEvent("set", { type: "retry" })),
      "INVALID_STATUS",
    );
    expect(running.message).toBe(
      "a running (step set) rotation job cannot take retry; it accepts stepDone, stepFailed, stepFailedFinal, cancel, leaseLost, leaseResumed",
    );
    const cancelled = expectCofferError(
      thrownBy(() => applyJobEvent("cancelled", { type: "retry" })),
      "INVALID_STATUS",
    );
    expect(cancelled.message).toBe(
      "a cancelled rotation job cannot take retry; it accepts nothing",
    );
  });

  it("refuses a step report for another step than the one running (a stale replica)", () => {
    const error = expectCofferError(
      thrownBy(() => applyJobEvent("test", { type: "stepDone", step: "create" })),
      "INVALID_STATUS",
      "invalid-transition",
    );
    expect(error.message).toBe("stepDone reported for step create, but the job is at step test");
    expect(error.details["reportedStep"]).toBe("create");
  });
});

/** Phases reachable from `start` without ever entering one of `avoid`. */
function reachable(start: JobPhase, avoid: ReadonlySet<JobPhase> = new Set()): Set<JobPhase> {
  const seen = new Set<JobPhase>([start]);
  const queue = [start];
  for (let phase = queue.shift(); phase !== undefined; phase = queue.shift()) {
    for (const row of JOB_TRANSITIONS) {
      if (row.from !== phase || seen.has(row.to) || avoid.has(row.to)) continue;
      seen.add(row.to);
      queue.push(row.to);
    }
  }
  return seen;
}

const transitionsWith = (action: JobAction) =>
  JOB_TRANSITIONS.filter((row) => row.actions.includes(action)).map((row) => key(row.from, row.on));

describe("the job machine: SPEC's rules", () => {
  it("a value that failed its test is never promoted: no way to finish but through create", () => {
    for (const type of ["stepFailed", "stepFailedFinal", "cancel"] as const) {
      const after = applyJobEvent("test", eventIn("test", type)).phase;
      const onward = reachable(after, new Set<JobPhase>(["create"]));
      expect(onward.has("finish"), `${type} → ${after}`).toBe(false);
      expect(onward.has("succeeded")).toBe(false);
    }
    expect(transitionsWith("promotePending")).toEqual(["finish stepDone"]);
  });

  it("a failure before set discards the pending version; from set on, the target is reverted", () => {
    for (const type of ["stepFailed", "stepFailedFinal", "cancel"] as const) {
      expect(applyJobEvent("create", eventIn("create", type)).actions).toContain("discardPending");
      for (const phase of ["set", "test", "finish"] as const) {
        const outcome = applyJobEvent(phase, eventIn(phase, type));
        expect(outcome.actions).toEqual(["revertTarget"]);
        expect(outcome.step).toBe("revert");
      }
    }
  });

  it("a revert that cannot be done always ends failed with the target state unknown", () => {
    const rows = JOB_TRANSITIONS.filter((row) => row.on === "revertImpossible");
    expect(rows.map((row) => row.from).sort()).toEqual(
      ["reverting", "revertingToCancel", "revertingToFail", "rollingBack"].sort(),
    );
    for (const row of rows) {
      expect(row.to).toBe("failed");
      expect(row.actions).toContain("recordTargetUnknown");
      expect(row.actions).not.toContain("discardPending"); // kept for the person deciding
    }
  });

  it("terminal states accept only retry of failed and rollback of succeeded", () => {
    const accepted = PHASES.filter((phase) => !isActiveJobPhase(phase)).flatMap((phase) =>
      JOB_TRANSITIONS.filter((row) => row.from === phase).map((row) => key(row.from, row.on)),
    );
    expect(accepted.sort()).toEqual(["failed retry", "succeeded rollback"]);
  });

  it("every active phase can end, and every ending releases the job", () => {
    for (const phase of PHASES.filter(isActiveJobPhase)) {
      const ends = [...reachable(phase)].filter((p) => !isActiveJobPhase(p));
      expect(ends.length, phase).toBeGreaterThan(0);
    }
    for (const row of JOB_TRANSITIONS) {
      const ending = isActiveJobPhase(row.from) && !isActiveJobPhase(row.to);
      expect(row.actions.includes("endJob"), key(row.from, row.on)).toBe(ending);
      const reopening = !isActiveJobPhase(row.from) && isActiveJobPhase(row.to);
      expect(row.actions.includes("reopenJob"), key(row.from, row.on)).toBe(reopening);
    }
  });

  it("rotation.failed is raised on every way into failed, except a dry run's", () => {
    for (const row of JOB_TRANSITIONS) {
      expect(row.actions.includes("notifyFailed"), key(row.from, row.on)).toBe(
        row.to === "failed" && row.from !== "failed",
      );
    }
    expect(transitionsWith("notifySucceeded")).toEqual(["finish stepDone"]);
  });

  it("a dry run never sets the target, never promotes and never reaches a rotation phase", () => {
    const phases = reachable(initialJobPhase("dryRun"));
    expect([...phases].sort()).toEqual(
      ["cancelled", "dryRunCreate", "dryRunFailed", "dryRunPassed", "dryRunTest"].sort(),
    );
    expect(initialJobPhase("rotation")).toBe("create");
  });

  it("lease events never change the phase", () => {
    for (const row of JOB_TRANSITIONS.filter((r) => r.on.startsWith("lease"))) {
      expect(row.to).toBe(row.from);
    }
  });
});

/**
 * Drives a job the way the server will: each step's outcome from `outcomeOf`, failures
 * through failureEvent, reverts always possible. Returns the phases visited and actions run.
 */
function drive(outcomeOf: (phase: JobPhase, attempt: number) => "done" | "fail") {
  let phase = initialJobPhase("rotation");
  let attempt = 1;
  const actions: JobAction[] = [];
  const visited: JobPhase[] = [phase];
  for (let guard = 0; isActiveJobPhase(phase); guard++) {
    if (guard > 100) throw new Error("the machine did not end");
    let event: JobEvent;
    const step = JOB_PHASES[phase].step ?? "create";
    if (phase === "backoff") event = { type: "backoffElapsed" };
    else if (step === "revert") event = { type: "revertDone" };
    else if (outcomeOf(phase, attempt) === "done") event = { type: "stepDone", step };
    else event = failureEvent(step, { retryable: true, attempt });
    const outcome = applyJobEvent(phase, event);
    if (outcome.actions.includes("nextAttempt")) attempt++;
    actions.push(...outcome.actions);
    phase = outcome.phase;
    visited.push(phase);
  }
  return { phase, attempt, actions, visited };
}

describe("the job machine: whole runs", () => {
  it("a test that always fails ends failed after the default 5 attempts, one rotation.failed", () => {
    const run = drive((phase) => (phase === "test" ? "fail" : "done"));
    expect(run.phase).toBe("failed");
    expect(run.attempt).toBe(DEFAULT_MAX_ATTEMPTS);
    expect(run.visited.filter((p) => p === "test")).toHaveLength(DEFAULT_MAX_ATTEMPTS);
    expect(run.actions.filter((a) => a === "notifyFailed")).toHaveLength(1);
    expect(run.actions).not.toContain("promotePending");
    expect(run.actions.filter((a) => a === "revertTarget")).toHaveLength(DEFAULT_MAX_ATTEMPTS);
  });

  it("a create that fails twice then works succeeds on attempt 3, each retry discarding first", () => {
    const run = drive((phase, attempt) => (phase === "create" && attempt < 3 ? "fail" : "done"));
    expect(run.phase).toBe("succeeded");
    expect(run.attempt).toBe(3);
    expect(run.actions.filter((a) => a === "discardPending")).toHaveLength(2);
    expect(run.actions.filter((a) => a === "promotePending")).toHaveLength(1);
    expect(run.actions).not.toContain("revertTarget");
  });
});

describe("failureEvent: bounded retries", () => {
  it.each([
    [1, true, undefined, "stepFailed"],
    [4, true, undefined, "stepFailed"],
    [5, true, undefined, "stepFailedFinal"],
    [9, true, undefined, "stepFailedFinal"],
    [1, false, undefined, "stepFailedFinal"],
    [1, true, 1, "stepFailedFinal"],
    [2, true, 3, "stepFailed"],
  ] as const)("attempt %d, retryable %s, max %s → %s", (attempt, retryable, maxAttempts, type) => {
    expect(failureEvent("set", { retryable, attempt, maxAttempts })).toEqual({ type, step: "set" });
  });
});
