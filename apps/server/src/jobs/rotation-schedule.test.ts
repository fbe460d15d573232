/**
 * Automatic rotation with an injected clock: a due policy starts one job across two replicas,
 * never a second while it runs or before its next due time; disabled secrets, secrets
 * scheduled for deletion, policies with `auto` off and policies whose rotator cannot run jobs
 * yet do not rotate (and do not stop the others). On every engine.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createStores } from "../stores/stores.js";
import { builtInRotators } from "../services/rotators/rotators.js";
import { callerAs, ENGINES, serverForSuite } from "../test-support.js";
import { JobRunner } from "./jobs.js";
import { RotationExecutor } from "./rotation-executor.js";
import { rotationScheduleJob } from "./rotation-schedule.js";

const HOUR_MS = 3_600_000;

describe.each(ENGINES)("rotation schedules on %s", (engine) => {
  const clock = { offsetMs: 0 };
  // This server runs no webhook rotator, so a webhook policy is refused at start.
  const suite = serverForSuite(engine, {
    now: () => new Date(Date.now() + clock.offsetMs),
    rotation: { rotators: builtInRotators },
  });
  let admin: ReturnType<typeof callerAs>;
  const schedule = () =>
    rotationScheduleJob(
      suite.server.deps,
      createStores(suite.server.deps),
      suite.server.services.rotationJobs,
    );
  const jobsOf = async () =>
    suite.server.deps.db.query<{ name: string; trigger: string; state: string }>(
      `SELECT s.name, j.trigger, j.state FROM rotation_jobs j JOIN secrets s ON s.id = j.secret_id
       ORDER BY j.created_at`,
    );

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    await admin.rotator.create({ name: "rnd", kind: "random" });
    for (const secret of ["due", "off", "doomed", "manual"]) {
      await admin.secret.create({ secret, value: `fake-${secret}` });
      await admin.rotation.configure({
        secret,
        rotator: "rnd",
        every: "1h",
        auto: secret !== "manual",
      });
    }
    // A policy whose rotator this server cannot run is refused alone; the others still start.
    await admin.rotator.create({
      name: "hook",
      kind: "webhook",
      webhook: { url: "https://hooks.example.test/rotate" },
    });
    await admin.secret.create({ secret: "hooked", value: "fake-hooked" });
    await admin.rotation.configure({ secret: "hooked", rotator: "hook", every: "1h" });
    await admin.secret.disable({ secret: "off" });
    await admin.secret.delete({ secret: "doomed", recoveryDays: 7 });
  });

  it("starts a due policy's job once across two replicas, and not again until due", async () => {
    const mine = new JobRunner(suite.server.deps, suite.server.services, [schedule()]);
    const other = new JobRunner(
      { ...suite.server.deps, db: await suite.database.open() },
      suite.server.services,
      [schedule()],
    );
    const job = schedule();
    expect(await mine.runOnce(job)).toBe(true);
    expect(await jobsOf()).toEqual([]); // not due yet
    clock.offsetMs += 1.5 * HOUR_MS;
    const ran = await Promise.all([mine.runOnce(job), other.runOnce(job)]);
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(await jobsOf()).toEqual([{ name: "due", trigger: "schedule", state: "running" }]);
    // While it is active, the next run starts nothing.
    clock.offsetMs += job.periodMs;
    expect(await other.runOnce(job)).toBe(true);
    expect(await jobsOf()).toHaveLength(1);
    const executor = new RotationExecutor(suite.server.deps, suite.server.services.rotationEngine);
    expect(await executor.tick()).toBe(1);
    expect((await jobsOf())[0]?.state).toBe("succeeded");
    // Rotated just now: the next rotation is an hour away.
    clock.offsetMs += job.periodMs;
    expect(await mine.runOnce(job)).toBe(true);
    expect(await jobsOf()).toHaveLength(1);
    clock.offsetMs += HOUR_MS;
    expect(await mine.runOnce(job)).toBe(true);
    expect((await jobsOf()).map((j) => j.name)).toEqual(["due", "due"]);
    // A scheduled job that ends without a rotation is not started again until a period on.
    expect((await admin.rotation.cancel({ secret: "due" })).state).toBe("cancelled");
    clock.offsetMs += job.periodMs;
    expect(await mine.runOnce(job)).toBe(true);
    expect(await jobsOf()).toHaveLength(2);
    clock.offsetMs += HOUR_MS;
    expect(await other.runOnce(job)).toBe(true);
    expect((await jobsOf()).map((j) => j.state)).toEqual(["succeeded", "cancelled", "running"]);
  });

  it("raises rotation.missed once when a window passed without a start, then catches up", async () => {
    await admin.secret.create({ secret: "late", value: "fake-late" });
    await admin.rotation.configure({ secret: "late", rotator: "rnd", every: "1h", window: "1h" });
    const job = schedule();
    const runner = new JobRunner(suite.server.deps, suite.server.services, [job]);
    const missed = async () =>
      suite.server.deps.db.query<{ details: { catchingUp: boolean } }>(
        "SELECT details FROM audit_events WHERE action = 'rotation.missed' AND resource LIKE '%/late'",
      );
    // The server was down past the due time and its window: an `every` policy catches up.
    clock.offsetMs += 2.5 * HOUR_MS;
    expect(await runner.runOnce(job)).toBe(true);
    expect((await missed()).map((m) => m.details.catchingUp)).toEqual([true]);
    const late = async () =>
      (await jobsOf()).filter((j) => j.name === "late").map((j) => j.trigger);
    expect(await late()).toEqual(["schedule"]);
    // Not raised again for the same due time.
    clock.offsetMs += job.periodMs;
    expect(await runner.runOnce(job)).toBe(true);
    expect(await missed()).toHaveLength(1);
  });
});
