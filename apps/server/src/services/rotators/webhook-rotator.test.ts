/**
 * The `webhook` rotator end to end (SPEC §11) over real HTTP: a Coffer server, its executor,
 * and a local receiver that verifies each call the Standard Webhooks way (by hand, with
 * node:crypto) and calls back with the job token through tRPC.
 * - driver mode: set / test / revert calls; values reach the receiver only through
 *   rotation.job.start; a 500 is retried, a 410 fails for good, a timeout is retried;
 * - callback mode: start, then addPending / updatePending and complete / fail;
 * - job tokens: refused for another job's call, once replaced by a newer call, after the end.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RotationExecutor } from "../../jobs/rotation-executor.js";
import {
  callerAs,
  capturedLogger,
  httpCaller,
  httpRefusal,
  serverForSuite,
} from "../../test-support.js";
import { createWebhookClient } from "../../webhooks/outbound.js";
import { signedWith, startReceiver, type Receiver } from "../../webhooks/test-receiver.js";
import { builtInRotators } from "./rotators.js";
import { webhookRotator } from "./webhook-rotator.js";

interface Call {
  type: string;
  data: { job: string; secret: string; attempt: number; token: string; targets: string[] };
}

describe("webhook rotator end to end", () => {
  // Every log line is kept, and every value, key and token the tests saw (see the last test).
  const logs = capturedLogger();
  const seen = new Set<string>();
  const suite = serverForSuite("pglite", {
    env: { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" },
    rotation: { random: () => 0 },
    log: logs.log,
  });
  let admin: ReturnType<typeof callerAs>;
  let runner: RotationExecutor;
  let receiver: Receiver;
  /** What the receiver does with each call (set per test); answers with its status. */
  let handle: (call: Call) => Promise<number> = () => Promise.resolve(204);
  /** The target system's value, as the receiver keeps it. */
  let target = "fake-initial";
  const calls: Call[] = [];

  const asJob = (token: string) => httpCaller(suite.server.url, token);
  const settle = async () => {
    for (let i = 0; i < 20 && (await runner.tick()) > 0; i++);
  };
  const latest = async (secret: string) => (await admin.rotation.jobs({ secret })).items[0]!;
  const reveal = async (secret: string) => {
    const { value } = await admin.secret.reveal({ secret });
    seen.add(value);
    return value;
  };

  /** A secret on a webhook rotator of that mode, named after the test. */
  async function rotating(name: string, mode: "driver" | "callback") {
    await admin.secret.create({ secret: name, value: "fake-initial" });
    await admin.rotator.create({
      name: `hook_${name}`,
      kind: "webhook",
      webhook: { url: `${receiver.url}/rotate/${name}?fake-query=1`, mode },
    });
    await admin.rotation.configure({
      secret: name,
      rotator: `hook_${name}`,
      auto: false,
      maxAttempts: 2,
    });
    target = "fake-initial";
    calls.length = 0;
  }

  /** A driver receiver: reads the values with the token and keeps `target` in step. */
  const driver =
    (fail: Partial<Record<string, number>> = {}) =>
    async (call: Call): Promise<number> => {
      const status = fail[call.type];
      if (status !== undefined) return status;
      const values = await asJob(call.data.token).rotation.job.start.mutate();
      if (call.type === "rotation.set") target = values.pending!;
      if (call.type === "rotation.test" && target !== values.pending) return 500;
      if (call.type === "rotation.revert") target = values.current;
      if (call.type === "rotation.rollback") target = values.previous!;
      return 204;
    };

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    runner = new RotationExecutor(suite.server.deps, suite.server.services.rotationEngine, {
      owner: "hooks",
    });
    receiver = await startReceiver((res, request) => {
      const call = JSON.parse(request.body.toString("utf8")) as Call;
      calls.push(call);
      seen.add(call.data.token);
      handle(call).then(
        (status) => res.writeHead(status).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it("driver mode: signed set and test calls, values only through the job token", async () => {
    await rotating("drv", "driver");
    handle = driver();
    await admin.rotation.run({ secret: "drv" });
    await settle();
    expect(await latest("drv")).toMatchObject({ state: "succeeded" });
    const value = await reveal("drv");
    expect(target).toBe(value);
    expect(calls.map((c) => c.type)).toEqual(["rotation.set", "rotation.test"]);
    // Each call verifies with the rotator's signing key, held in its own secret.
    const key = await reveal("hook_drv_webhook_signing_key");
    const received = receiver.received.slice(-2);
    expect(received.every((r) => signedWith(r, key))).toBe(true);
    // No value in a body; every call has its own token.
    for (const r of received) {
      expect(r.body.toString()).not.toContain(value);
      expect(r.body.toString()).not.toContain("fake-initial");
    }
    expect(new Set(calls.map((c) => c.data.token)).size).toBe(2);
    // Nor in the audit trail (the reads are audited by version) or the metrics.
    const audit = await suite.server.deps.db.query<{ action: string; details: unknown }>(
      "SELECT action, details FROM audit_events WHERE action LIKE 'rotation.%'",
    );
    expect(audit.filter((a) => a.action === "rotation.job.start")).toHaveLength(2);
    const shown = JSON.stringify(audit) + (await suite.server.deps.metrics.registry.metrics());
    expect(shown).not.toContain(value);
    expect(shown).not.toContain(key.slice("whsec_".length));
    // The job has ended: its last token is dead.
    const dead = await httpRefusal(asJob(calls[1]!.data.token).rotation.job.start.mutate());
    expect(dead.errorCode).toBe("UNAUTHORIZED");
  });

  it("driver mode: a 500 is retried after a revert; a 410 fails the job for good", async () => {
    await rotating("drv500", "driver");
    let failures = 1;
    handle = async (call) => {
      if (call.type === "rotation.test" && failures-- > 0) return 500;
      return driver()(call);
    };
    await admin.rotation.run({ secret: "drv500" });
    await settle();
    expect(await latest("drv500")).toMatchObject({ state: "succeeded", attempt: 2 });
    expect(calls.map((c) => c.type)).toEqual([
      "rotation.set",
      "rotation.test",
      "rotation.revert",
      "rotation.set",
      "rotation.test",
    ]);
    expect(target).toBe(await reveal("drv500"));

    await rotating("drv410", "driver");
    handle = driver({ "rotation.set": 410 });
    await admin.rotation.run({ secret: "drv410" });
    await settle();
    const job = await latest("drv410");
    expect(job).toMatchObject({ state: "failed", attempt: 1 });
    expect(job.error).toContain("410");
    expect(job.error).not.toContain("fake-query");
    expect(await reveal("drv410")).toBe("fake-initial");
  });

  it("callback mode: the receiver drives create, set and test, then completes", async () => {
    await rotating("cb", "callback");
    let done: Promise<unknown> = Promise.resolve();
    let completions: string[] = [];
    handle = (call) => {
      // Answer the start call at once; drive the job after it (as a real receiver would).
      const job = asJob(call.data.token);
      done = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        const started = await job.rotation.job.addPending.mutate();
        target = started.pending!;
        await job.rotation.job.heartbeat.mutate();
        // Twice at once: one completes, the other finds the job ended (its token dead).
        const both = await Promise.allSettled([
          job.rotation.job.complete.mutate(),
          job.rotation.job.complete.mutate(),
        ]);
        completions = both.map((r) => r.status);
      })();
      return Promise.resolve(202);
    };
    await admin.rotation.run({ secret: "cb" });
    await settle();
    await done;
    const job = await latest("cb");
    expect(job).toMatchObject({ state: "succeeded" });
    expect(job.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      "create:done",
      "set:done",
      "test:done",
      "finish:done",
    ]);
    expect(await reveal("cb")).toBe(target);
    expect(calls.map((c) => c.type)).toEqual(["rotation.start"]);
    expect(completions.sort()).toEqual(["fulfilled", "rejected"]);
    const promotions = await suite.server.deps.db.query(
      "SELECT 1 FROM audit_events WHERE action = 'rotation.succeeded' AND resource LIKE '%/cb'",
    );
    expect(promotions).toHaveLength(1);
  });

  it("callback mode: updatePending, then fail: reverted, retried, and the token dies", async () => {
    await rotating("cbfail", "callback");
    const tokens: string[] = [];
    let done: Promise<unknown> = Promise.resolve();
    handle = (call) => {
      tokens.push(call.data.token);
      if (call.type !== "rotation.start") return driver()(call);
      const job = asJob(call.data.token);
      done = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        await job.rotation.job.updatePending.mutate({ value: "fake-given-by-receiver" });
        await job.rotation.job.fail.mutate({ reason: "fake target refused", retryable: false });
      })();
      return Promise.resolve(202);
    };
    await admin.rotation.run({ secret: "cbfail" });
    await settle();
    await done;
    await settle(); // the revert the failure asked for
    const job = await latest("cbfail");
    expect(job).toMatchObject({ state: "failed" });
    expect(job.error).toContain("fake target refused");
    expect(calls.map((c) => c.type)).toEqual(["rotation.start", "rotation.revert"]);
    expect(await reveal("cbfail")).toBe("fake-initial");
    // Tokens: the start call's was replaced by the revert call's; both are dead now.
    for (const token of tokens) {
      expect((await httpRefusal(asJob(token).rotation.job.heartbeat.mutate())).errorCode).toBe(
        "UNAUTHORIZED",
      );
    }
  });

  it("a token names its own job only, dies with it, and cannot drive a driver-mode job", async () => {
    await rotating("tok_a", "driver");
    await rotating("tok_b", "driver");
    const held: string[] = [];
    handle = async (call) => {
      if (call.type !== "rotation.set") return 204;
      held.push(call.data.token);
      // The token reads its own job's secret, never another's.
      const own = await asJob(call.data.token).rotation.job.start.mutate();
      expect(own.secret).toBe(call.data.secret);
      // In driver mode the answer is the outcome: callback calls are refused.
      const refused = await httpRefusal(asJob(call.data.token).rotation.job.complete.mutate());
      expect(refused.errorCode).toBe("INVALID_STATUS");
      return 503;
    };
    await admin.rotation.run({ secret: "tok_a" });
    await admin.rotation.run({ secret: "tok_b" });
    await settle();
    for (const secret of ["tok_a", "tok_b"]) {
      expect(await latest(secret)).toMatchObject({ state: "failed", attempt: 2 });
    }
    expect(
      new Set(calls.filter((c) => c.type === "rotation.set").map((c) => c.data.secret)).size,
    ).toBe(2);
    expect(held).toHaveLength(4);
    for (const token of [...held, "cfj_not-a-real-token", "cft_a-person-token-shape"]) {
      expect((await httpRefusal(asJob(token).rotation.job.start.mutate())).errorCode).toBe(
        "UNAUTHORIZED",
      );
    }
  });

  it("never logs a value, the signing key or a job token, failures included", async () => {
    seen.add(await reveal("hook_drv_webhook_signing_key"));
    const text = logs.text();
    expect(text).toContain("a rotation step failed"); // the failing cases above were logged
    for (const secret of seen) expect(text).not.toContain(secret);
  });
});

