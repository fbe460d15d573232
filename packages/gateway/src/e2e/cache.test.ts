/**
 * The resolver's cache end to end, against the Coffer server as a child process: expiry,
 * negative caching, the last good value served while the server is down (killed, then started
 * again on the same port and data directory), and one backend call for 200 concurrent misses,
 * counted by the server itself (its /metrics).
 *
 * The feed is off where the cache alone must explain what is seen.
 */
import type { CofferClient } from "@coffer/client";
import {
  eventually,
  sleep,
  startEchoUpstream,
  tempDir,
  type Listening,
  type TempDir,
} from "@coffer/test-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { coffer } from "../middleware.js";
import {
  barrier,
  clientFor,
  echoOf,
  gateways,
  keyVia,
  revealCalls,
  spawnServer,
  type ServerProcess,
} from "./test-processes.js";

const V = {
  ttl1: "fake-ttl-key-0001",
  ttl2: "fake-ttl-key-0002",
  late: "fake-late-key-0001",
  crowd: "fake-crowd-key-0001",
  stale1: "fake-stale-key-0001",
  stale2: "fake-stale-key-0002",
} as const;

describe("the gateway's cache, against a real Coffer server", () => {
  let data: TempDir;
  let server: ServerProcess;
  let admin: CofferClient;
  let token: string;
  let upstream: Listening;
  const { through, closeAll } = gateways(() => upstream.url);

  beforeAll(async () => {
    data = await tempDir("gw-e2e-cache-");
    server = await spawnServer({ dataDir: data.dir, expectToken: true });
    token = server.adminToken!;
    admin = clientFor(server.url, token);
    await admin.team.create.mutate({ name: "ml" });
    upstream = await startEchoUpstream();
  });

  afterEach(closeAll);

  afterAll(async () => {
    await closeAll();
    await upstream?.close();
    await server?.stop();
    await data?.remove();
  });

  it("?ttl=5: a rotation is not seen while the value is fresh, and is seen once it expires", async () => {
    await admin.secret.create.mutate({ secret: "ml/ttl_key", value: V.ttl1 });
    const middleware = coffer({
      coffer: { url: server.url, token, feed: false },
      env: false,
      headers: { "x-key": "{vault://coffer/ml/ttl_key?ttl=5}" },
    });
    const gateway = await through(middleware);
    // The value is fetched after `asked`: it is fresh at least until asked + 5 s, and a
    // refresh ahead of expiry may start from asked + 4 s. So an answer received before
    // asked + 4 s was served from the cache and must be the old value. No wall-clock bound is
    // asserted: on a machine too busy to answer within 4 s, the test checks fewer answers.
    const asked = Date.now();
    expect(await keyVia(gateway)).toBe(V.ttl1);
    await admin.secret.put.mutate({ secret: "ml/ttl_key", value: V.ttl2 });
    for (;;) {
      const value = await keyVia(gateway);
      if (Date.now() - asked >= 4000) break;
      expect(value).toBe(V.ttl1);
      await sleep(100);
    }
    const seenAt = await eventually(
      "the rotated value",
      async () => ((await keyVia(gateway)) === V.ttl2 ? Date.now() : undefined),
      { intervalMs: 100 },
    );
    expect(seenAt - asked).toBeGreaterThanOrEqual(4000);
    expect(middleware.stats().refreshes).toBeGreaterThanOrEqual(1);
  });

  it("?neg_ttl=2: a missing secret is a 502 without a value; once created, still 502 until neg_ttl ends", async () => {
    const middleware = coffer({
      coffer: { url: server.url, token, feed: false },
      env: false,
      headers: { "x-key": "{vault://coffer/ml/late_key?neg_ttl=2}" },
    });
    const gateway = await through(middleware);
    const callsBefore = await revealCalls(server.url);

    // The failure is stored after `asked`: it is remembered at least until asked + 2 s.
    const asked = Date.now();
    const first = await echoOf(`${gateway}/`);
    expect(first.status).toBe(502);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const { error } = first.body as { error: Record<string, unknown> };
    expect(Object.keys(first.body as object)).toEqual(["error"]);
    expect(Object.keys(error).sort()).toEqual(["details", "errorCode", "message"]);
    expect(error["errorCode"]).toBe("INTERNAL_SERVER_ERROR");
    expect(error["message"]).toMatch(/^cannot resolve \{vault:\/\/coffer\/ml\/late_key\}: /);
    expect(error["details"]).toEqual({
      reference: "{vault://coffer/ml/late_key}",
      backend: "coffer",
      cause: "NOT_FOUND",
    });

    await admin.secret.create.mutate({ secret: "ml/late_key", value: V.late });
    // The failure is remembered: 502 again, from the cache, without the value that now exists.
    // (Only if this answer came within the 2 s: a machine too busy for that skips the check.)
    const second = await echoOf(`${gateway}/`);
    const inTime = Date.now() - asked < 2000;
    if (inTime) {
      expect(second.status).toBe(502);
      expect(second.text).not.toContain(V.late);
      expect((second.body as { error: { details: unknown } }).error.details).toMatchObject({
        cause: "NOT_FOUND",
      });
    }

    const seenAt = await eventually(
      "the created secret",
      async () => {
        const { status, echo, text } = await echoOf(`${gateway}/`);
        if (status === 502) {
          expect(text).not.toContain(V.late);
          return undefined;
        }
        expect(status).toBe(200);
        expect(echo!.headers["x-key"]).toBe(V.late);
        return Date.now();
      },
      { intervalMs: 100 },
    );
    expect(seenAt - asked).toBeGreaterThanOrEqual(2000);
    // One call found nothing, one found the value: the 502s in between came from the cache.
    expect((await revealCalls(server.url)) - callsBefore).toBe(2);
    expect(middleware.stats()).toMatchObject({ errors: 1 });
    if (inTime) expect(middleware.stats().hits).toBeGreaterThanOrEqual(1);
  });

  it("200 concurrent misses of one reference make one backend call", async () => {
    await admin.secret.create.mutate({ secret: "ml/crowd_key", value: V.crowd });
    const middleware = coffer({
      coffer: { url: server.url, token, feed: false },
      env: false,
      headers: { "x-key": "{vault://coffer/ml/crowd_key}" },
    });
    // The barrier holds the requests until all 200 are in, then lets them reach coffer() in
    // one tick: all of them miss the cold reference while its one fetch is in flight.
    const gateway = await through(barrier(200), middleware);
    const before = await revealCalls(server.url);
    const keys = await Promise.all(Array.from({ length: 200 }, () => keyVia(gateway)));
    const after = await revealCalls(server.url);
    expect(new Set(keys)).toEqual(new Set([V.crowd]));
    expect(after - before).toBe(1);
    expect(middleware.stats()).toMatchObject({ misses: 200, hits: 0, errors: 0, entries: 1 });
  });

  it("serves the last good value while the server is down, then sees a rotation once it is back", async () => {
    await admin.secret.create.mutate({ secret: "ml/stale_key", value: V.stale1 });
    const middleware = coffer({
      coffer: { url: server.url, token }, // the feed too: its loss must not hurt
      env: false,
      headers: { "x-key": "{vault://coffer/ml/stale_key?ttl=1&resurrect_ttl=60}" },
    });
    const gateway = await through(middleware);
    expect(await keyVia(gateway)).toBe(V.stale1);

    const { port } = server;
    await server.stop("SIGKILL");
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

    // One request every 150 ms (start to start) for 10 s, and at least 25 however long they
    // take (no wall-clock bound): every one must carry the old value.
    const answers: string[] = [];
    let slowest = 0;
    const startedAt = Date.now();
    while (answers.length < 25 || Date.now() - startedAt < 10_000) {
      const sentAt = Date.now();
      answers.push(await keyVia(gateway));
      slowest = Math.max(slowest, Date.now() - sentAt);
      await sleep(Math.max(0, 150 - (Date.now() - sentAt)));
    }
    process.stdout.write(`server down: ${answers.length} requests, slowest ${slowest} ms\n`);
    expect(answers.filter((answer) => answer !== V.stale1)).toEqual([]);
    // Served stale (the backend was asked and failed), not merely fresh.
    const stats = middleware.stats();
    expect(stats.stale).toBeGreaterThan(0);
    expect(stats.errors).toBeGreaterThan(0);

    server = await spawnServer({ dataDir: data.dir, port, expectToken: false });
    admin = clientFor(server.url, token);
    await admin.secret.put.mutate({ secret: "ml/stale_key", value: V.stale2 });
    const rotatedAt = Date.now();
    await eventually(
      "the rotation after the restart",
      async () => ((await keyVia(gateway)) === V.stale2 ? true : undefined),
      { intervalMs: 100 },
    );
    process.stdout.write(
      `after the restart, a rotation reached the gateway in ${Date.now() - rotatedAt} ms\n`,
    );
  });
});
