/** Versions, stages, pruning, where-used and listing, over real HTTP. Values are fake. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "./test-errors.js";
import { startE2eServer, type E2eServer } from "./test-server.js";

let e2e: E2eServer;

beforeAll(async () => {
  e2e = await startE2eServer();
});

afterAll(async () => {
  await e2e?.stop();
});

describe("versions and stages", () => {
  it("a pending version is stored without becoming current, then promoted", async () => {
    await e2e.admin.secret.create.mutate({ secret: "rotating", value: "fake-r1" });
    const pending = await e2e.admin.secret.put.mutate({
      secret: "rotating",
      value: "fake-r2",
      stage: "pending",
    });
    expect(pending).toMatchObject({ version: 2, stage: "pending" });
    expect((await e2e.admin.secret.reveal.mutate({ secret: "rotating" })).value).toBe("fake-r1");
    expect(
      (await e2e.admin.secret.reveal.mutate({ secret: "rotating", stage: "pending" })).value,
    ).toBe("fake-r2");
    const promoted = await e2e.admin.secret.moveStage.mutate({
      secret: "rotating",
      stage: "current",
      version: 2,
    });
    expect(promoted).toMatchObject({ currentVersion: 2, previousVersion: 1, pendingVersion: null });
    const versions = await e2e.admin.secret.versions.query({ secret: "rotating" });
    expect(versions.map((v) => [v.version, v.stages])).toEqual([
      [2, ["current"]],
      [1, ["previous"]],
    ]);
    expect(
      (
        await failure(
          e2e.admin.secret.moveStage.mutate({ secret: "rotating", stage: "previous", version: 2 }),
        )
      ).errorCode,
    ).toBe("INVALID_STATUS");
    expect(
      (
        await failure(
          e2e.admin.secret.moveStage.mutate({ secret: "rotating", stage: "current", version: 7 }),
        )
      ).errorCode,
    ).toBe("NOT_FOUND");
    expect(
      (
        await failure(
          e2e.admin.secret.reveal.mutate({ secret: "rotating", version: 1, stage: "previous" }),
        )
      ).errorCode,
    ).toBe("INVALID_REQUEST");
  });

  it("keeps the last 10 versions, and any version that holds a stage", async () => {
    await e2e.admin.secret.create.mutate({ secret: "many", value: "fake-m1" });
    await e2e.admin.secret.put.mutate({ secret: "many", value: "fake-m2" });
    await e2e.admin.secret.put.mutate({ secret: "many", value: "fake-m3", stage: "pending" });
    for (let i = 4; i <= 15; i++)
      await e2e.admin.secret.put.mutate({ secret: "many", value: `fake-m${i}` });
    const versions = (await e2e.admin.secret.versions.query({ secret: "many" })).map(
      (v) => v.version,
    );
    expect(versions).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 3]);
    expect((await e2e.admin.secret.reveal.mutate({ secret: "many", version: 3 })).value).toBe(
      "fake-m3",
    );
    expect(
      (await failure(e2e.admin.secret.reveal.mutate({ secret: "many", version: 2 }))).errorCode,
    ).toBe("NOT_FOUND");
  });

  it("where-used names the tokens that read a secret", async () => {
    await e2e.admin.secret.create.mutate({ secret: "used", value: "fake-used" });
    const ci = await e2e.admin.token.create.mutate({ name: "ci", expiresInSeconds: 3600 });
    await e2e.as(ci.token).secret.reveal.mutate({ secret: "used" });
    await e2e.as(ci.token).secret.reveal.mutate({ secret: "used" });
    const used = await e2e.admin.secret.whereUsed.query({ secret: "used" });
    expect(used).toEqual([expect.objectContaining({ actor: "admin", tokenId: ci.id, reads: 2 })]);
  });
});

describe("listing", () => {
  it("pages through secrets in order, filters by owner and prefix, and never shows a value", async () => {
    await e2e.admin.team.create.mutate({ name: "ops" });
    for (const name of ["list_a", "list_b", "list_c", "other_x"]) {
      await e2e.admin.secret.create.mutate({ secret: `ops/${name}`, value: `fake-${name}` });
    }
    const first = await e2e.admin.secret.list.query({ owner: "ops", limit: 2 });
    expect(first.items.map((s) => s.name)).toEqual(["list_a", "list_b"]);
    expect(first.nextCursor).not.toBeNull();
    const second = await e2e.admin.secret.list.query({
      owner: "ops",
      limit: 2,
      cursor: first.nextCursor!,
    });
    expect(second.items.map((s) => s.name)).toEqual(["list_c", "other_x"]);
    expect(second.nextCursor).toBeNull();
    const prefixed = await e2e.admin.secret.list.query({ owner: "ops", prefix: "list_" });
    expect(prefixed.items.map((s) => s.name)).toEqual(["list_a", "list_b", "list_c"]);
    expect(JSON.stringify([first, second])).not.toContain("fake-");
    expect((await failure(e2e.admin.secret.list.query({ cursor: "not-a-cursor" }))).errorCode).toBe(
      "INVALID_REQUEST",
    );
    // A prefix is literal: % and _ match themselves.
    expect((await e2e.admin.secret.list.query({ owner: "ops", prefix: "list%" })).items).toEqual(
      [],
    );
  });
});
