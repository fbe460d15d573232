/**
 * A rotation made through the Coffer server reaches the gateway while its cached value is
 * still fresh for an hour (`?ttl=3600`): only the change feed can explain it. A disable (the
 * entry is dropped: 502), an enable and a rollback (a stage move) reach it the same way.
 * No wall-clock bound is asserted (the machine may be busy): deadlines are generous, and the
 * time from `secret.put` to the first response carrying the new value is printed. Its speed
 * is measured by the gateway benchmark (bench/RESULTS.md: well under 1 s).
 *
 * With COFFER_TEST_DATABASE_URL, the same across two server replicas sharing one PostgreSQL
 * schema (and one data directory, hence one root key): the rotation goes through replica A,
 * the gateway listens to replica B.
 */
import { performance } from "node:perf_hooks";
import type { CofferClient } from "@coffer/client";
import {
  eventually,
  startEchoUpstream,
  tempDir,
  type Listening,
  type TempDir,
} from "@coffer/test-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { coffer, type CofferMiddleware } from "../middleware.js";
import {
  POSTGRES_URL,
  clientFor,
  createSchema,
  gateways,
  keyVia,
  spawnServer,
  type ServerProcess,
} from "./test-processes.js";

const ROTATIONS = 5;
/** Far below the ttl of an hour: a value seen by then came through the change feed. */
const DEADLINE_MS = 60_000;

let upstream: Listening;
const { through, closeAll } = gateways(() => upstream.url);

beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterEach(closeAll);
afterAll(async () => {
  await upstream?.close();
});

/** A gateway injecting `x-key` from the secret, fresh for an hour, feed on. */
async function gatewayFor(serverUrl: string, token: string, secret: string): Promise<string> {
  const middleware: CofferMiddleware = coffer({
    coffer: { url: serverUrl, token },
    env: false,
    headers: { "x-key": `{vault://coffer/${secret}?ttl=3600}` },
  });
  return through(middleware);
}

/**
 * The feed starts with the gateway's first resolve and does not replay what it missed, so a
 * rotation made before its subscription is up is never heard (until the ttl, an hour). Rotate
 * until one is heard: from then on the feed is live.
 */
async function untilFeedIsLive(gateway: string, rotate: (value: string) => Promise<void>) {
  for (let attempt = 0; ; attempt++) {
    const value = `fake-warm-up-key-${String(attempt).padStart(4, "0")}`;
    await rotate(value);
    const heard = await eventually(
      "a warm-up rotation",
      async () => ((await keyVia(gateway)) === value ? true : undefined),
      { intervalMs: 20 },
    ).catch(() => false);
    if (heard) return;
    if (attempt >= 5) throw new Error("the gateway never heard a rotation");
  }
}

/** Rotates ROTATIONS times; each time, ms from put resolving to the first gateway answer with it. */
async function measureRotations(
  gateway: string,
  rotate: (value: string) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 1; i <= ROTATIONS; i++) {
    const value = `fake-openai-key-${String(i + 1).padStart(4, "0")}`;
    await rotate(value);
    const putAt = performance.now();
    const seenAt = await eventually(
      `rotation ${i}`,
      async () => ((await keyVia(gateway)) === value ? performance.now() : undefined),
      { timeoutMs: DEADLINE_MS, intervalMs: 5 },
    );
    latencies.push(Math.round(seenAt - putAt));
  }
  return latencies;
}

function report(label: string, latencies: readonly number[]): void {
  process.stdout.write(`${label}: ${latencies.join(", ")} ms (max ${Math.max(...latencies)} ms)\n`);
}

