/**
 * Rotation jobs with the `random` rotator (SPEC §11), through the router and the executor
 * (driven by `tick()`, the server's own loop being off in tests): a run promotes a fresh
 * value (whole, or only the targets' keys) with previous holding the old one; one active job
 * per secret, also under concurrency; stage moves and pending writes refused meanwhile; a
 * cancel promotes nothing; a lease taken over mid-job promotes exactly once; a dry run never
 * promotes. On every engine.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RotationExecutor } from "../jobs/rotation-executor.js";
import { createStores } from "../stores/stores.js";
import { RotationJobEngine } from "./rotation-job-engine.js";
import { actorFor, callerAs, ENGINES, refusal, serverForSuite } from "../test-support.js";

describe.each(ENGINES)("rotation jobs on %s", (engine) => {
  const suite = serverForSuite(engine);
  let admin: ReturnType<typeof callerAs>;
  const db = () => suite.server.deps.db;
  const executor = (owner: string) =>
    new RotationExecutor(suite.server.deps, suite.server.services.rotationEngine, { owner });
  const reveal = async (secret: string, stage?: "current" | "previous" | "pending") =>
    (await admin.secret.reveal(stage ? { secret, stage } : { secret })).value;
  const promotions = async (secret: string) =>
    (
      await db().query(
        "SELECT 1 FROM audit_events WHERE action = 'rotation.succeeded' AND resource LIKE $1",
        [`%/${secret}`],
      )
    ).length;

  /** A secret with a `random` policy (manual only: no schedule runs in these tests). */
  const rotating = async (secret: string, value: string, targets?: string[]) => {
    await admin.secret.create({ secret, value });
    await admin.rotation.configure({
      secret,
      rotator: "rnd",
      auto: false,
      generate: { length: 24 },
      ...(targets ? { targets } : {}),
    });
  };

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    await admin.rotator.create({ name: "rnd", kind: "random" });
  });

  it("runs a rotation: a fresh value becomes current, the old one previous", async () => {
    await rotating("whole", "fake-old-value");
    const job = await admin.rotation.run({ secret: "whole" });
    expect(job).toMatchObject({ state: "running", step: "create", mode: "rotation" });
    expect((await admin.rotation.get({ secret: "whole" })).activeJob).toBe(job.id);
    expect(await executor("a").tick()).toBe(1);
    const [done] = (await admin.rotation.jobs({ secret: "whole" })).items;
    expect(done).toMatchObject({ id: job.id, state: "succeeded", step: "finish", version: 2 });
    expect(done!.steps.map((s) => [s.step, s.outcome])).toEqual([
      ["create", "done"],
      ["set", "done"],
      ["test", "done"],
      ["finish", "done"],
    ]);
    const value = await reveal("whole");
    expect(value).not.toBe("fake-old-value");
    expect(value).toHaveLength(24);
    expect(await reveal("whole", "previous")).toBe("fake-old-value");
    expect(await promotions("whole")).toBe(1);
    const policy = await admin.rotation.get({ secret: "whole" });
    expect(policy.activeJob).toBeNull();
    // No value in the job's log or the audit trail.
    const audit = await db().query<{ details: unknown }>(
      "SELECT details FROM audit_events WHERE action LIKE 'rotation.%'",
    );
    expect(JSON.stringify([done, audit])).not.toContain(value);
  });

  it("tells the change feed: the promotion, then rotation.succeeded / rotation.failed", async () => {
    await rotating("fed", "fake-fed");
    await rotating("fed_bad", "fake-not-json", ["password"]);
    const stop = new AbortController();
    const heard: string[] = [];
    const listening = (async () => {
      for await (const change of suite.server.deps.changes.subscribe(stop.signal)) {
        if (change.name.startsWith("fed"))
          heard.push(`${change.name} ${change.event} ${change.version}`);
        if (heard.some((h) => h.includes("rotation.failed"))) return;
      }
    })();
    await admin.rotation.run({ secret: "fed" });
    await executor("a").tick();
    await admin.rotation.run({ secret: "fed_bad" });
    await executor("a").tick();
    await listening;
    stop.abort();
    expect(heard).toEqual([
      "fed put 2",
      "fed stage 2",
      "fed rotation.succeeded 2",
      "fed_bad rotation.failed 1",
    ]);
  });

  it("rotates only the targets' keys of a JSON value", async () => {
    await rotating("json", '{"user":"fake-app","password":"fake-pw","port":5432}', ["password"]);
    await admin.rotation.run({ secret: "json" });
    await executor("a").tick();
    const after = JSON.parse(await reveal("json")) as Record<string, unknown>;
    expect(after["user"]).toBe("fake-app");
    expect(after["port"]).toBe(5432);
    expect(after["password"]).not.toBe("fake-pw");
    expect(after["password"]).toHaveLength(24);
  });

  it("keeps one active job per secret, also when two runs race; stages wait for it", async () => {
    await rotating("race", "fake-race");
    const calls = [admin.rotation.run({ secret: "race" }), admin.rotation.run({ secret: "race" })];
    const runs = await Promise.allSettled(calls);
    const won = runs.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    const id = won[0]!.value.id;
    const lost = await refusal(calls[runs.findIndex((r) => r.status === "rejected")]!);
    expect(lost.errorCode).toBe("INVALID_STATUS");
    expect(lost.message).toContain(id);
    const again = await refusal(admin.rotation.test({ secret: "race" }));
    expect(again.message).toContain(id);
    const active = await db().query(
      "SELECT 1 FROM rotation_jobs WHERE ended_at IS NULL AND secret_id = (SELECT id FROM secrets WHERE name = 'race')",
    );
    expect(active).toHaveLength(1);
    // Users cannot move stages or write `pending` meanwhile; a current put is fine.
    await admin.secret.put({ secret: "race", value: "fake-race-2" });
    expect(
      (await refusal(admin.secret.put({ secret: "race", value: "fake-p", stage: "pending" })))
        .message,
    ).toContain(id);
    expect(
      (await refusal(admin.secret.moveStage({ secret: "race", version: 1, stage: "current" })))
        .message,
    ).toContain(id);
    expect((await refusal(admin.secret.rollback({ secret: "race" }))).message).toContain(id);
    await executor("a").tick();
    expect(await promotions("race")).toBe(1);
    expect(await reveal("race", "previous")).toBe("fake-race-2");
  });

  it("cancels before the finish: nothing is promoted, the pending value is discarded", async () => {
    await rotating("cancelled", "fake-keep");
    const job = await admin.rotation.run({ secret: "cancelled" });
    // The create step alone, then a cancel.
    const a = executor("a");
    await db().query("UPDATE rotation_jobs SET lease_owner = 'a', lease_until = $2 WHERE id = $1", [
      job.id,
      new Date(Date.now() + 60_000),
    ]);
    const afterCreate = await suite.server.services.rotationEngine.step(job.id, "a", 60_000);
    expect(afterCreate?.phase).toBe("set");
    expect(await reveal("cancelled", "pending")).not.toBe("fake-keep");
    const cancelled = await admin.rotation.cancel({ secret: "cancelled" });
    // From `set` on a cancel reverts first (random: nothing to put back), then ends.
    expect(cancelled.state).toBe("running");
    await a.drive({ ...afterCreate!, was_owner: null });
    const [view] = (await admin.rotation.jobs({ secret: "cancelled" })).items;
    expect(view?.state).toBe("cancelled");
    expect(await reveal("cancelled")).toBe("fake-keep");
    expect(await promotions("cancelled")).toBe(0);
    expect(
      (await refusal(admin.secret.reveal({ secret: "cancelled", stage: "pending" }))).errorCode,
    ).toBe("NOT_FOUND");
  });

  it("a lease that expired mid-job is taken over; exactly one promotion", async () => {
    await rotating("leased", "fake-lease-old");
    const job = await admin.rotation.run({ secret: "leased" });
    // Replica a claims the job and runs `create`, then dies (its lease left behind).
    await db().query("UPDATE rotation_jobs SET lease_owner = 'a', lease_until = $2 WHERE id = $1", [
      job.id,
      new Date(Date.now() + 60_000),
    ]);
    expect((await suite.server.services.rotationEngine.step(job.id, "a", 60_000))?.phase).toBe(
      "set",
    );
    const b = executor("b");
    expect(await b.tick()).toBe(0); // the lease still holds
    await db().query("UPDATE rotation_jobs SET lease_until = $2 WHERE id = $1", [
      job.id,
      new Date(Date.now() - 1_000),
    ]);
    expect(await b.tick()).toBe(1);
    // Replica a wakes up: its lease is gone, it commits nothing.
    expect(await suite.server.services.rotationEngine.step(job.id, "a", 60_000)).toBeUndefined();
    const [view] = (await admin.rotation.jobs({ secret: "leased" })).items;
    expect(view?.state).toBe("succeeded");
    expect(view?.steps.map((s) => s.outcome)).toContain("replayed");
    expect(await promotions("leased")).toBe(1);
    expect(await reveal("leased", "previous")).toBe("fake-lease-old");
    const versions = await admin.secret.versions({ secret: "leased" });
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
  });

  it("a dry run creates and tests a value but never promotes it", async () => {
    await rotating("dry", "fake-dry");
    const job = await admin.rotation.test({ secret: "dry" });
    expect(job.mode).toBe("dryRun");
    await executor("a").tick();
    const [view] = (await admin.rotation.jobs({ secret: "dry" })).items;
    expect(view).toMatchObject({ state: "succeeded", step: "test", mode: "dryRun" });
    expect(await reveal("dry")).toBe("fake-dry");
    expect(await promotions("dry")).toBe(0);
    expect(
      (await refusal(admin.secret.reveal({ secret: "dry", stage: "pending" }))).errorCode,
    ).toBe("NOT_FOUND");
  });
  it("fails a job for good when its step cannot succeed, promoting nothing", async () => {
    await rotating("not_json", "fake-not-json", ["password"]);
    const job = await admin.rotation.run({ secret: "not_json" });
    await executor("a").tick();
    const [view] = (await admin.rotation.jobs({ secret: "not_json" })).items;
    expect(view).toMatchObject({ id: job.id, state: "failed", step: "create" });
    expect(view?.error).toContain("not a JSON object");
    expect(view?.steps.map((s) => s.outcome)).toEqual(["failed"]);
    expect(await reveal("not_json")).toBe("fake-not-json");
    const failed = await db().query<{ details: { job: string } }>(
      "SELECT details FROM audit_events WHERE action = 'rotation.failed'",
    );
    expect(failed.map((r) => r.details.job)).toContain(job.id);
    // Ended: a new run may start.
    expect((await admin.rotation.run({ secret: "not_json" })).id).not.toBe(job.id);
    expect((await admin.rotation.cancel({ secret: "not_json" })).state).toBe("cancelled");
    // Newest first, a page at a time; filtered by state.
    const first = await admin.rotation.jobs({ secret: "not_json", limit: 1 });
    expect(first.items.map((j) => j.state)).toEqual(["cancelled"]);
    const next = await admin.rotation.jobs({ secret: "not_json", cursor: first.nextCursor! });
    expect(next).toMatchObject({ items: [{ id: job.id }], nextCursor: null });
    const failedOnly = await admin.rotation.jobs({ secret: "not_json", state: "failed" });
    expect(failedOnly.items.map((j) => j.id)).toEqual([job.id]);
  });

  it("scheduling the secret's deletion cancels its active job", async () => {
    await rotating("doomed", "fake-doomed");
    const job = await admin.rotation.run({ secret: "doomed" });
    await admin.secret.delete({ secret: "doomed", recoveryDays: 7 });
    const [view] = (await admin.rotation.jobs({ secret: "doomed" })).items;
    expect(view).toMatchObject({ id: job.id, state: "cancelled" });
    expect(await executor("a").tick()).toBe(0);
  });

  it("needs write on the secret: others are told it does not exist", async () => {
    await rotating("private", "fake-private");
    const { token } = await admin.user.create({ name: "eve" });
    const eve = callerAs(suite.server, await actorFor(suite.server, token));
    for (const call of [
      () => eve.rotation.run({ secret: "admin/private" }),
      () => eve.rotation.test({ secret: "admin/private" }),
      () => eve.rotation.cancel({ secret: "admin/private" }),
      () => eve.rotation.jobs({ secret: "admin/private" }),
    ]) {
      expect((await refusal(call())).errorCode).toBe("NOT_FOUND");
    }
    expect((await admin.rotation.jobs({ secret: "private" })).items).toEqual([]);
  });
  it("retries a step that failed for a passing reason, after the backoff, with a fresh value", async () => {
    await rotating("flaky", "fake-flaky");
    const stores = createStores(suite.server.deps);
    let outages = 1;
    const flaky = {
      ...stores,
      rotation: {
        ...stores.rotation,
        policy: (...args: Parameters<typeof stores.rotation.policy>) =>
          outages-- > 0
            ? Promise.reject(new Error("fake outage"))
            : stores.rotation.policy(...args),
      },
    };
    // A jitter of 0: the next attempt is due at once.
    const engine = new RotationJobEngine(suite.server.deps, flaky, { random: () => 0 });
    const runner = new RotationExecutor(suite.server.deps, engine, { owner: "flaky" });
    const job = await admin.rotation.run({ secret: "flaky" });
    await runner.tick();
    let [view] = (await admin.rotation.jobs({ secret: "flaky" })).items;
    expect(view).toMatchObject({ id: job.id, state: "retrying", attempt: 1 });
    expect(view?.error).toBe("internal error (see the server's log)");
    await runner.tick();
    [view] = (await admin.rotation.jobs({ secret: "flaky" })).items;
    expect(view).toMatchObject({ state: "succeeded", attempt: 2, error: null });
    expect(view?.steps.map((s) => `${s.step}:${s.attempt}:${s.outcome}`)).toEqual([
      "create:1:failed",
      "create:2:done",
      "set:2:done",
      "test:2:done",
      "finish:2:done",
    ]);
    expect(await promotions("flaky")).toBe(1);
  });

  it("a run on this replica wakes its executor: no wait for the next poll", async () => {
    await rotating("woken", "fake-woken");
    // A poll an hour apart: only the wake-up can start the job within the test's deadline.
    const started = new RotationExecutor(suite.server.deps, suite.server.services.rotationEngine, {
      owner: "woken",
      intervalMs: 3_600_000,
    });
    started.start();
    try {
      const job = await admin.rotation.run({ secret: "woken" });
      const deadline = Date.now() + 60_000;
      let state = job.state;
      while (state !== "succeeded" && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = (await admin.rotation.jobs({ secret: "woken" })).items[0]!.state;
      }
      expect(state).toBe("succeeded");
    } finally {
      await started.stop();
    }
  });

  it("counts ended jobs by state and the active ones in /metrics", async () => {
    await rotating("counted", "fake-counted");
    const metrics = suite.server.deps.metrics.registry;
    const active = async () =>
      (await metrics.getSingleMetric("coffer_rotation_jobs_active")!.get()).values[0]?.value;
    const ended = async () =>
      (await metrics.getSingleMetric("coffer_rotation_jobs_ended_total")!.get()).values.find(
        (v) => v.labels["state"] === "succeeded" && v.labels["mode"] === "rotation",
      )?.value ?? 0;
    const before = await ended();
    expect(await active()).toBe(0); // every test before let its jobs end
    await admin.rotation.run({ secret: "counted" });
    expect(await active()).toBe(1);
    await executor("a").tick();
    expect(await active()).toBe(0);
    expect(await ended()).toBe(before + 1);
  });
});
