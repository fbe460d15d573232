/**
 * A secret removed for good (forced delete, or purged after its recovery window) takes its
 * grants with it: the same name made again is not readable by the old grantee.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/actor.js";
import { coreJobs, JobRunner } from "../jobs/jobs.js";
import { DAY_MS } from "../time.js";
import { actorFor, ENGINES, META, startTestServer, type TestServer } from "../test-support.js";

describe.each(ENGINES)("secret removal on %s", (engine) => {
  const clock = { offsetMs: 0 };
  let server: TestServer;
  let admin: Actor;
  let bobToken: string;
  /** Grants are loaded with the credential: each call authenticates again. */
  const bob = (): Promise<Actor> => actorFor(server, bobToken);

  beforeAll(async () => {
    server = await startTestServer(engine, { now: () => new Date(Date.now() + clock.offsetMs) });
    admin = await actorFor(server, server.adminToken);
    const made = await server.services.principals.createUser(admin, META, { name: "bob" });
    bobToken = made.token;
  });

  afterAll(async () => {
    await server?.stop();
  });

  const s = () => server.services;

  async function shareWithBob(name: string, value: string): Promise<void> {
    await s().secretWriter.create(admin, META, { secret: name, value });
    await s().grants.share(admin, META, { resource: name, subject: "bob", level: "read" });
    const read = await s().secretReader.reveal(await bob(), META, { secret: `admin/${name}` });
    expect(read.value).toBe(value);
  }

  async function expectBobLocksOut(name: string): Promise<void> {
    await s().secretWriter.create(admin, META, { secret: name, value: "fake-new-value" });
    await expect(
      s().secretReader.reveal(await bob(), META, { secret: `admin/${name}` }),
    ).rejects.toMatchObject({ errorCode: "NOT_FOUND" });
    const left = await server.deps.db.query("SELECT 1 FROM grants WHERE resource = $1", [
      `secret://default/admin/${name}`,
    ]);
    expect(left).toHaveLength(0);
    // Where-used of the new secret does not show the old one's reads.
    expect(await s().secretReader.whereUsed(admin, { secret: name })).toEqual([]);
  }

  it("a forced delete removes the secret's grants", async () => {
    await shareWithBob("forced", "fake-old-forced");
    await s().secretWriter.delete(admin, META, { secret: "forced", force: true });
    await expectBobLocksOut("forced");
  });

  it("the purge job removes the secret's grants too", async () => {
    await shareWithBob("purged", "fake-old-purged");
    await s().secretWriter.delete(admin, META, { secret: "purged", recoveryDays: 7 });
    clock.offsetMs += 8 * DAY_MS;
    const purge = coreJobs(server.deps).find((j) => j.name === "purge-deleted-secrets")!;
    expect(await new JobRunner(server.deps, server.services).runOnce(purge)).toBe(true);
    await expectBobLocksOut("purged");
  });

  it("an owner-wide grant stays: it names the owner's secrets, not the removed one", async () => {
    await s().grants.share(admin, META, { resource: "admin/*", subject: "bob", level: "list" });
    await s().secretWriter.create(admin, META, { secret: "wide", value: "fake-wide" });
    await s().secretWriter.delete(admin, META, { secret: "wide", force: true });
    const left = await server.deps.db.query("SELECT 1 FROM grants WHERE resource = $1", [
      "secret://default/admin/*",
    ]);
    expect(left).toHaveLength(1);
  });
});