describe("rotation reaches the gateway through the change feed", () => {
  let data: TempDir;
  let server: ServerProcess;
  let admin: CofferClient;

  beforeAll(async () => {
    data = await tempDir("gw-e2e-rotation-");
    server = await spawnServer({ dataDir: data.dir, expectToken: true });
    admin = clientFor(server.url, server.adminToken!);
    await admin.team.create.mutate({ name: "ml" });
  });

  afterAll(async () => {
    await server?.stop();
    await data?.remove();
  });

  it("while the cached value is fresh for an hour", async () => {
    await admin.secret.create.mutate({ secret: "ml/openai_key", value: "fake-openai-key-0001" });
    const gateway = await gatewayFor(server.url, server.adminToken!, "ml/openai_key");
    expect(await keyVia(gateway)).toBe("fake-openai-key-0001");
    const rotate = async (value: string): Promise<void> => {
      await admin.secret.put.mutate({ secret: "ml/openai_key", value });
    };
    await untilFeedIsLive(gateway, rotate);
    const latencies = await measureRotations(gateway, rotate);
    report("put → gateway, one server (PGlite)", latencies);
  }, 600_000);

  it("a disable stops the injection, and an enable and a rollback show, through the feed", async () => {
    await admin.secret.create.mutate({ secret: "ml/stripe_key", value: "fake-stripe-key-0001" });
    const gateway = await gatewayFor(server.url, server.adminToken!, "ml/stripe_key");
    expect(await keyVia(gateway)).toBe("fake-stripe-key-0001");
    const versions = ["fake-stripe-key-0001"];
    await untilFeedIsLive(gateway, async (value) => {
      await admin.secret.put.mutate({ secret: "ml/stripe_key", value });
      versions.push(value);
    });
    const [previous, current] = versions.slice(-2) as [string, string];
    const steps: [string, () => Promise<unknown>, string][] = [
      ["disable", () => admin.secret.disable.mutate({ secret: "ml/stripe_key" }), "status 502"],
      ["enable", () => admin.secret.enable.mutate({ secret: "ml/stripe_key" }), current],
      ["rollback", () => admin.secret.rollback.mutate({ secret: "ml/stripe_key" }), previous],
    ];
    const latencies: number[] = [];
    for (const [name, change, expected] of steps) {
      await change();
      const changedAt = performance.now();
      const seenAt = await eventually(
        `the gateway after ${name}`,
        async () => ((await keyVia(gateway)) === expected ? performance.now() : undefined),
        { timeoutMs: DEADLINE_MS, intervalMs: 5 },
      );
      latencies.push(Math.round(seenAt - changedAt));
    }
    report("disable, enable, rollback → gateway", latencies);
  }, 600_000);

  it("a rotation job (random rotator, rotation.run) reaches the gateway: whole value and target key", async () => {
    await admin.rotator.create.mutate({ name: "rnd", owner: "ml", kind: "random" });
    const cases = [
      { secret: "ml/rotated_key", value: "fake-rotated-key-0001", targets: undefined },
      // The gateway injects the rotated key only: `{vault://coffer/ml/rotated_json/password}`.
      {
        secret: "ml/rotated_json",
        value: '{"user":"fake-user","password":"fake-rotated-key-0001"}',
        targets: ["password"],
      },
    ];
    const latencies: number[] = [];
    for (const { secret, value, targets } of cases) {
      await admin.secret.create.mutate({ secret, value });
      await admin.rotation.configure.mutate({
        secret,
        rotator: "ml/rnd",
        auto: false,
        ...(targets ? { targets } : {}),
      });
      const ref = targets ? `${secret}/password` : secret;
      const gateway = await gatewayFor(server.url, server.adminToken!, ref);
      expect(await keyVia(gateway)).toBe("fake-rotated-key-0001");
      await untilFeedIsLive(gateway, async (next) => {
        await admin.secret.put.mutate({
          secret,
          value: targets ? JSON.stringify({ password: next }) : next,
        });
      });
      const before = await keyVia(gateway);
      // The server's own executor runs the job (woken by the run on this replica).
      await admin.rotation.run.mutate({ secret });
      const ranAt = performance.now();
      const seenAt = await eventually(
        `the gateway after rotating ${secret}`,
        async () => ((await keyVia(gateway)) !== before ? performance.now() : undefined),
        { timeoutMs: DEADLINE_MS, intervalMs: 5 },
      );
      latencies.push(Math.round(seenAt - ranAt));
      const [job] = (await admin.rotation.jobs.query({ secret })).items;
      expect(job?.state).toBe("succeeded");
      const now = (await admin.secret.reveal.mutate({ secret })).value;
      expect(await keyVia(gateway)).toBe(
        targets ? (JSON.parse(now) as { password: string }).password : now,
      );
    }
    report("rotation.run → gateway (job on the server's executor)", latencies);
  }, 600_000);
});

describe.skipIf(POSTGRES_URL === undefined)("two server replicas on PostgreSQL", () => {
  let data: TempDir;
  let schema: Awaited<ReturnType<typeof createSchema>> | undefined;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;

  beforeAll(async () => {
    data = await tempDir("gw-e2e-replicas-");
    schema = await createSchema(POSTGRES_URL!);
    // One database and one data directory (one root.key): A migrates and bootstraps first.
    a = await spawnServer({ dataDir: data.dir, databaseUrl: schema.url, expectToken: true });
    b = await spawnServer({ dataDir: data.dir, databaseUrl: schema.url, expectToken: false });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await schema?.drop();
    await data?.remove();
  });

  it("a rotation through replica A reaches a gateway following replica B through the feed", async () => {
    const token = a!.adminToken!;
    const viaA = clientFor(a!.url, token);
    await viaA.team.create.mutate({ name: "ml" });
    await viaA.secret.create.mutate({ secret: "ml/openai_key", value: "fake-openai-key-0001" });
    const gateway = await gatewayFor(b!.url, token, "ml/openai_key");
    expect(await keyVia(gateway)).toBe("fake-openai-key-0001");
    const rotate = async (value: string): Promise<void> => {
      await viaA.secret.put.mutate({ secret: "ml/openai_key", value });
    };
    await untilFeedIsLive(gateway, rotate);
    const latencies = await measureRotations(gateway, rotate);
    report("put on replica A → gateway following replica B (PostgreSQL)", latencies);
  }, 600_000);
});
