/** Tokens over real HTTP: expiry, disable, re-enable, disabled users, rights lost. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CofferClient } from "../client.js";
import { failure } from "./test-errors.js";
import { startE2eServer, type E2eServer } from "./test-server.js";

let e2e: E2eServer;

beforeAll(async () => {
  e2e = await startE2eServer();
});

afterAll(async () => {
  await e2e?.stop();
});

async function newUser(name: string): Promise<CofferClient> {
  return e2e.as((await e2e.admin.user.create.mutate({ name })).token);
}

describe("tokens", () => {
  it("an expired token is refused; a disabled one too; re-enabling needs a new expiry", async () => {
    const carol = await newUser("carol");
    const short = await carol.token.create.mutate({ name: "short", expiresInSeconds: 120 });
    expect(short.token).toMatch(/^cft_[0-9A-Za-z]{49}$/);
    const shortClient = e2e.as(short.token);
    expect((await shortClient.user.whoami.query()).name).toBe("carol");

    e2e.clock.offsetMs = 121_000;
    const expired = await failure(shortClient.user.whoami.query());
    expect(expired).toMatchObject({ errorCode: "UNAUTHORIZED", message: "this token has expired" });
    e2e.clock.offsetMs = 0;

    await carol.token.disable.mutate({ id: short.id });
    expect((await failure(shortClient.user.whoami.query())).message).toBe("this token is disabled");
    expect((await failure(carol.token.enable.mutate({ id: short.id } as never))).errorCode).toBe(
      "INVALID_REQUEST",
    );
    await carol.token.enable.mutate({ id: short.id, expiresInSeconds: 3600 });
    expect((await shortClient.user.whoami.query()).name).toBe("carol");
    const listed = await carol.token.list.query();
    expect(listed.find((t) => t.id === short.id)).toMatchObject({
      status: "active",
      disabledAt: null,
    });
    expect(JSON.stringify(listed)).not.toContain(short.token);
  });

  it("a token whose user is disabled is refused, at once", async () => {
    const dave = await newUser("dave");
    expect((await dave.user.whoami.query()).name).toBe("dave");
    await e2e.admin.user.disable.mutate({ name: "dave" });
    const refused = await failure(dave.user.whoami.query());
    expect(refused.errorCode).toBe("UNAUTHORIZED");
  });

  it("when its owner loses a right, the token loses it; scopes never exceed the owner", async () => {
    const erin = await newUser("erin");
    await e2e.admin.secret.create.mutate({ secret: "shared_key", value: "fake-shared" });
    await e2e.admin.grant.share.mutate({ resource: "shared_key", subject: "erin", level: "read" });
    const scoped = await erin.token.create.mutate({
      name: "ci",
      expiresInSeconds: 3600,
      scopes: [{ resource: "secret://default/admin/shared_key", level: "read" }],
    });
    const ci = e2e.as(scoped.token);
    expect((await ci.secret.reveal.mutate({ secret: "admin/shared_key" })).value).toBe(
      "fake-shared",
    );
    // Narrow: nothing else, no administration, no minting wider tokens.
    expect((await failure(ci.user.list.query())).errorCode).toBe("FORBIDDEN");
    expect(
      (await failure(ci.token.create.mutate({ name: "wider", expiresInSeconds: 3600 }))).errorCode,
    ).toBe("FORBIDDEN");
    // More than the owner holds is refused when made.
    const tooWide = await failure(
      erin.token.create.mutate({
        name: "writer",
        expiresInSeconds: 3600,
        scopes: [{ resource: "secret://default/admin/shared_key", level: "write" }],
      }),
    );
    expect(tooWide.errorCode).toBe("FORBIDDEN");

    await e2e.admin.grant.unshare.mutate({ resource: "shared_key", subject: "erin" });
    expect((await failure(ci.secret.reveal.mutate({ secret: "admin/shared_key" }))).errorCode).toBe(
      "NOT_FOUND",
    );
  });

  it("a token with * below manage cannot mint tokens (it would mint one wider than itself)", async () => {
    const frank = await newUser("frank");
    const readOnly = await frank.token.create.mutate({
      name: "read-all",
      expiresInSeconds: 3600,
      scopes: [{ resource: "*", level: "read" }],
    });
    const weak = e2e.as(readOnly.token);
    expect(
      (await failure(weak.token.create.mutate({ name: "wider", expiresInSeconds: 3600 })))
        .errorCode,
    ).toBe("FORBIDDEN");
    expect(
      (await failure(weak.accessKey.create.mutate({ name: "wider", expiresInSeconds: 3600 })))
        .errorCode,
    ).toBe("FORBIDDEN");
    expect((await failure(weak.token.disable.mutate({ id: readOnly.id }))).errorCode).toBe(
      "FORBIDDEN",
    );
  });

  it("no credentials, a malformed or an unknown token: UNAUTHORIZED; repeated failures: RATE_LIMITED", async () => {
    const anonymous = await fetch(`${e2e.url}/trpc/user.whoami`);
    expect(anonymous.status).toBe(401);
    expect((await failure(e2e.as("cft_not-a-token").user.whoami.query())).errorCode).toBe(
      "UNAUTHORIZED",
    );
    const forged = `cft_${"A".repeat(49)}`;
    let last = "";
    for (let i = 0; i < 25; i++)
      last = (await failure(e2e.as(forged).user.whoami.query())).errorCode;
    expect(last).toBe("RATE_LIMITED");
  });
});
