import { describe, expect, it } from "vitest";
import { jobLine, jobWentWell, type JobView } from "./rotation-jobs.js";

const job = (state: JobView["state"], error: string | null = null): JobView => ({
  id: "job_0123456789abcdef",
  secret: "admin/fake-secret",
  rotator: "admin/fake-rnd",
  mode: "rotation",
  trigger: "manual",
  state,
  step: "finish",
  attempt: 1,
  maxAttempts: 5,
  version: 2,
  createdAt: "2026-12-06T00:00:00.000Z",
  createdBy: "admin",
  updatedAt: "2026-12-06T00:00:01.000Z",
  finishedAt: null,
  nextAttemptAt: null,
  error,
  steps: [],
});

describe("a job's line and outcome", () => {
  it("says the job, the secret, the state and why it failed", () => {
    expect(jobLine(job("succeeded"))).toBe(
      "Job job_0123456789abcdef on admin/fake-secret is succeeded\n",
    );
    expect(jobLine(job("failed", "target state unknown"))).toBe(
      "Job job_0123456789abcdef on admin/fake-secret is failed: target state unknown\n",
    );
  });

  it("a rollback goes well when the job ends rolled_back, the others when it succeeded", () => {
    expect(jobWentWell("rollback", job("rolled_back"))).toBe(true);
    expect(jobWentWell("rollback", job("succeeded"))).toBe(false);
    expect(jobWentWell("rollback", job("failed"))).toBe(false);
    for (const verb of ["run", "test", "retry"] as const) {
      expect(jobWentWell(verb, job("succeeded")), verb).toBe(true);
      expect(jobWentWell(verb, job("failed")), verb).toBe(false);
      expect(jobWentWell(verb, job("cancelled")), verb).toBe(false);
      expect(jobWentWell(verb, job("rolled_back")), verb).toBe(false);
    }
  });
});