describe("webhook rotator deadlines", () => {
  // Calls time out after 300 ms, and a callback rotator must call back at once.
  const client = createWebhookClient({ allowCidrs: ["127.0.0.1/32"], timeoutMs: 300 });
  const suite = serverForSuite("pglite", {
    rotation: {
      random: () => 0,
      callbackTimeoutMs: 0,
      rotators: { ...builtInRotators, webhook: webhookRotator(client) },
    },
  });
  let admin: ReturnType<typeof callerAs>;
  let runner: RotationExecutor;
  let receiver: Receiver;
  const hung: ServerResponse[] = [];

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    runner = new RotationExecutor(suite.server.deps, suite.server.services.rotationEngine, {
      owner: "deadlines",
    });
    // Never answers a set (the call times out); accepts a start and never calls back.
    receiver = await startReceiver((res, request) => {
      const call = JSON.parse(request.body.toString("utf8")) as Call;
      if (call.type === "rotation.set") hung.push(res);
      else res.writeHead(call.type === "rotation.start" ? 202 : 204).end();
    });
  });
  afterAll(async () => {
    for (const res of hung) res.destroy();
    await receiver?.close();
    await client.close();
  });

  it.each([
    ["driver", "did not answer within 300 ms"],
    ["callback", "did not call back"],
  ] as const)(
    "%s mode: a receiver that never answers fails each attempt, then the job",
    async (mode, words) => {
      const name = `late_${mode}`;
      await admin.secret.create({ secret: name, value: "fake-initial" });
      await admin.rotator.create({
        name,
        kind: "webhook",
        webhook: { url: `${receiver.url}/rotate`, mode },
      });
      await admin.rotation.configure({ secret: name, rotator: name, auto: false, maxAttempts: 2 });
      await admin.rotation.run({ secret: name });
      for (let i = 0; i < 20 && (await runner.tick()) > 0; i++);
      const [job] = (await admin.rotation.jobs({ secret: name })).items;
      expect(job).toMatchObject({ state: "failed", attempt: 2 });
      expect(job?.error).toContain(words);
      expect((await admin.secret.reveal({ secret: name })).value).toBe("fake-initial");
    },
  );
});
