/**
 * The job engine with a rotator that talks to another system (SPEC §11), through a recording
 * test rotator registered in place of `webhook`: the calls are made outside the transaction
 * with the right values; a failed test is reverted with the current value and nothing is
 * promoted; a revert the rotator cannot do ends `failed`, target state unknown; a revert that
 * keeps erroring is bounded; operator retry and rollback (the previous value set back on the
 * target, then previous → current). On every engine.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { invalidStatus, TARGET_STATE_UNKNOWN } from "@coffer/core";
import { RotationExecutor } from "../jobs/rotation-executor.js";
import { callerAs, ENGINES, refusal, serverForSuite } from "../test-support.js";
import { MAX_REVERT_ERRORS } from "./rotation-job-engine.js";
import type { Rotator, RotatorAction, RotatorCall, RotatorOutcome } from "./rotators/rotator.js";
import { randomRotator } from "./rotators/random-rotator.js";

/** What the fake target holds, and what each call saw. */
class FakeTarget implements Rotator {
  readonly kind = "webhook" as const;
  readonly external = true;
  readonly usesJobToken = false;
  holds = "fake-initial";
  calls: { action: RotatorAction; value: string | null; inTransaction: boolean }[] = [];
  /** Per action: what to do instead of succeeding. */
  fail: Partial<Record<RotatorAction, "error" | "impossible">> = {};
  constructor(private readonly openTransactions: () => Promise<number>) {}
  namedSecrets = () => ({});
  drivesItself = () => false;
  async call(_row: unknown, call: RotatorCall): Promise<RotatorOutcome> {
    const value =
      call.action === "set" || call.action === "test"
        ? call.values.pending
        : call.action === "rollback"
          ? call.values.previous
          : call.values.current;
    this.calls.push({
      action: call.action,
      value,
      inTransaction: (await this.openTransactions()) > 0,
    });
    const fail = this.fail[call.action];
    if (fail === "error") throw invalidStatus(`fake ${call.action} failure`, { retryable: true });
    if (fail === "impossible") return "impossible";
    if (call.action === "test" && this.holds !== value) throw invalidStatus("fake test mismatch");
    if (call.action !== "test" && call.action !== "check") this.holds = value ?? "";
    return "done";
  }
}

