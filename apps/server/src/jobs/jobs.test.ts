/** Background jobs: each runs once per period across replicas, and does its work. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../time.js";
import {
  actorFor,
  ENGINES,
  META,
  startTestServer,
  testDatabase,
  type TestDatabase,
  type TestServer,
} from "../test-support.js";
import { coreJobs, JobRunner } from "./jobs.js";
import type { Actor } from "../auth/actor.js";

describe.each(ENGINES)("jobs on %s", (engine) => {
  const clock = { offsetMs: 0 };
  let database: TestDatabase;
  let server: TestServer;
  let admin: Actor;

  beforeAll(async () => {
    database = await testDatabase(engine);
    server = await startTestServer(engine, {
      database,
      now: () => new Date(Date.now() + clock.offsetMs),
    });
    admin = await actorFor(server, server.adminToken);
  });

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  const job = (name: string) => coreJobs(server.deps).find((j) => j.name === name)!;

  it("runs once per period across two replicas", async () => {
    const other = new JobRunner({ ...server.deps, db: await database.open() }, server.services);
    const mine = new JobRunner(server.deps, server.services);
    const purge = job("purge-deleted-secrets");
    const ran = await Promise.all([mine.runOnce(purge), other.runOnce(purge)]);
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(await mine.runOnce(purge)).toBe(false); // within the period
    clock.offsetMs += purge.periodMs;
    expect(await other.runOnce(purge)).toBe(true);
  });

  it("purges secrets whose recovery window has passed, and audits it", async () => {
    await server.services.secretWriter.create(admin, META, {
      secret: "doomed",
      value: "fake-doomed",
    });
    await server.services.secretWriter.create(admin, META, { secret: "kept", value: "fake-kept" });
    await server.services.secretWriter.delete(admin, META, { secret: "doomed", recoveryDays: 7 });
    await server.services.secretWriter.delete(admin, META, { secret: "kept", recoveryDays: 30 });
    clock.offsetMs += 8 * DAY_MS;
    const runner = new JobRunner(server.deps, server.services);
    expect(await runner.runOnce(job("purge-deleted-secrets"))).toBe(true);
    const left = await server.deps.db.query<{ name: string }>(
      "SELECT name FROM secrets WHERE name IN ('doomed', 'kept')",
    );
    expect(left.map((r) => r.name)).toEqual(["kept"]);
    const [event] = await server.deps.db.query<{ actor: string }>(
      "SELECT actor FROM audit_events WHERE action = 'secret.purge' AND resource LIKE '%/doomed'",
    );
    expect(event?.actor).toBe("system");
  });

  it("raises an expiry event 3 days before, not for short-lived tokens; purges tokens disabled over 7 days", async () => {
    const long = await server.services.tokens.create(admin, META, {
      name: "long",
      expiresInSeconds: 10 * 86_400,
    });
    const short = await server.services.tokens.create(admin, META, {
      name: "short",
      expiresInSeconds: 2 * 86_400,
    });
    const runner = new JobRunner(server.deps, server.services);
    const events = job("token-expiry-events");
    const notified = async () =>
      (
        await server.deps.db.query<{ resource: string }>(
          "SELECT resource FROM notifications WHERE kind = 'token.expiring'",
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
    const [shortRow] = await server.deps.db.query<{ disabled_at: Date | null }>(
      "SELECT disabled_at FROM tokens WHERE id = $1",
      [short.id],
    );
    expect(shortRow?.disabled_at).not.toBeNull();
    clock.offsetMs += 8 * DAY_MS;
    await runner.runOnce(expiry);
    const gone = await server.deps.db.query("SELECT 1 FROM tokens WHERE id = $1", [short.id]);
    expect(gone).toHaveLength(0);
  });
});
