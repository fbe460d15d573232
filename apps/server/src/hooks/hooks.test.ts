/**
 * Hooks and automations end to end (SPEC §12), on a real server and a local receiver over
 * HTTP, the worker driven by `tick()` and the clock moved by hand:
 * - a W&B-style hook: a `${ml/TOKEN}` header and a JSON body, fired by an automation on a
 *   team secret's new version, signed (checked by hand with node:crypto), audited as a reveal;
 * - retries with backoff (5 s ± 20 % after the first failure), Retry-After, a 410 disabling the
 *   hook with `hook.disabled`, a redirect not followed, a hook whose owner lost `read` sending
 *   nothing, redeliver with the same webhook-id;
 * - used-by: deleting or disabling a secret a hook names is refused unless acknowledged;
 * - no rendered value in the delivery log, the audit log, errors or the server's log.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callerAs,
  capturedLogger,
  httpCaller,
  httpRefusal,
  serverForSuite,
} from "../test-support.js";
import {
  signedWith,
  startReceiver,
  type Receiver,
  type Received,
} from "../webhooks/test-receiver.js";

const TEAM_TOKEN = 'fake-team-token-0001-quote"back\\slash';

describe("hooks end to end", () => {
  const logs = capturedLogger();
  const clock = { offsetMs: 0 };
  const suite = serverForSuite("pglite", {
    env: { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" },
    now: () => new Date(Date.now() + clock.offsetMs),
    hooks: { random: () => 0.5 },
    log: logs.log,
  });
  let admin: ReturnType<typeof callerAs>;
  let receiver: Receiver;
  let answer: (res: ServerResponse, request: Received) => void = (res) => res.writeHead(204).end();

  const settle = async () => {
    await suite.server.hooks.tick();
    await suite.server.hooks.settled();
  };
  const deliveries = async (hook: string) => (await admin.deliveries.list({ hook })).items;
  const key = async (secret: string) => (await admin.secret.reveal({ secret })).value;

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    receiver = await startReceiver((res, request) => answer(res, request));
    await admin.team.create({ name: "ml" });
    await admin.secret.create({ secret: "ml/TOKEN", value: TEAM_TOKEN });
    await admin.secret.create({ secret: "ml/model", value: "fake-model-v1" });
  });
  afterAll(async () => {
    await receiver.close();
  });

  it("delivers a W&B-style hook: a team secret in a header, a JSON body, signed, audited", async () => {
    await admin.hook.create({
      name: "notify",
      owner: "ml",
      url: `${receiver.url}/hooks/\${event.type}`,
      headers: { Authorization: "Bearer ${ml/TOKEN}", "X-Event": "${event.id}" },
      body: '{"event": "${event.type}", "secret": "${secret.uri}", "v": "${secret.version}", "token": "${TOKEN}"}',
      allowSecrets: ["ml/*"],
    });
    await admin.automation.create({
      name: "on-model",
      owner: "ml",
      on: ["secret.version.created"],
      match: "secret://default/ml/*",
      hook: "ml/notify",
    });
    receiver.received.length = 0;
    await admin.secret.put({ secret: "ml/model", value: "fake-model-v2" });
    await settle();

    expect(receiver.received).toHaveLength(1);
    const request = receiver.received[0]!;
    expect(request.url).toBe("/hooks/secret.version.created");
    expect(request.headers["authorization"]).toBe(`Bearer ${TEAM_TOKEN}`);
    const body = JSON.parse(request.body.toString("utf8")) as Record<string, string>;
    expect(body).toStrictEqual({
      event: "secret.version.created",
      secret: "secret://default/ml/model",
      v: "2",
      token: TEAM_TOKEN,
    });
    expect(signedWith(request, await key("ml/notify_hook_signing_key"))).toBe(true);

    const [delivery] = await deliveries("ml/notify");
    expect(delivery?.state).toBe("delivered");
    expect(delivery?.messageId).toBe(request.headers["webhook-id"]);
    expect(delivery?.secretsUsed).toStrictEqual([
      { ref: "${ml/TOKEN}", uri: "secret://default/ml/TOKEN", version: 1 },
      { ref: "${TOKEN}", uri: "secret://default/ml/TOKEN", version: 1 },
    ]);
    expect(delivery?.request.headers["Authorization"]).toBe("Bearer ${ml/TOKEN}");
    expect(JSON.stringify(delivery)).not.toContain("fake-team-token");

    const audit = await admin.audit.list({ action: "secret.reveal" });
    const reveal = audit.items.find((e) => e.actor === "hook:ml/notify");
    expect(reveal?.resource).toBe("secret://default/ml/TOKEN");
  });

  it("signs with the new and the previous key for a day after the signing key changes", async () => {
    const before = await key("ml/notify_hook_signing_key");
    const after = `whsec_${randomBytes(32).toString("base64")}`;
    await admin.secret.put({ secret: "ml/notify_hook_signing_key", value: after });
    await sleep(2_500); // signing keys are kept 2 s once read (hook-attempt.ts)
    receiver.received.length = 0;
    await admin.hook.test({ hook: "ml/notify" });
    const request = receiver.received[0]!;
    expect(String(request.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(signedWith(request, after)).toBe(true);
    expect(signedWith(request, before)).toBe(true);
    clock.offsetMs += 25 * 3_600_000;
    await sleep(2_500);
    receiver.received.length = 0;
    await admin.hook.test({ hook: "ml/notify" });
    const later = receiver.received[0]!;
    expect(signedWith(later, after)).toBe(true);
    expect(signedWith(later, before)).toBe(false);
    await settle(); // the key's own new version is an event of ml/* too
    receiver.received.length = 0;
  });

  it("does not fire for events it does not match, nor for an owner who cannot see them", async () => {
    receiver.received.length = 0;
    await admin.secret.create({ secret: "elsewhere", value: "fake-other" });
    await admin.secret.put({ secret: "elsewhere", value: "fake-other-2" });
    await admin.secret.disable({ secret: "ml/model" }); // not one of the automation's events
    await admin.secret.enable({ secret: "ml/model" });
    await settle();
    expect(receiver.received).toHaveLength(0);
  });

  it("does not fire an automation for an event raised before it was made", async () => {
    await admin.hook.create({ name: "late", owner: "ml", url: `${receiver.url}/late` });
    receiver.received.length = 0;
    await admin.secret.put({ secret: "ml/model", value: "fake-model-v2b" }); // waits in the outbox
    await admin.automation.create({
      name: "late",
      owner: "ml",
      on: ["secret.version.created"],
      match: "secret://default/ml/model",
      hook: "ml/late",
    });
    await settle();
    expect(receiver.received.map((r) => r.url)).toStrictEqual(["/hooks/secret.version.created"]);
    await admin.automation.delete({ automation: "ml/late" });
    await admin.hook.delete({ hook: "ml/late" });
  });

  it("retries a 500 after 5 s ± 20 %, honours Retry-After, and redelivers with the same id", async () => {
    answer = (res) => res.writeHead(500).end("fake failure");
    receiver.received.length = 0;
    await admin.secret.put({ secret: "ml/model", value: "fake-model-v3" });
    await settle();
    let [delivery] = await deliveries("ml/notify");
    expect(delivery?.state).toBe("pending");
    expect(delivery?.attempts.at(-1)?.status).toBe(500);
    const waited =
      Date.parse(delivery!.nextAttemptAt!) - Date.parse(delivery!.attempts.at(-1)!.startedAt);
    expect(waited).toBeGreaterThanOrEqual(4_000);
    expect(waited).toBeLessThanOrEqual(6_500);

    answer = (res) => res.writeHead(503, { "retry-after": "3600" }).end();
    clock.offsetMs += 10_000;
    await settle();
    [delivery] = await deliveries("ml/notify");
    expect(delivery?.attempts).toHaveLength(2);
    const after =
      Date.parse(delivery!.nextAttemptAt!) - Date.parse(delivery!.attempts[1]!.startedAt);
    expect(after).toBeGreaterThanOrEqual(3_600_000 - 1_000);

    answer = (res) => res.writeHead(200).end(`echo ${TEAM_TOKEN}`);
    clock.offsetMs += 3_601_000;
    await settle();
    [delivery] = await deliveries("ml/notify");
    expect(delivery?.state).toBe("delivered");
    expect(delivery?.attempts[2]?.responseBody).toBe("echo [REDACTED]");
    const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1);

    receiver.received.length = 0;
    const again = await admin.deliveries.redeliver({ delivery: delivery!.id });
    expect(again.redeliveryOf).toBe(delivery!.id);
    await settle();
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toStrictEqual([
      delivery!.messageId,
    ]);
  });

  it("retries a receiver that does not answer within the timeout", async () => {
    const held: ServerResponse[] = [];
    answer = (res) => held.push(res); // never answered while the attempt lasts
    const sent = await admin.hook.test({ hook: "ml/notify" });
    expect(sent.state).toBe("pending");
    expect(sent.attempts[0]?.status).toBeNull();
    expect(sent.attempts[0]?.error).toMatch(/did not answer within/);
    expect(sent.nextAttemptAt).not.toBeNull();
    for (const res of held) res.destroy();
    answer = (res) => res.writeHead(204).end();
  });

  it("does not follow a redirect", async () => {
    answer = (res) => res.writeHead(302, { location: `${receiver.url}/elsewhere` }).end();
    receiver.received.length = 0;
    const sent = await admin.hook.test({ hook: "ml/notify" });
    expect(sent.attempts[0]?.status).toBe(302);
    expect(sent.state).toBe("pending");
    expect(receiver.received.map((r) => r.url)).not.toContain("/elsewhere");
    answer = (res) => res.writeHead(204).end();
  });

  it("refuses to delete or disable a secret a hook names unless acknowledged", async () => {
    const used = await admin.secret.usedBy({ secret: "ml/TOKEN" });
    expect(used.hooks).toStrictEqual([{ ref: "ml/notify", via: "template" }]);
    expect(used.automations).toStrictEqual([{ ref: "ml/on-model", hook: "ml/notify" }]);
    const http = httpCaller(suite.server.url, suite.server.adminToken);
    const refused = await httpRefusal(http.secret.delete.mutate({ secret: "ml/TOKEN" }));
    expect(refused.errorCode).toBe("INVALID_STATUS");
    expect(refused.message).toContain("hook ml/notify");
    expect(refused.message).toContain("automation ml/on-model");
    const disable = await httpRefusal(http.secret.disable.mutate({ secret: "ml/TOKEN" }));
    expect(disable.errorCode).toBe("INVALID_STATUS");
    const signing = await admin.secret.usedBy({ secret: "ml/notify_hook_signing_key" });
    expect(signing.hooks).toStrictEqual([{ ref: "ml/notify", via: "signingSecret" }]);
  });

  it("sends nothing when the hook's owner can no longer read a secret its templates name", async () => {
    await admin.team.create({ name: "ops" });
    await admin.secret.create({ secret: "ops/TOKEN", value: "fake-ops-token-0009" });
    await admin.grant.share({
      subject: "ml",
      resource: "secret://default/ops/TOKEN",
      level: "read",
    });
    await admin.hook.create({
      name: "borrowed",
      owner: "ml",
      url: `${receiver.url}/borrowed`,
      headers: { "X-Key": "${ops/TOKEN}" },
      allowSecrets: ["ops/TOKEN"],
    });
    await admin.grant.unshare({ subject: "ml", resource: "secret://default/ops/TOKEN" });
    receiver.received.length = 0;
    const sent = await admin.hook.test({ hook: "ml/borrowed" });
    expect(receiver.received).toHaveLength(0);
    expect(sent.attempts[0]?.status).toBeNull();
    expect(sent.attempts[0]?.error).toMatch(/ops\/TOKEN/);
    expect(sent.attempts[0]?.error).toMatch(/nothing was sent/);
  });

  it("disables a hook answered with 410 and tells the owner's other hooks", async () => {
    await admin.hook.create({ name: "watcher", owner: "ml", url: `${receiver.url}/watcher` });
    await admin.automation.create({
      name: "on-disabled",
      owner: "ml",
      on: ["hook.disabled"],
      match: "*",
      hook: "ml/watcher",
    });
    await admin.hook.create({ name: "doomed", owner: "ml", url: `${receiver.url}/doomed` });
    answer = (res, request) => res.writeHead(request.url === "/doomed" ? 410 : 204).end();
    receiver.received.length = 0;
    const sent = await admin.hook.test({ hook: "ml/doomed" });
    expect(sent.state).toBe("failed");
    const hook = await admin.hook.get({ hook: "ml/doomed" });
    expect(hook.enabled).toBe(false);
    expect(hook.disabledReason).toBe("gone");
    await settle();
    const told = receiver.received.find((r) => r.url === "/watcher");
    const body = JSON.parse(told!.body.toString("utf8")) as {
      type: string;
      data: { hook: { ref: string } };
    };
    expect(body.type).toBe("hook.disabled");
    expect(body.data.hook.ref).toBe("ml/doomed");
    answer = (res) => res.writeHead(204).end();
  });

  it("refuses templates that would break the rules, at save", async () => {
    const http = httpCaller(suite.server.url, suite.server.adminToken);
    for (const bad of [
      { url: "https://${event.type}.example.test/x" },
      { url: `${receiver.url}/x?k=\${ml/TOKEN}`, allowSecrets: ["ml/*"] },
      { url: `${receiver.url}/x`, headers: { "X-K": "${ml/TOKEN}" } }, // not allowed
      { url: `${receiver.url}/x`, body: '{"a": ${ml/TOKEN}}', allowSecrets: ["ml/*"] },
    ]) {
      const refused = await httpRefusal(
        http.hook.create.mutate({ name: "bad", owner: "ml", ...bad }),
      );
      expect(refused.errorCode).toBe("INVALID_REQUEST");
    }
    // Changing the host clears allowSecrets: the templates' secret must be allowed again.
    const moved = await httpRefusal(
      http.hook.update.mutate({ hook: "ml/notify", url: "http://127.0.0.2:9/elsewhere" }),
    );
    expect(moved.message).toMatch(/clears allowSecrets/);
    const kept = await admin.hook.update({
      hook: "ml/notify",
      url: "http://127.0.0.2:9/elsewhere",
      allowSecrets: ["ml/TOKEN"],
    });
    expect(kept.allowSecrets).toStrictEqual(["secret://default/ml/TOKEN"]);
  });

  it("keeps every rendered value out of the delivery log, the audit log and the server's log", async () => {
    const everything = JSON.stringify([
      await admin.deliveries.list({ limit: 200 }),
      await admin.audit.list({ limit: 500 }),
      await admin.hook.list(),
    ]);
    expect(everything).not.toContain("fake-team-token");
    expect(everything).not.toContain("fake-ops-token");
    expect(logs.text()).not.toContain("fake-team-token");
    // Nor in any row the hooks wrote (tests may name tables: they read what the stores wrote).
    const stored = JSON.stringify(
      await Promise.all(
        [
          "hooks",
          "automations",
          "hook_outbox",
          "hook_events",
          "hook_deliveries",
          "hook_delivery_attempts",
        ].map((table) => suite.server.deps.db.query(`SELECT * FROM ${table}`)),
      ),
    );
    expect(stored).toContain("ml/TOKEN");
    expect(stored).not.toContain("fake-team-token");
    expect(stored).not.toContain("fake-ops-token");
    expect(stored).not.toContain("whsec_");
    const metrics = await (await fetch(`${suite.server.url}/metrics`)).text();
    expect(metrics).toContain("coffer_hook_delivery_attempts_total");
    expect(metrics).not.toContain("fake-team-token");
    expect(logs.text()).not.toContain("whsec_");
  });
});