describe.each(ENGINES)("rotation jobs with an external rotator on %s", (engine) => {
  // Transactions open on this database other than the reader's own (PGlite runs one at a
  // time, so a call made inside one would deadlock there instead: the count is 0 on it).
  const openTransactions = async () =>
    engine === "postgres"
      ? (
          await db().query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
             AND xact_start IS NOT NULL AND pid <> pg_backend_pid() AND state <> 'idle'`,
          )
        )[0]!.n
      : 0;
  const target = new FakeTarget(openTransactions);
  // A jitter of 0: a retry is due at once.
  const suite = serverForSuite(engine, {
    rotation: { random: () => 0, rotators: { random: randomRotator, webhook: target } },
  });
  let admin: ReturnType<typeof callerAs>;
  let runner: RotationExecutor;
  const db = () => suite.server.deps.db;
  const reveal = async (secret: string, stage?: "current" | "previous" | "pending") =>
    (await admin.secret.reveal(stage ? { secret, stage } : { secret })).value;
  const latest = async (secret: string) => (await admin.rotation.jobs({ secret })).items[0]!;
  /** Runs due jobs until none is left due. */
  const settle = async () => {
    for (let i = 0; i < 20 && (await runner.tick()) > 0; i++);
  };

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    runner = new RotationExecutor(suite.server.deps, suite.server.services.rotationEngine, {
      owner: "ext",
    });
    await admin.rotator.create({
      name: "ext",
      kind: "webhook",
      webhook: { url: "https://hooks.example.test/rotate" },
    });
  });

  const rotating = async (secret: string) => {
    await admin.secret.create({ secret, value: "fake-initial" });
    await admin.rotation.configure({ secret, rotator: "ext", auto: false, maxAttempts: 2 });
    target.holds = "fake-initial";
    target.calls = [];
    target.fail = {};
  };

  it("sets and tests the pending value outside any transaction, then promotes it", async () => {
    await rotating("ext_ok");
    await admin.rotation.run({ secret: "ext_ok" });
    await settle();
    const job = await latest("ext_ok");
    expect(job.state).toBe("succeeded");
    const value = await reveal("ext_ok");
    expect(value).not.toBe("fake-initial");
    expect(target.holds).toBe(value);
    expect(target.calls.map((c) => [c.action, c.value === value, c.inTransaction])).toEqual([
      ["set", true, false],
      ["test", true, false],
    ]);
  });

  it("never promotes a value whose test failed: reverts, retries afresh, then fails", async () => {
    await rotating("ext_bad_test");
    target.fail = { test: "error" };
    await admin.rotation.run({ secret: "ext_bad_test" });
    await settle();
    const job = await latest("ext_bad_test");
    expect(job).toMatchObject({ state: "failed", attempt: 2, error: "fake test failure" });
    expect(await reveal("ext_bad_test")).toBe("fake-initial");
    expect(target.holds).toBe("fake-initial");
    expect(target.calls.map((c) => c.action)).toEqual([
      "set",
      "test",
      "revert",
      "set",
      "test",
      "revert",
    ]);
    // Two attempts, two fresh values; both reverts put the current value back.
    expect(target.calls[0]!.value).not.toBe(target.calls[3]!.value);
    expect(target.calls.filter((c) => c.action === "revert").map((c) => c.value)).toEqual([
      "fake-initial",
      "fake-initial",
    ]);
    expect(
      (await refusal(admin.secret.reveal({ secret: "ext_bad_test", stage: "pending" }))).errorCode,
    ).toBe("NOT_FOUND");

    // An operator retry starts again at create, attempts counted from 1.
    target.fail = {};
    const retried = await admin.rotation.retry({ secret: "ext_bad_test" });
    expect(retried).toMatchObject({ id: job.id, state: "running", step: "create", attempt: 1 });
    expect(retried.error).toBeNull();
    await settle();
    expect(await latest("ext_bad_test")).toMatchObject({ id: job.id, state: "succeeded" });
    expect(target.holds).toBe(await reveal("ext_bad_test"));
  });

  it("fails with the target state unknown when the rotator cannot put it back", async () => {
    await rotating("ext_unknown");
    target.fail = { test: "error", revert: "impossible" };
    await admin.rotation.run({ secret: "ext_unknown" });
    await settle();
    const job = await latest("ext_unknown");
    expect(job).toMatchObject({ state: "failed", error: TARGET_STATE_UNKNOWN, attempt: 1 });
    // The pending version stays, so a person can see what the target may hold.
    expect(await reveal("ext_unknown", "pending")).toBe(target.holds);
    expect(await reveal("ext_unknown")).toBe("fake-initial");
  });

  it("bounds a revert that keeps erroring", async () => {
    await rotating("ext_revert_err");
    target.fail = { test: "error", revert: "error" };
    const started = await admin.rotation.run({ secret: "ext_revert_err" });
    for (let i = 0; i < MAX_REVERT_ERRORS + 5; i++) {
      await settle();
      // A revert that errored waits a lease: make it due now.
      await db().query("UPDATE rotation_jobs SET next_attempt_at = $2 WHERE id = $1", [
        started.id,
        new Date(Date.now() - 1_000),
      ]);
    }
    const job = await latest("ext_revert_err");
    expect(job, JSON.stringify(job)).toMatchObject({
      state: "failed",
      error: TARGET_STATE_UNKNOWN,
    });
    expect(target.calls.filter((c) => c.action === "revert")).toHaveLength(MAX_REVERT_ERRORS);
  });

  it("rolls back a succeeded job: the target first, then previous → current", async () => {
    await rotating("ext_rollback");
    await admin.rotation.run({ secret: "ext_rollback" });
    await settle();
    const rotated = await reveal("ext_rollback");
    // A retry of a success is refused, naming what the job accepts.
    const refused = await refusal(admin.rotation.retry({ secret: "ext_rollback" }));
    expect(refused.errorCode).toBe("INVALID_STATUS");
    expect(refused.message).toContain("rollback");

    const job = await admin.rotation.rollback({ secret: "ext_rollback" });
    expect(job).toMatchObject({ state: "running", step: "revert" });
    // Stage moves wait for it like for any active job.
    expect((await refusal(admin.secret.rollback({ secret: "ext_rollback" }))).message).toContain(
      job.id,
    );
    await settle();
    expect(await latest("ext_rollback")).toMatchObject({ id: job.id, state: "rolled_back" });
    expect(target.calls.at(-1)).toMatchObject({ action: "rollback", value: "fake-initial" });
    expect(target.holds).toBe("fake-initial");
    expect(await reveal("ext_rollback")).toBe("fake-initial");
    expect(await reveal("ext_rollback", "previous")).toBe(rotated);
    const audit = await db().query<{ details: { job: string } }>(
      "SELECT details FROM audit_events WHERE action = 'rotation.rolled_back'",
    );
    expect(audit.map((a) => a.details.job)).toContain(job.id);
    // Once rolled back, the job takes nothing more.
    expect((await refusal(admin.rotation.rollback({ secret: "ext_rollback" }))).errorCode).toBe(
      "INVALID_STATUS",
    );
  });

  it("refuses a rollback once the secret has moved on from the job's version", async () => {
    await rotating("ext_moved");
    await admin.rotation.run({ secret: "ext_moved" });
    await settle();
    await admin.secret.put({ secret: "ext_moved", value: "fake-by-hand" });
    const refused = await refusal(admin.rotation.rollback({ secret: "ext_moved" }));
    expect(refused.errorCode).toBe("INVALID_STATUS");
    expect(refused.message).toContain("no longer");
    expect(await reveal("ext_moved")).toBe("fake-by-hand");
  });

  it("a rollback the target cannot take ends failed, target state unknown; nothing moves", async () => {
    await rotating("ext_rb_fail");
    await admin.rotation.run({ secret: "ext_rb_fail" });
    await settle();
    const rotated = await reveal("ext_rb_fail");
    target.fail = { rollback: "impossible" };
    await admin.rotation.rollback({ secret: "ext_rb_fail" });
    await settle();
    expect(await latest("ext_rb_fail")).toMatchObject({
      state: "failed",
      error: TARGET_STATE_UNKNOWN,
    });
    expect(await reveal("ext_rb_fail")).toBe(rotated);
  });
});
