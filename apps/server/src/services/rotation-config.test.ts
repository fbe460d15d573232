/**
 * Rotation's configuration (SPEC §11) through the router: rotators of each kind (owned like
 * secrets), policies with `every` and with a cron, automatic on/off, the refusals (bad input,
 * rights, a rotator in use, a rotator naming a secret its owner cannot read), a deleted
 * secret's policy going with it, and every change audited with no value. On every engine.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/actor.js";
import { actorFor, callerAs, ENGINES, refusal, serverForSuite } from "../test-support.js";

const DAY_MS = 86_400_000;

describe.each(ENGINES)("rotation configuration on %s", (engine) => {
  const suite = serverForSuite(engine);
  /** tom: admin of team ops; rita: member of ops; eve: in no team. */
  let admin: ReturnType<typeof callerAs>;
  let tom: ReturnType<typeof callerAs>;
  let rita: ReturnType<typeof callerAs>;
  let eve: ReturnType<typeof callerAs>;
  let tomActor: Actor;

  /** A user's token; its actor is read after the memberships are made. */
  const user = async (name: string) => (await admin.user.create({ name })).token;
  const versionAt = async (secret: string) => {
    const versions = await admin.secret.versions({ secret });
    const current = versions.find((v) => v.stages.includes("current"))!;
    return new Date(current.createdAt);
  };
  const auditRows = (action: string) =>
    suite.server.deps.db.query<{ resource: string; result: string; details: unknown }>(
      "SELECT resource, result, details FROM audit_events WHERE action = $1 ORDER BY id",
      [action],
    );

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    const tokens = { tom: await user("tom"), rita: await user("rita"), eve: await user("eve") };
    await admin.team.create({ name: "ops" });
    await admin.team.addMember({ team: "ops", user: "tom", role: "admin" });
    await admin.team.addMember({ team: "ops", user: "rita", role: "member" });
    tomActor = await actorFor(suite.server, tokens.tom);
    tom = callerAs(suite.server, tomActor);
    rita = callerAs(suite.server, await actorFor(suite.server, tokens.rita));
    eve = callerAs(suite.server, await actorFor(suite.server, tokens.eve));
    await tom.secret.create({ secret: "ops/db", value: '{"password":"fake-pw-1"}' });
    await tom.secret.create({ secret: "ops/db_cron", value: "fake-cron-1" });
    await tom.secret.create({ secret: "ops/pg_admin", value: "postgres://fake:fake@localhost/x" });
    await tom.secret.create({ secret: "tom/private", value: "fake-private" });
    await eve.secret.create({ secret: "eve/own", value: "fake-eve" });
  });

  it("creates, reads and lists rotators of each kind, owned like the owner's secrets", async () => {
    const random = await tom.rotator.create({ name: "rnd", owner: "ops", kind: "random" });
    expect(random).toMatchObject({
      ref: "ops/rnd",
      owner: "ops",
      kind: "random",
      postgres: null,
      webhook: null,
      createdBy: "tom",
    });
    const pg = await tom.rotator.create({
      name: "pg",
      owner: "ops",
      kind: "postgres",
      description: "the app role",
      postgres: { adminSecret: "pg_admin", role: "app" },
    });
    // A bare NAME is the rotator owner's secret; stored as OWNER/NAME.
    expect(pg.postgres).toEqual({ adminSecret: "ops/pg_admin", role: "app" });
    const hook = await tom.rotator.create({
      name: "hook",
      owner: "ops",
      kind: "webhook",
      webhook: { url: "https://hooks.example.test/rotate" },
    });
    // Without a signing secret, one is made in the owner, holding a Standard Webhooks key.
    expect(hook.webhook).toEqual({
      url: "https://hooks.example.test/rotate",
      signingSecret: "ops/hook_webhook_signing_key",
      mode: "driver",
    });
    const key = await tom.secret.reveal({ secret: "ops/hook_webhook_signing_key" });
    expect(key.value).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(JSON.stringify(hook)).not.toContain(key.value);

    // Members read the team's rotators; someone outside the team sees none.
    expect(await rita.rotator.get({ rotator: "ops/pg" })).toEqual(pg);
    const listed = await rita.rotator.list({ owner: "ops" });
    expect(listed.items.map((r) => r.ref)).toEqual(["ops/hook", "ops/pg", "ops/rnd"]);
    expect((await eve.rotator.list({})).items).toEqual([]);
    expect((await refusal(eve.rotator.get({ rotator: "ops/pg" }))).errorCode).toBe("NOT_FOUND");
    // Paging: one at a time, none twice.
    const first = await admin.rotator.list({ owner: "ops", limit: 2 });
    const second = await admin.rotator.list({ owner: "ops", limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((r) => r.name)).toEqual(["hook", "pg", "rnd"]);
    expect(second.nextCursor).toBeNull();
    // Only those who manage the owner's secrets create or delete.
    const byMember = await refusal(
      rita.rotator.create({ name: "x", owner: "ops", kind: "random" }),
    );
    expect(byMember.errorCode).toBe("FORBIDDEN");
    // Refused before its signing secret is made: nothing is left behind.
    const hookByMember = await refusal(
      rita.rotator.create({
        name: "hook2",
        owner: "ops",
        kind: "webhook",
        webhook: { url: "https://hooks.example.test/rotate" },
      }),
    );
    expect(hookByMember.errorCode).toBe("FORBIDDEN");
    const leftover = await refusal(
      admin.secret.describe({ secret: "ops/hook2_webhook_signing_key" }),
    );
    expect(leftover.errorCode).toBe("NOT_FOUND");
    expect((await refusal(rita.rotator.delete({ rotator: "ops/pg" }))).errorCode).toBe("FORBIDDEN");
    expect((await refusal(eve.rotator.delete({ rotator: "ops/pg" }))).errorCode).toBe("NOT_FOUND");
    const again = await refusal(tom.rotator.create({ name: "rnd", owner: "ops", kind: "random" }));
    expect(again.errorCode).toBe("INVALID_STATUS");
    // Personal: the caller's own by default.
    expect((await eve.rotator.create({ name: "mine", kind: "random" })).ref).toBe("eve/mine");
  });

  it("refuses a rotator naming a secret that is missing or unreadable", async () => {
    const postgres = (adminSecret: string) => ({
      name: "pg_bad",
      owner: "ops",
      kind: "postgres" as const,
      postgres: { adminSecret, role: "app" },
    });
    // Tom reads tom/private, but team ops (the rotator's owner) does not.
    const ownerCannot = await refusal(tom.rotator.create(postgres("tom/private")));
    expect(ownerCannot.errorCode).toBe("FORBIDDEN");
    expect(ownerCannot.details).toMatchObject({
      reason: "owner-cannot-read",
      field: "adminSecret",
    });
    expect(ownerCannot.message).toContain("ops cannot read tom/private");
    expect((await refusal(tom.rotator.create(postgres("nothing_here")))).errorCode).toBe(
      "NOT_FOUND",
    );
    // Eve cannot read ops/pg_admin: for her it does not exist.
    const eveRef = await refusal(
      eve.rotator.create({
        name: "pg_eve",
        kind: "postgres",
        postgres: { adminSecret: "ops/pg_admin", role: "app" },
      }),
    );
    expect(eveRef.errorCode).toBe("NOT_FOUND");
    const hookOf = await refusal(
      tom.rotator.create({
        name: "hook_bad",
        owner: "ops",
        kind: "webhook",
        webhook: { url: "https://hooks.example.test/r", signingSecret: "tom/private" },
      }),
    );
    expect(hookOf.details).toMatchObject({ field: "signingSecret" });
    expect((await admin.rotator.list({ owner: "ops" })).items.map((r) => r.name)).not.toContain(
      "pg_bad",
    );
  });

  it("configures a policy with every, shows the next due time, and counts a put as a rotation", async () => {
    const policy = await tom.rotation.configure({
      secret: "ops/db",
      rotator: "ops/rnd",
      every: "30d",
      targets: ["password"],
      generate: { length: 40, excludePunctuation: true },
    });
    const at = await versionAt("ops/db");
    expect(policy).toMatchObject({
      secret: "secret://default/ops/db",
      rotator: "ops/rnd",
      every: "30d",
      cron: null,
      window: "1h",
      auto: true,
      targets: ["password"],
      generate: { length: 40, excludePunctuation: true },
      maxAttempts: 5,
      lastRotatedAt: at.toISOString(),
      nextDueAt: new Date(at.getTime() + 30 * DAY_MS).toISOString(),
      activeJob: null,
      createdBy: "tom",
    });
    expect(await tom.rotation.get({ secret: "ops/db" })).toEqual(policy);

    await tom.secret.put({ secret: "ops/db", value: '{"password":"fake-pw-2"}' });
    const put = await versionAt("ops/db");
    const after = await admin.rotation.get({ secret: "ops/db" });
    expect(after.lastRotatedAt).toBe(put.toISOString());
    expect(after.nextDueAt).toBe(new Date(put.getTime() + 30 * DAY_MS).toISOString());

    const off = await tom.rotation.setAuto({ secret: "ops/db", auto: false });
    expect(off).toMatchObject({ auto: false, nextDueAt: null });
    const on = await tom.rotation.setAuto({ secret: "ops/db", auto: true });
    expect(on.nextDueAt).toBe(after.nextDueAt);

    // Configuring again replaces the policy and keeps when it was first made.
    const replaced = await tom.rotation.configure({
      secret: "ops/db",
      rotator: "ops/rnd",
      every: "12h",
      window: "2h",
      maxAttempts: 2,
    });
    expect(replaced).toMatchObject({ every: "12h", window: "2h", maxAttempts: 2, targets: [] });
    expect(replaced.createdAt).toBe(policy.createdAt);
    expect(replaced.nextDueAt).toBe(new Date(put.getTime() + 12 * 3_600_000).toISOString());
  });

  it("configures a policy with a UTC cron", async () => {
    const policy = await tom.rotation.configure({
      secret: "ops/db_cron",
      rotator: "ops/pg",
      cron: "0 3 * * 1",
      auto: true,
    });
    const at = await versionAt("ops/db_cron");
    const next = new Date(policy.nextDueAt!);
    expect(policy).toMatchObject({ every: null, cron: "0 3 * * 1", rotator: "ops/pg" });
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 3, 0]);
    expect(next > at).toBe(true);
    expect(next.getTime() - at.getTime()).toBeLessThanOrEqual(7 * DAY_MS);
  });

  it("refuses bad input in the SPEC's error format, and callers without rights", async () => {
    const base = { secret: "ops/db", rotator: "ops/rnd" };
    const bad: [string, () => Promise<unknown>][] = [
      [
        "every and cron",
        () => tom.rotation.configure({ ...base, every: "30d", cron: "0 3 * * *" }),
      ],
      ["minutes", () => tom.rotation.configure({ ...base, every: "30m" })],
      ["too long", () => tom.rotation.configure({ ...base, every: "800d" })],
      [
        "window over the period",
        () => tom.rotation.configure({ ...base, every: "2h", window: "3h" }),
      ],
      ["every minute", () => tom.rotation.configure({ ...base, cron: "* * * * *" })],
      ["never fires", () => tom.rotation.configure({ ...base, cron: "0 0 30 2 *" })],
      [
        "no characters",
        () =>
          tom.rotation.configure({
            ...base,
            generate: {
              excludeLowercase: true,
              excludeUppercase: true,
              excludeNumbers: true,
              excludePunctuation: true,
            },
          }),
      ],
      ["unknown field", () => tom.rotation.configure({ ...base, colour: "red" } as never)],
      ["no config", () => tom.rotator.create({ name: "p2", owner: "ops", kind: "postgres" })],
      [
        "config of another kind",
        () =>
          tom.rotator.create({
            name: "r2",
            owner: "ops",
            kind: "random",
            webhook: { url: "https://hooks.example.test/x" },
          }),
      ],
      ["bad rotator ref", () => tom.rotator.get({ rotator: "a/b/c" })],
    ];
    for (const [what, call] of bad) {
      const error = await refusal(call());
      expect(error.errorCode, what).toBe("INVALID_REQUEST");
      const body = error.toBody();
      expect(Object.keys(body.error).sort(), what).toEqual(["details", "errorCode", "message"]);
    }
    const unchanged = await tom.rotation.get({ secret: "ops/db" });
    expect(unchanged.every).toBe("12h");

    // write on the secret: a member (read) is refused, an outsider told it does not exist.
    expect((await refusal(rita.rotation.get({ secret: "ops/db" }))).errorCode).toBe("FORBIDDEN");
    expect((await refusal(rita.rotation.configure(base))).errorCode).toBe("FORBIDDEN");
    expect((await refusal(eve.rotation.get({ secret: "ops/db" }))).errorCode).toBe("NOT_FOUND");
    expect((await refusal(eve.rotation.setAuto({ secret: "ops/db", auto: false }))).errorCode).toBe(
      "NOT_FOUND",
    );
    // The rotator must be readable by the caller.
    const foreign = await refusal(eve.rotation.configure({ secret: "own", rotator: "ops/rnd" }));
    expect(foreign.errorCode).toBe("NOT_FOUND");
    expect(foreign.message).toContain("rotator ops/rnd");
    // No policy yet.
    expect((await refusal(eve.rotation.get({ secret: "own" }))).errorCode).toBe("NOT_FOUND");
  });

  it("refuses to delete a rotator in use, naming the secrets; a deleted secret's policy goes", async () => {
    await tom.secret.create({ secret: "tom/uses_ops", value: "fake-uses" });
    await tom.rotation.configure({ secret: "tom/uses_ops", rotator: "ops/rnd" });
    const inUse = await refusal(tom.rotator.delete({ rotator: "ops/rnd" }));
    expect(inUse.errorCode).toBe("INVALID_STATUS");
    expect(inUse.details).toMatchObject({ secrets: ["ops/db", "tom/uses_ops"], others: 0 });
    expect(inUse.message).toContain("ops/db, tom/uses_ops");
    // An org admin does not see tom's personal secret: it is counted, not named.
    const byAdmin = await refusal(admin.rotator.delete({ rotator: "ops/rnd" }));
    expect(byAdmin.details).toMatchObject({ secrets: ["ops/db"], others: 1 });
    expect(byAdmin.message).not.toContain("uses_ops");

    const policies = async () =>
      (
        await suite.server.deps.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM rotation_policies",
        )
      )[0]!.n;
    const before = await policies();
    await tom.secret.delete({ secret: "ops/db", force: true });
    await tom.secret.delete({ secret: "tom/uses_ops", force: true });
    expect(await policies()).toBe(before - 2);
    expect(await tom.rotator.delete({ rotator: "ops/rnd" })).toEqual({
      rotator: "ops/rnd",
      deleted: true,
    });
    expect((await refusal(tom.rotator.get({ rotator: "ops/rnd" }))).errorCode).toBe("NOT_FOUND");
  });

  it("audits every change, refusals included, with no value", async () => {
    const created = await auditRows("rotator.create");
    expect(created.filter((e) => e.result === "ok").map((e) => e.resource)).toEqual(
      expect.arrayContaining(["rotator:ops/rnd", "rotator:ops/pg", "rotator:ops/hook"]),
    );
    expect(created.some((e) => e.result === "denied")).toBe(true);
    const configured = await auditRows("rotation.configure");
    expect(configured[0]).toMatchObject({
      resource: "secret://default/ops/db",
      result: "ok",
      details: { rotator: "ops/rnd", every: "30d", auto: true, replaced: false },
    });
    expect((await auditRows("rotation.setAuto")).map((e) => e.details)).toEqual(
      expect.arrayContaining([{ auto: false }, { auto: true }]),
    );
    const deleted = await auditRows("rotator.delete");
    expect(deleted.map((e) => [e.result, (e.details as { errorCode?: string }).errorCode])).toEqual(
      expect.arrayContaining([
        ["failed", "INVALID_STATUS"],
        ["ok", undefined],
      ]),
    );
    const all = await suite.server.deps.db.query<{ text: string }>(
      "SELECT details::text AS text FROM audit_events WHERE action LIKE 'rotat%'",
    );
    for (const { text } of all) {
      expect(text).not.toMatch(/fake-|whsec_|postgres:\/\//);
    }
    expect(tomActor.label).toBe("tom");
  });
});
