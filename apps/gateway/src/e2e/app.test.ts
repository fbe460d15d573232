/**
 * The built app end to end, every part a real process on 127.0.0.1: the Coffer server
 * (`node apps/server/dist/main.js`), the gateway (`node apps/gateway/dist/main.js config.json`,
 * COFFER_TOKEN in its environment) and an echo upstream in the test process.
 *
 * - A route sets a header from a coffer reference and a query parameter from an env one.
 * - A rotation through the server reaches the app while its value is fresh for an hour (only
 *   the change feed explains it; no wall-clock bound: the benchmark measures the speed).
 * - A client naming the injected header in its Connection header does not get it dropped.
 * - A missing secret is a 502 in the SPEC's error format, without a value; a value ending with
 *   a newline gets a message that says so.
 * - The metrics endpoint shows the cache counters.
 * - No output of the app or of the server holds an injected value.
 */
import { writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createCofferClient, type CofferClient } from "@coffer/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  startEchoUpstream,
  tempDir,
  type CofferProcess,
  type Echo,
  type EchoUpstream,
  type NodeChild,
  type TempDir,
} from "@coffer/test-kit";
import { spawnGateway, spawnServer } from "./test-processes.js";

const ORG = "fake-openai-org-0001";
const FIRST = "fake-openai-key-0001";
const WITH_NEWLINE = "fake-newline-key-0001\n";
const ROTATIONS = 5;
/** Far below the ttl of an hour: a value seen by then came through the change feed. */
const DEADLINE_MS = 60_000;
/** Every value the app injects during the suite (the rotations add theirs). */
const injected = new Set<string>([ORG, FIRST, WITH_NEWLINE.trim()]);

