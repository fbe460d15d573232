/** Background jobs: each runs once per period across replicas, and does its work. */
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../time.js";
import { ENGINES, META, serverForSuite } from "../test-support.js";
import { coreJobs, JobRunner } from "./jobs.js";

describe.each(ENGINES)("jobs on %s", (engine) => {
  const clock = { offsetMs: 0 };

  const suite = serverForSuite(engine, { now: () => new Date(Date.now() + clock.offsetMs) });

  const job = (name: string) => coreJobs(suite.server.deps).find((j) => j.name === name)!;

  it("runs once per period across two replicas", async () => {
    const other = new JobRunner(
      { ...suite.server.deps, db: await suite.database.open() },
      suite.server.services,
    );
    const mine = new JobRunner(suite.server.deps, suite.server.services);
    const purge = job("purge-deleted-secrets");
    const ran = await Promise.all([mine.runOnce(purge), other.runOnce(purge)]);
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(await mine.runOnce(purge)).toBe(false); // within the period
    clock.offsetMs += purge.periodMs;
    expect(await other.runOnce(purge)).toBe(true);
  });

  it("purges secrets whose recovery window has passed, and audits it", async () => {
    await suite.server.services.secretWriter.create(suite.admin, META, {
      secret: "doomed",
      value: "fake-doomed",
    });
    await suite.server.services.secretWriter.create(suite.admin, META, {
      secret: "kept",
      value: "fake-kept",
    });
    await suite.server.services.secretWriter.delete(suite.admin, META, {
      secret: "doomed",
      recoveryDays: 7,
    });
    await suite.server.services.secretWriter.delete(suite.admin, META, {
      secret: "kept",
      recoveryDays: 30,
    });
    clock.offsetMs += 8 * DAY_MS;
    const runner = new JobRunner(suite.server.deps, suite.server.services);
    expect(await runner.runOnce(job("purge-deleted-secrets"))).toBe(true);
    const left = await suite.server.deps.db.query<{ name: string }>(
      "SELECT name FROM secrets WHERE name IN ('doomed', 'kept')",
    );
    expect(left.map((r) => r.name)).toEqual(["kept"]);
    const [event] = await suite.server.deps.db.query<{ actor: string }>(
      "SELECT actor FROM audit_events WHERE action = 'secret.purge' AND resource LIKE '%/doomed'",
    );
    expect(event?.actor).toBe("system");
  });

  it("raises an expiry event 3 days before, not for short-lived tokens; purges tokens disabled over 7 days", async () => {
    const long = await suite.server.services.tokens.create(suite.admin, META, {
      name: "long",
      expiresInSeconds: 10 * 86_400,
    });
    const short = await suite.server.services.tokens.create(suite.admin, META, {
      name: "short",
      expiresInSeconds: 2 * 86_400,
    });
    // Someone listens (without an automation anywhere, no event is kept: see delivery-store.ts).
    await suite.server.services.hooks.create(suite.admin, META, {
      name: "expiry",
      url: "https://hooks.example.test/expiry",
    });
    await suite.server.services.hooks.createAutomation(suite.admin, META, {
      name: "expiry",
      on: ["token.expiring"],
      match: "*",
      hook: "expiry",
    });
    const runner = new JobRunner(suite.server.deps, suite.server.services);
    const events = job("token-expiry-events");
    const notified = async () =>
      (
        await suite.server.deps.db.query<{ resource: string }>(
          "SELECT payload->>'resource' AS resource FROM hook_outbox WHERE payload->>'type' = 'token.expiring'",
        )
      ).map((r) => r.resource);
    clock.offsetMs += events.periodMs;
    await runner.runOnce(events);
    expect(await notified()).not.toContain(`token:${long.id}`);
    clock.offsetMs += 7.5 * DAY_MS; // long now expires in 2.5 days; short has expired
    await runner.runOnce(events);
    expect(await notified()).toContain(`token:${long.id}`);
    expect(await notified()).not.toContain(`token:${short.id}`);

    const expiry = job("expire-and-purge-tokens");
    await runner.runOnce(expiry);
    const [shortRow] = await suite.server.deps.db.query<{ disabled_at: Date | null }>(
      "SELECT disabled_at FROM tokens WHERE id = $1",
      [short.id],
    );
    expect(shortRow?.disabled_at).not.toBeNull();
    clock.offsetMs += 8 * DAY_MS;
    await runner.runOnce(expiry);
    const gone = await suite.server.deps.db.query("SELECT 1 FROM tokens WHERE id = $1", [short.id]);
    expect(gone).toHaveLength(0);
  });
});
