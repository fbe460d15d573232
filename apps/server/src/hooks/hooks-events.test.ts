/**
 * The events of their own that hooks hear (SPEC §12), each sent to those who may hear it:
 * - `token.expiring` once per token, 3 days before it expires, not for a token living less
 *   than 3 days; a personal token's to its owner's hooks, a shared token's to admins';
 * - `token.expired`, to the same audiences;
 * - `secret.deleted` when the purge removes a secret;
 * - `audit.verify_failed` after an audit row was edited by SQL, to admins' hooks only;
 * - a secret event reaches the automations of those who can see the secret, and no other.
 * The jobs run by hand with the clock moved (as jobs/jobs.test.ts does), then the worker.
 * Both an admin and a member (alice) subscribe to every one of these events with `*`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreJobs, JobRunner } from "../jobs/jobs.js";
import { DAY_MS } from "../time.js";
import { actorFor, callerAs, ENGINES, serverForSuite } from "../test-support.js";
import { startReceiver, type Receiver } from "../webhooks/test-receiver.js";

const EVENTS = [
  "token.expiring",
  "token.expired",
  "secret.version.created",
  "secret.deleted",
  "audit.verify_failed",
] as const;

interface Heard {
  type: string;
  data: {
    token?: { id: string };
    secret?: { uri: string };
    audit?: { problems: string[] };
  };
}

describe.each(ENGINES)("hook events of their own on %s", (engine) => {
  const clock = { offsetMs: 0 };
  const suite = serverForSuite(engine, {
    env: { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" },
    now: () => new Date(Date.now() + clock.offsetMs),
  });
  let receiver: Receiver;
  let admin: ReturnType<typeof callerAs>;
  let alice: ReturnType<typeof callerAs>;
  let runner: JobRunner;

  /** Runs a job now (a period later than its last run), then the worker to the end. */
  async function run(name: string): Promise<void> {
    const job = coreJobs(suite.server.deps).find((j) => j.name === name)!;
    clock.offsetMs += job.periodMs;
    expect(await runner.runOnce(job)).toBe(true);
    await settle();
  }
  const settle = async () => {
    await suite.server.hooks.tick();
    await suite.server.hooks.settled();
  };
  /** What `hook` heard of `type` since the receiver was last emptied. */
  const heard = (hook: "admin" | "alice", type: string): Heard[] =>
    receiver.received
      .filter((r) => r.url === `/${hook}`)
      .map((r) => JSON.parse(r.body.toString("utf8")) as Heard)
      .filter((e) => e.type === type);
  const tokenIds = (hook: "admin" | "alice", type: string) =>
    heard(hook, type)
      .map((e) => e.data.token!.id)
      .sort();

  beforeAll(async () => {
    receiver = await startReceiver();
    runner = new JobRunner(suite.server.deps, suite.server.services);
    admin = callerAs(suite.server, suite.admin);
    const { token } = await admin.user.create({ name: "alice" });
    alice = callerAs(suite.server, await actorFor(suite.server, token));
    for (const [who, caller] of [
      ["admin", admin],
      ["alice", alice],
    ] as const) {
      await caller.hook.create({ name: "h", url: `${receiver.url}/${who}` });
      await caller.automation.create({
        name: "all",
        on: [...EVENTS],
        match: "*",
        hook: `${who}/h`,
      });
    }
  });
  afterAll(async () => {
    await receiver?.close();
  });

  let aliceLong: string;
  let aliceShort: string;
  let sharedLong: string;

  it("raises token.expiring once per token, 3 days before, to its owner or to admins", async () => {
    const days = (n: number) => n * 86_400;
    aliceLong = (await alice.token.create({ name: "alice-long", expiresInSeconds: days(10) })).id;
    aliceShort = (await alice.token.create({ name: "alice-short", expiresInSeconds: days(2) })).id;
    sharedLong = (
      await admin.token.create({ name: "shared-long", expiresInSeconds: days(10), shared: {} })
    ).id;

    // Now: the short token expires within 3 days, but lives less than 3 days; the long ones
    // expire in 10.
    receiver.received.length = 0;
    await run("token-expiry-events");
    expect(heard("alice", "token.expiring")).toStrictEqual([]);
    expect(heard("admin", "token.expiring")).toStrictEqual([]);

    clock.offsetMs += 7.5 * DAY_MS; // the long ones expire in 2.5 days
    await run("token-expiry-events");
    expect(tokenIds("alice", "token.expiring")).toStrictEqual([aliceLong]);
    expect(tokenIds("admin", "token.expiring")).toStrictEqual([sharedLong]);

    clock.offsetMs += 0.5 * DAY_MS; // once per token
    await run("token-expiry-events");
    expect(heard("alice", "token.expiring")).toHaveLength(1);
    expect(heard("admin", "token.expiring")).toHaveLength(1);
  });

  it("raises token.expired to the token's owner or to admins", async () => {
    receiver.received.length = 0;
    clock.offsetMs += 3 * DAY_MS; // every one of them has expired
    await run("expire-and-purge-tokens");
    expect(tokenIds("alice", "token.expired")).toStrictEqual([aliceLong, aliceShort].sort());
    expect(tokenIds("admin", "token.expired")).toStrictEqual([sharedLong]);
    await run("expire-and-purge-tokens");
    expect(heard("alice", "token.expired")).toHaveLength(2);
  });

  it("sends a secret's events to those who can see it only", async () => {
    await admin.secret.create({ secret: "hidden", value: "fake-hidden-1" });
    await alice.secret.create({ secret: "mine", value: "fake-mine-1" });
    receiver.received.length = 0;
    await admin.secret.put({ secret: "hidden", value: "fake-hidden-2" });
    await alice.secret.put({ secret: "mine", value: "fake-mine-2" });
    await settle();
    const uris = (hook: "admin" | "alice") =>
      heard(hook, "secret.version.created")
        .map((e) => e.data.secret!.uri)
        .sort();
    // An org admin does not see a user's personal secrets (SPEC §3) either.
    expect(uris("alice")).toStrictEqual(["secret://default/alice/mine"]);
    expect(uris("admin")).toStrictEqual(["secret://default/admin/hidden"]);

    // Shared with alice (list is enough to hear of it), the next version reaches her too.
    await admin.grant.share({
      subject: "alice",
      resource: "secret://default/admin/hidden",
      level: "list",
    });
    receiver.received.length = 0;
    await admin.secret.put({ secret: "hidden", value: "fake-hidden-3" });
    await settle();
    expect(uris("alice")).toStrictEqual(["secret://default/admin/hidden"]);
    await admin.grant.unshare({ subject: "alice", resource: "secret://default/admin/hidden" });
  });

  it("raises secret.deleted when the purge removes a secret", async () => {
    await admin.secret.delete({ secret: "hidden", recoveryDays: 7 });
    receiver.received.length = 0;
    await run("purge-deleted-secrets");
    expect(heard("admin", "secret.deleted")).toStrictEqual([]); // not yet: within its window
    clock.offsetMs += 8 * DAY_MS;
    await run("purge-deleted-secrets");
    const deleted = heard("admin", "secret.deleted").map((e) => e.data.secret!.uri);
    expect(deleted).toStrictEqual(["secret://default/admin/hidden"]);
    expect(heard("alice", "secret.deleted")).toStrictEqual([]);
  });

  it("raises audit.verify_failed for admins' hooks after an audit row is edited by SQL", async () => {
    await suite.server.services.auditChain.chainPending();
    expect((await admin.audit.verify()).ok).toBe(true);
    await settle();
    receiver.received.length = 0;
    await suite.server.deps.db.query(
      "UPDATE audit_events SET actor = 'mallory' WHERE chain_seq = 2",
    );
    const verified = await admin.audit.verify();
    expect(verified.ok).toBe(false);
    await settle();
    const [failed, ...more] = heard("admin", "audit.verify_failed");
    expect(more).toStrictEqual([]);
    expect(failed?.data.audit?.problems).toContainEqual(expect.stringMatching(/event 2 .*altered/));
    expect(heard("alice", "audit.verify_failed")).toStrictEqual([]);
  });
});
