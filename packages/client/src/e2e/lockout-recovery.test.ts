/**
 * Users locked out (disabled then enabled, or every token expired) get back in: an org admin
 * lists their tokens (never a value), disables or deletes any, and issues a new one for them,
 * shown once and audited. Members and narrow admin tokens cannot. Over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CofferClient } from "../client.js";
import { failure } from "./test-errors.js";
import { startE2eServer, type E2eServer } from "./test-server.js";

const DAY = 86_400;
let e2e: E2eServer;

beforeAll(async () => {
  e2e = await startE2eServer();
});

afterAll(async () => {
  await e2e?.stop();
});

async function newUser(name: string): Promise<{ client: CofferClient; tokenId: string }> {
  const made = await e2e.admin.user.create.mutate({ name });
  return { client: e2e.as(made.token), tokenId: made.tokenId };
}

describe("recovering a locked-out user", () => {
  it("disable, enable, then an admin issues a token: the user reads their personal secret again", async () => {
    const carol = await newUser("carol");
    await carol.client.secret.create.mutate({ secret: "diary", value: "fake-diary" });
    await e2e.admin.user.disable.mutate({ name: "carol" });
    await e2e.admin.user.enable.mutate({ name: "carol" });
    // Enabling the user does not enable its tokens (by design): the old one stays refused.
    expect((await failure(carol.client.user.whoami.query())).message).toBe(
      "this token is disabled",
    );
    const before = await e2e.admin.token.list.query({ user: "carol" });
    expect(before).toEqual([
      expect.objectContaining({ id: carol.tokenId, owner: "carol", status: "disabled" }),
    ]);

    const issued = await e2e.admin.token.create.mutate({
      name: "recovery",
      expiresInSeconds: DAY,
      for: "carol",
    });
    const again = e2e.as(issued.token);
    expect((await again.user.whoami.query()).name).toBe("carol");
    expect((await again.secret.reveal.mutate({ secret: "diary" })).value).toBe("fake-diary");

    // The user sees who made it; nobody sees a value or a hash.
    const mine = await again.token.list.query();
    expect(mine.find((t) => t.id === issued.id)).toMatchObject({
      createdBy: "admin",
      kind: "personal",
      owner: "carol",
    });
    const listed = JSON.stringify(await e2e.admin.token.list.query({ user: "carol" }));
    expect(listed).not.toContain(issued.token);
    expect(listed).not.toMatch(/"(hash|token|value)"/);

    const [event] = (
      await e2e.admin.audit.list.query({ action: "token.create", limit: 100 })
    ).items.filter((e: { resource: string | null }) => e.resource === `token:${issued.id}`);
    expect(event).toMatchObject({ actor: "admin", details: { for: "carol", by: "admin" } });
    expect(JSON.stringify(event)).not.toContain(issued.token);
  });

  it("a user whose tokens all expired gets a new one from an admin", async () => {
    const dave = await newUser("dave");
    await dave.client.secret.create.mutate({ secret: "notes", value: "fake-notes" });
    e2e.clock.offsetMs = 31 * DAY * 1000;
    try {
      expect((await failure(dave.client.user.whoami.query())).message).toBe(
        "this token has expired",
      );
      const issued = await e2e.admin.token.create.mutate({
        name: "after expiry",
        expiresInSeconds: DAY,
        for: "dave",
      });
      const back = e2e.as(issued.token);
      expect((await back.secret.reveal.mutate({ secret: "notes" })).value).toBe("fake-notes");
    } finally {
      e2e.clock.offsetMs = 0;
    }
  });

  it("admins disable and delete any personal token; enabling a user needs no token of theirs", async () => {
    const erin = await newUser("erin");
    const second = await erin.client.token.create.mutate({ name: "laptop", expiresInSeconds: DAY });
    await e2e.admin.token.disable.mutate({ id: second.id });
    expect((await failure(e2e.as(second.token).user.whoami.query())).message).toBe(
      "this token is disabled",
    );
    await e2e.admin.token.delete.mutate({ id: erin.tokenId });
    const left = await e2e.admin.token.list.query({ user: "erin" });
    expect(left.map((t) => [t.id, t.status])).toEqual([[second.id, "disabled"]]);
  });

  it("refuses a disabled user, scopes beyond what the user holds, and `for` with `shared`", async () => {
    await newUser("frank");
    await e2e.admin.user.disable.mutate({ name: "frank" });
    const disabled = await failure(
      e2e.admin.token.create.mutate({ name: "x", expiresInSeconds: DAY, for: "frank" }),
    );
    expect(disabled).toMatchObject({
      errorCode: "INVALID_STATUS",
      message: "user frank is disabled; enable the user first",
    });
    await e2e.admin.user.enable.mutate({ name: "frank" });
    await e2e.admin.secret.create.mutate({ secret: "admin_only", value: "fake-admin-only" });
    const tooWide = await failure(
      e2e.admin.token.create.mutate({
        name: "x",
        expiresInSeconds: DAY,
        for: "frank",
        scopes: [{ resource: "secret://default/admin/admin_only", level: "read" }],
      }),
    );
    expect(tooWide.errorCode).toBe("FORBIDDEN");
    const both = await failure(
      e2e.admin.token.create.mutate({
        name: "x",
        expiresInSeconds: DAY,
        for: "frank",
        shared: {},
      }),
    );
    expect(both.errorCode).toBe("INVALID_REQUEST");
    const tooLong = await failure(
      e2e.admin.token.create.mutate({ name: "x", expiresInSeconds: 400 * DAY, for: "frank" }),
    );
    expect(tooLong.errorCode).toBe("INVALID_REQUEST");
    const team = await failure(e2e.admin.token.list.query({ user: "nobody" }));
    expect(team.errorCode).toBe("NOT_FOUND");
  });

  it("a member cannot, and neither can an admin's narrowly scoped token", async () => {
    const gus = await newUser("gus");
    const hal = await newUser("hal");
    const narrowAdmin = e2e.as(
      (
        await e2e.admin.token.create.mutate({
          name: "narrow",
          expiresInSeconds: DAY,
          scopes: [{ resource: "secret://default/admin/*", level: "manage" }],
        })
      ).token,
    );
    for (const caller of [gus.client, narrowAdmin]) {
      expect((await failure(caller.token.list.query({ user: "hal" }))).errorCode).toBe("FORBIDDEN");
      const made = await failure(
        caller.token.create.mutate({ name: "x", expiresInSeconds: DAY, for: "hal" }),
      );
      expect(made.errorCode).toBe("FORBIDDEN");
    }
    expect((await failure(gus.client.token.disable.mutate({ id: hal.tokenId }))).errorCode).toBe(
      "NOT_FOUND",
    );
    expect((await failure(narrowAdmin.token.delete.mutate({ id: hal.tokenId }))).errorCode).toBe(
      "FORBIDDEN",
    );
    expect((await hal.client.user.whoami.query()).name).toBe("hal");
    // `for` oneself is an ordinary personal token.
    const own = await gus.client.token.create.mutate({
      name: "own",
      expiresInSeconds: DAY,
      for: "gus",
    });
    expect((await e2e.as(own.token).user.whoami.query()).name).toBe("gus");
  });
});