describe("coffer-gateway (dist/main.js) between a client, a Coffer server and an upstream", () => {
  let dir: TempDir;
  let server: CofferProcess & { adminToken: string };
  let admin: CofferClient;
  let upstream: EchoUpstream;
  let app: NodeChild & { url: string };

  beforeAll(async () => {
    dir = await tempDir("gw-app-e2e-");
    server = await spawnServer(path.join(dir.dir, "server"), "debug");
    admin = createCofferClient({ url: server.url, token: server.adminToken, retries: 0 });
    await admin.team.create.mutate({ name: "ml" });
    await admin.secret.create.mutate({ secret: "ml/openai_key", value: FIRST });
    upstream = await startEchoUpstream();
    const config = path.join(dir.dir, "gateway.json");
    await writeFile(
      config,
      JSON.stringify({
        listen: { host: "127.0.0.1", port: 0 },
        coffer: { url: server.url },
        env: { prefix: "GW_" },
        routes: [
          {
            path: "/openai",
            upstream: `${upstream.url}/v1`,
            headers: { Authorization: "Bearer {vault://coffer/ml/openai_key?ttl=3600}" },
            query: { organization: "{vault://env/openai-org}" },
          },
          {
            path: "/broken",
            upstream: upstream.url,
            headers: { "x-key": "{vault://coffer/ml/missing_key}" },
          },
          {
            path: "/newline",
            upstream: upstream.url,
            headers: { "x-key": "{vault://env/newline-key}" },
          },
        ],
      }),
    );
    app = await spawnGateway(config, {
      COFFER_TOKEN: server.adminToken,
      GW_OPENAI_ORG: ORG,
      GW_NEWLINE_KEY: WITH_NEWLINE,
      LOG_LEVEL: "debug",
    });
  });

  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
    await server?.stop();
    await dir?.remove();
  });

  async function viaApp(pathAndQuery: string, init?: RequestInit): Promise<Echo> {
    const response = await fetch(`${app.url}${pathAndQuery}`, init);
    expect(response.status).toBe(200);
    return (await response.json()) as Echo;
  }

  const keyVia = async (): Promise<string | undefined> =>
    (await viaApp("/openai/models")).headers["authorization"];

  it("sets a header from a coffer reference and a query parameter from an env reference", async () => {
    const echo = await viaApp("/openai/chat/completions?stream=false", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o" }),
    });
    expect(echo.method).toBe("POST");
    expect(echo.headers["authorization"]).toBe(`Bearer ${FIRST}`);
    const url = new URL(echo.url, "http://upstream");
    expect(url.pathname).toBe("/v1/chat/completions");
    expect(url.searchParams.get("stream")).toBe("false");
    expect(url.searchParams.get("organization")).toBe(ORG);
    expect(JSON.parse(echo.body ?? "")).toEqual({ model: "gpt-4o" });
  });

  it("keeps an injected header that the client names in its Connection header", async () => {
    // fetch() refuses to send Connection; node:http sends it as given.
    const echo = await new Promise<Echo>((resolve, reject) => {
      const { hostname, port } = new URL(app.url);
      const req = httpRequest({
        hostname,
        port,
        path: "/openai/models",
        headers: { connection: "authorization", authorization: "Bearer fake-client-0001" },
      });
      req.on("error", reject);
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(JSON.parse(text) as Echo));
      });
      req.end();
    });
    expect(echo.headers["authorization"]).toBe(`Bearer ${FIRST}`);
    expect(echo.headers["connection"] ?? "").not.toContain("authorization");
  });

  it("says that a value ends with a newline, without the value", async () => {
    const response = await fetch(`${app.url}/newline/x`);
    expect(response.status).toBe(502);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      error: {
        errorCode: "INTERNAL_SERVER_ERROR",
        message:
          "the value of {vault://env/newline-key} ends with a newline (headers cannot hold one); store it without it",
        details: { header: "x-key", reference: "{vault://env/newline-key}" },
      },
    });
    expect(body).not.toContain("fake-newline");
  });

  it("answers 502 in the SPEC's error format, without a value, when a secret is missing", async () => {
    const response = await fetch(`${app.url}/broken/x`);
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error).toMatchObject({
      errorCode: "INTERNAL_SERVER_ERROR",
      message: expect.stringContaining("{vault://coffer/ml/missing_key}") as unknown,
      details: {
        reference: "{vault://coffer/ml/missing_key}",
        backend: "coffer",
        cause: "NOT_FOUND",
      },
    });
  });

  it("sees a rotation made through the server while its value is fresh for an hour (the change feed)", async () => {
    const rotate = async (value: string): Promise<void> => {
      injected.add(value);
      await admin.secret.put.mutate({ secret: "ml/openai_key", value });
    };
    // The app subscribes with its first resolve and a feed does not replay: rotate until one
    // rotation is heard, then the feed is live.
    for (let attempt = 0; ; attempt++) {
      const value = `fake-warm-up-key-${String(attempt).padStart(4, "0")}`;
      await rotate(value);
      const heard = await eventually(
        "a warm-up rotation",
        async () => ((await keyVia()) === `Bearer ${value}` ? true : undefined),
        { intervalMs: 20 },
      ).catch(() => false);
      if (heard) break;
      if (attempt >= 5) throw new Error("the app never heard a rotation");
    }
    const latencies: number[] = [];
    for (let i = 1; i <= ROTATIONS; i++) {
      const value = `fake-openai-key-${String(i + 1).padStart(4, "0")}`;
      await rotate(value);
      const putAt = performance.now();
      const seenAt = await eventually(
        `rotation ${i}`,
        async () => ((await keyVia()) === `Bearer ${value}` ? performance.now() : undefined),
        { timeoutMs: DEADLINE_MS, intervalMs: 5 },
      );
      latencies.push(Math.round(seenAt - putAt));
    }
    process.stdout.write(
      `gateway app: rotation → app in ${latencies.join(", ")} ms (max ${Math.max(...latencies)} ms)\n`,
    );
  }, 600_000);

  it("shows the cache counters on its metrics endpoint", async () => {
    const response = await fetch(`${app.url}/-/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const metric = (name: string): number => {
      const line = text.split("\n").find((l) => l.startsWith(`${name} `));
      expect(line, name).toBeDefined();
      return Number(line!.slice(name.length + 1));
    };
    expect(metric("coffer_gateway_cache_hits_total")).toBeGreaterThan(0);
    // The two cold references of /openai, the missing one of /broken, the one of /newline.
    expect(metric("coffer_gateway_cache_misses_total")).toBeGreaterThanOrEqual(4);
    expect(metric("coffer_gateway_cache_refreshes_total")).toBeGreaterThanOrEqual(ROTATIONS);
    expect(metric("coffer_gateway_cache_errors_total")).toBeGreaterThanOrEqual(1);
    expect(metric("coffer_gateway_cache_entries")).toBe(4);
    expect(text).toMatch(/^coffer_gateway_requests_total\{route="\/openai",status="200"\} \d+/m);
    for (const value of injected) expect(text).not.toContain(value);
  });

  it("stops on SIGTERM; neither the app's output nor the server's holds an injected value", async () => {
    expect(await app.stop("SIGTERM")).toBe(0);
    const appOutput = app.output();
    const serverOutput = server.output();
    // The outputs were captured: the app's access log, the server's start.
    expect(appOutput).toContain('"path":"/openai/models"');
    expect(serverOutput).toContain("Coffer is listening on");
    expect(injected.size).toBeGreaterThanOrEqual(ROTATIONS + 3);
    for (const value of injected) {
      expect(appOutput, "the app's output").not.toContain(value);
      expect(serverOutput, "the server's output").not.toContain(value);
    }
    // Nor the app's credential.
    expect(appOutput).not.toContain(server.adminToken);
  });
});
