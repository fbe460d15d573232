/** The whole life of a secret, over real HTTP with the typed client. Values are fake. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CofferClient } from "../client.js";
import { failure } from "./test-errors.js";
import { startE2eServer, type E2eServer } from "./test-server.js";

let e2e: E2eServer;
let bob: CofferClient;

beforeAll(async () => {
  e2e = await startE2eServer();
  const created = await e2e.admin.user.create.mutate({ name: "bob" });
  bob = e2e.as(created.token);
});

afterAll(async () => {
  await e2e?.stop();
});

describe("the life of a secret", () => {
  it("create, share, reveal as the grantee, rotate, rollback, disable, delete, restore, force delete", async () => {
    const created = await e2e.admin.secret.create.mutate({
      secret: "db_password",
      value: "fake-pass-v1",
      description: "fake",
    });
    expect(created).toMatchObject({
      uri: "secret://default/admin/db_password",
      currentVersion: 1,
      status: "enabled",
    });

    // Bob cannot see it before it is shared: not found, not forbidden.
    expect(
      (await failure(bob.secret.reveal.mutate({ secret: "admin/db_password" }))).errorCode,
    ).toBe("NOT_FOUND");

    await e2e.admin.grant.share.mutate({ resource: "db_password", subject: "bob", level: "read" });
    const grant = {
      subject: "bob",
      resource: "secret://default/admin/db_password",
      level: "read",
      createdBy: "admin",
    };
    expect(await bob.grant.list.query({ direction: "toMe" })).toEqual([
      expect.objectContaining(grant),
    ]);
    expect(await e2e.admin.grant.list.query({ direction: "byMe" })).toEqual([
      expect.objectContaining(grant),
    ]);
    expect(await e2e.admin.grant.list.query({ direction: "toMe" })).toEqual([]);
    // The secret's access list (its manager sees every grant on it, also OWNER/*); a reader
    // may not; the caller's own level comes with its metadata.
    await e2e.admin.grant.share.mutate({ resource: "admin/*", subject: "bob", level: "list" });
    expect(await e2e.admin.grant.list.query({ secret: "db_password" })).toEqual([
      expect.objectContaining({ resource: "secret://default/admin/*", level: "list" }),
      expect.objectContaining(grant),
    ]);
    expect((await failure(bob.grant.list.query({ secret: "admin/db_password" }))).errorCode).toBe(
      "FORBIDDEN",
    );
    await e2e.admin.grant.unshare.mutate({ resource: "admin/*", subject: "bob" });
    expect((await e2e.admin.secret.describe.query({ secret: "db_password" })).access).toBe(
      "manage",
    );
    expect((await bob.secret.describe.query({ secret: "admin/db_password" })).access).toBe("read");
    expect(await bob.secret.reveal.mutate({ secret: "admin/db_password" })).toEqual({
      uri: "secret://default/admin/db_password",
      version: 1,
      value: "fake-pass-v1",
    });
    const shared = await bob.secret.list.query({ shared: true });
    expect(shared.items.map((s) => s.uri)).toEqual(["secret://default/admin/db_password"]);
    // Read is not write.
    expect(
      (await failure(bob.secret.put.mutate({ secret: "admin/db_password", value: "fake-x" })))
        .errorCode,
    ).toBe("FORBIDDEN");

    // Rotate, then roll back.
    const rotated = await e2e.admin.secret.put.mutate({
      secret: "db_password",
      value: "fake-pass-v2",
      expectedVersion: 1,
    });
    expect(rotated.version).toBe(2);
    expect((await bob.secret.reveal.mutate({ secret: "admin/db_password" })).value).toBe(
      "fake-pass-v2",
    );
    expect(
      (await bob.secret.reveal.mutate({ secret: "admin/db_password", stage: "previous" })).value,
    ).toBe("fake-pass-v1");
    const rolledBack = await e2e.admin.secret.rollback.mutate({ secret: "db_password" });
    expect(rolledBack).toMatchObject({ currentVersion: 1, previousVersion: 2 });
    expect((await bob.secret.reveal.mutate({ secret: "admin/db_password" })).value).toBe(
      "fake-pass-v1",
    );

    // Disabled: metadata yes, value no.
    await e2e.admin.secret.disable.mutate({ secret: "db_password" });
    expect(
      (await failure(bob.secret.reveal.mutate({ secret: "admin/db_password" }))).errorCode,
    ).toBe("INVALID_STATUS");
    expect((await bob.secret.describe.query({ secret: "admin/db_password" })).status).toBe(
      "disabled",
    );
    await e2e.admin.secret.enable.mutate({ secret: "db_password" });

    // Scheduled deletion: unreadable while scheduled, restorable.
    const scheduled = await e2e.admin.secret.delete.mutate({
      secret: "db_password",
      recoveryDays: 7,
    });
    expect(scheduled).toMatchObject({ status: "pending_deletion" });
    expect(
      (await failure(e2e.admin.secret.reveal.mutate({ secret: "db_password" }))).errorCode,
    ).toBe("INVALID_STATUS");
    expect(
      (await failure(e2e.admin.secret.delete.mutate({ secret: "db_password", recoveryDays: 3 })))
        .errorCode,
    ).toBe("INVALID_REQUEST");
    await e2e.admin.secret.restore.mutate({ secret: "db_password" });
    expect((await e2e.admin.secret.reveal.mutate({ secret: "db_password" })).value).toBe(
      "fake-pass-v1",
    );

    // Forced deletion: gone.
    expect(await e2e.admin.secret.delete.mutate({ secret: "db_password", force: true })).toEqual({
      uri: "secret://default/admin/db_password",
      deleted: true,
    });
    expect(
      (await failure(e2e.admin.secret.describe.query({ secret: "db_password" }))).errorCode,
    ).toBe("NOT_FOUND");

    // Every step is in the audit log, values nowhere.
    const audit = await e2e.admin.audit.list.query({ limit: 100 });
    const actions = audit.items.map((e) => e.action);
    for (const action of [
      "secret.create",
      "grant.share",
      "secret.reveal",
      "secret.put",
      "secret.rollback",
      "secret.delete",
    ]) {
      expect(actions).toContain(action);
    }
    expect(JSON.stringify(audit)).not.toMatch(/fake-pass/);
    expect((await e2e.admin.audit.verify.query()).ok).toBe(true);
    // The server logged every request, and no value or token.
    const logs = e2e.logs();
    expect(logs).toContain('"path":"/trpc/secret.reveal"');
    expect(logs).not.toMatch(/fake-pass/);
    expect(logs).not.toContain(e2e.adminToken);
  });

  it("batch reveal: up to 100 in one request, each item on its own", async () => {
    await e2e.admin.secret.create.mutate({
      secret: "api_json",
      value: JSON.stringify({ user: "fake-user", pass: "fake-pw" }),
    });
    await e2e.admin.secret.create.mutate({ secret: "plain", value: "fake-plain" });
    const results = await e2e.admin.secret.batchReveal.mutate({
      items: [
        { secret: "api_json", key: "user" },
        { secret: "plain" },
        { secret: "missing_one" },
        { secret: "plain", version: 9 },
        { secret: "api_json", key: "nope" },
      ],
    });
    expect(results.map((r) => (r.ok ? r.value : r.error.errorCode))).toEqual([
      "fake-user",
      "fake-plain",
      "NOT_FOUND",
      "NOT_FOUND",
      "UNPROCESSABLE_ENTITY",
    ]);
    expect(JSON.stringify(results[4])).not.toContain("fake-pw");
    const tooMany = Array.from({ length: 101 }, () => ({ secret: "plain" }));
    expect((await failure(e2e.admin.secret.batchReveal.mutate({ items: tooMany }))).errorCode).toBe(
      "INVALID_REQUEST",
    );
  });

  it("errors come back in the SPEC's format with their HTTP status, and no stack", async () => {
    const response = await fetch(`${e2e.url}/trpc/secret.reveal`, {
      method: "POST",
      headers: { authorization: `Bearer ${e2e.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ secret: "nope_nothing" }),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      errorCode: "NOT_FOUND",
      message: "secret://default/admin/nope_nothing not found",
    });
    expect(body.error["details"]).toEqual({ uri: "secret://default/admin/nope_nothing" });
    expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.js/);

    const bad = await fetch(`${e2e.url}/trpc/secret.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${e2e.adminToken}`, "content-type": "application/json" },
      body: '{"secret": "x", "value": "fake-unclosed',
    });
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { error: { errorCode: string; message: string } };
    expect(badBody.error.errorCode).toBe("INVALID_REQUEST");
    expect(badBody.error.message).not.toContain("fake-unclosed");

    const health = await fetch(`${e2e.url}/healthz`);
    expect(health.headers.get("cache-control")).toBe("no-store");
    expect((await fetch(`${e2e.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${e2e.url}/metrics`)).text();
    expect(metrics).toContain("coffer_requests_total");
    expect(metrics).not.toContain("fake-");
  });
});
