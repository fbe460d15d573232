/**
 * The fast path answers exactly as tRPC's adapter does. One server, and beside it a second
 * HTTP surface on the same services and database with the fast path off: every call here goes
 * to both, and status, body and the headers a client reads must be the same.
 *
 * Which of the two answered is visible in the framing: the fast path knows its body's length
 * (Content-Length), the adapter streams it (chunked). Each case says which way it must take, so
 * a change that silently sent everything to the adapter would fail here too.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { signRequest, type MintedAccessKey } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Authenticator } from "../auth/authenticate.js";
import { actorFor, callerAs, startTestServer, type TestServer } from "../test-support.js";
import { createApp } from "./app.js";

interface Call {
  method?: "GET" | "POST";
  /** After /trpc/. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** A bearer token (default: the admin's), or none. */
  token?: string | null;
  /** Sign with this access key instead of a token. */
  signWith?: MintedAccessKey;
}

/** The headers a client may read; Date and framing differ by nature. */
const COMPARED = ["content-type", "vary", "cache-control", "x-request-id", "allow"];

describe("the fast path and tRPC's adapter", () => {
  let server: TestServer;
  let adapterOnly: Server;
  let adapterUrl: string;
  let accessKey: MintedAccessKey;

  beforeAll(async () => {
    server = await startTestServer("pglite", {
      env: { COFFER_AUTH_FAILURES_PER_MINUTE: "100000" },
    });
    const app = await createApp(server.deps, server.services, new Authenticator(server.deps), {
      fastPath: false,
    });
    adapterOnly = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => adapterOnly.once("listening", resolve));
    adapterUrl = `http://127.0.0.1:${(adapterOnly.address() as AddressInfo).port}`;
    const admin = callerAs(server, await actorFor(server, server.adminToken));
    await admin.secret.create({ secret: "app_db", value: "fake-value-1" });
    await admin.secret.put({ secret: "app_db", value: '{"user":"fake","password":"fake-2"}' });
    const made = await admin.accessKey.create({ name: "fast path test", expiresInSeconds: 3600 });
    accessKey = { accessKeyId: made.id, secret: made.secret };
  });

  afterAll(async () => {
    adapterOnly?.closeAllConnections();
    await new Promise((resolve) => (adapterOnly ? adapterOnly.close(resolve) : resolve(null)));
    await server?.stop();
  });

  async function send(base: string, call: Call, requestId: string) {
    const method = call.method ?? "GET";
    const pathAndQuery = `/trpc/${call.path}`;
    const headers: Record<string, string> = { "x-request-id": requestId, ...call.headers };
    if (call.signWith) {
      const body = call.body === undefined ? undefined : Buffer.from(call.body);
      Object.assign(headers, signRequest({ method, pathAndQuery, body }, call.signWith));
    } else if (call.token !== null) {
      headers["authorization"] = `Bearer ${call.token ?? server.adminToken}`;
    }
    const res = await fetch(`${base}${pathAndQuery}`, {
      method,
      headers,
      ...(call.body === undefined ? {} : { body: call.body }),
    });
    const text = await res.text();
    const picked = Object.fromEntries(COMPARED.map((h) => [h, res.headers.get(h)]));
    const framing = res.headers.get("transfer-encoding") === "chunked" ? "adapter" : "fast";
    return { status: res.status, headers: picked, body: text, framing };
  }

  let requests = 0;
  /**
   * The answer from both; they must match, and the fast one must come the expected way
   * ("before": refused by the HTTP layer in front of both, the body parser).
   */
  async function both(call: Call, way: "fast" | "adapter" | "before") {
    const requestId = `fastpath-test-${++requests}`;
    const fast = await send(server.url, call, requestId);
    const adapter = await send(adapterUrl, call, requestId);
    expect(adapter.framing).toBe(way === "before" ? "fast" : "adapter");
    expect(fast.framing).toBe(way === "before" ? "fast" : way);
    const answer = (a: typeof fast) => ({ status: a.status, headers: a.headers, body: a.body });
    expect(answer(fast)).toEqual(answer(adapter));
    return {
      status: fast.status,
      headers: fast.headers,
      get json(): unknown {
        return JSON.parse(fast.body) as unknown;
      },
    };
  }

  const json = { "content-type": "application/json" };
  const q = (input: unknown) => encodeURIComponent(JSON.stringify(input));

  it("a query, alone and as the client batches it", async () => {
    const alone = await both({ path: "user.whoami" }, "fast");
    expect(alone.status).toBe(200);
    expect(alone.json).toMatchObject({ result: { data: { name: "admin" } } });
    expect(alone.headers["cache-control"]).toBe("no-store");
    const batched = await both({ path: `user.whoami?batch=1&input=${q({})}` }, "fast");
    expect(batched.json).toMatchObject([{ result: { data: { name: "admin" } } }]);
    await both({ path: `secret.describe?input=${q({ secret: "app_db" })}` }, "fast");
    await both({ path: `secret.list,user.whoami?batch=1&input=${q({ 0: {} })}` }, "fast");
  });

  it("a mutation, alone and batched, JSON keys included", async () => {
    const alone = await both(
      { method: "POST", path: "secret.reveal", headers: json, body: '{"secret":"app_db"}' },
      "fast",
    );
    expect(alone.json).toEqual({
      result: {
        data: {
          uri: "secret://default/admin/app_db",
          version: 2,
          value: expect.any(String) as unknown,
        },
      },
    });
    const key = await both(
      {
        method: "POST",
        path: "secret.reveal?batch=1",
        headers: { "content-type": "Application/JSON; charset=utf-8" },
        body: JSON.stringify({ 0: { secret: "app_db", key: "password" } }),
      },
      "fast",
    );
    expect(key.json).toMatchObject([{ result: { data: { value: "fake-2" } } }]);
  });

  it("a batch with one failure answers 207, each call its own answer", async () => {
    const body = JSON.stringify({ 0: { secret: "app_db" }, 1: { secret: "nope" } });
    const mixed = await both(
      { method: "POST", path: "secret.reveal,secret.reveal?batch=1", headers: json, body },
      "fast",
    );
    expect(mixed.status).toBe(207);
    expect(mixed.json).toMatchObject([
      { result: {} },
      { error: { errorCode: "NOT_FOUND", data: { path: "secret.reveal", httpStatus: 404 } } },
    ]);
  });

  it("validation errors, in the SPEC's format", async () => {
    const bad = await both(
      { method: "POST", path: "secret.reveal", headers: json, body: '{"secret":5}' },
      "fast",
    );
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { errorCode: "INVALID_REQUEST" } });
    await both({ path: `secret.describe?batch=1&input=${q({ 0: { secret: "" } })}` }, "fast");
    await both({ path: `user.whoami?input=${q({ extra: 1 })}` }, "fast");
  });

  it("authentication errors: none, a bad token, a bad signature; and a good signature", async () => {
    const none = await both({ path: "user.whoami", token: null }, "fast");
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error: { errorCode: "UNAUTHORIZED" } });
    await both({ path: "user.whoami?batch=1", token: "cft_not-a-real-token" }, "fast");
    // Authentication comes before the input is read: malformed JSON from a stranger is a 401.
    await both(
      { method: "POST", path: "secret.reveal", token: null, headers: json, body: "{" },
      "fast",
    );
    const signed = await both(
      {
        method: "POST",
        path: "secret.reveal",
        headers: json,
        body: '{"secret":"app_db"}',
        signWith: accessKey,
      },
      "fast",
    );
    expect(signed.status).toBe(200);
    // The signature covers the body's exact bytes: another body under it is refused.
    const forged = await both(
      {
        method: "POST",
        path: "secret.reveal",
        headers: {
          ...json,
          ...signRequest(
            {
              method: "POST",
              pathAndQuery: "/trpc/secret.reveal",
              body: Buffer.from('{"secret":"x"}'),
            },
            accessKey,
          ),
        },
        body: '{"secret":"app_db"}',
        token: null,
      },
      "fast",
    );
    expect(forged.status).toBe(401);
  });

  it("malformed input JSON", async () => {
    const query = await both({ path: "secret.describe?input=%7Bnope" }, "fast");
    expect(query.status).toBe(400);
    expect(query.json).toMatchObject({ error: { errorCode: "INVALID_REQUEST" } });
    await both({ method: "POST", path: "secret.reveal", headers: json, body: "{nope" }, "fast");
    await both(
      { method: "POST", path: "secret.reveal?batch=1", headers: json, body: "[1]" },
      "fast",
    );
    await both({ path: "user.whoami?batch=1&input=5" }, "fast");
  });

  it("what the fast path leaves to the adapter", async () => {
    const notFound = await both({ path: "user.nope" }, "adapter");
    expect(notFound.status).toBe(404);
    await both({ path: "user.whoami,user.nope?batch=1" }, "adapter");
    const getMutation = await both({ path: "secret.reveal" }, "adapter");
    expect(getMutation.status).toBe(405);
    await both({ method: "POST", path: "user.whoami", headers: json, body: "{}" }, "adapter");
    await both({ method: "POST", path: "secret.reveal", body: '{"secret":"app_db"}' }, "adapter");
    await both(
      {
        method: "POST",
        path: "secret.reveal",
        headers: { "content-type": "text/plain" },
        body: "{}",
      },
      "adapter",
    );
    await both(
      { path: "user.whoami?batch=1", headers: { "trpc-accept": "application/jsonl" } },
      "adapter",
    );
  });

  it("a path with a bad %-escape is a 400 (tRPC's own refusal), never a 500", async () => {
    const bad = await both({ path: "user.who%E0ami" }, "adapter");
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { errorCode: "INVALID_REQUEST" } });
    await both({ method: "POST", path: "secret.rev%E0eal", headers: json, body: "{}" }, "adapter");
  });

  it("an oversized body is refused before either", async () => {
    const big = JSON.stringify({ secret: "app_db", pad: "x".repeat(1024 * 1024) });
    const refused = await both(
      { method: "POST", path: "secret.reveal", headers: json, body: big },
      "before",
    );
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: { errorCode: "INVALID_REQUEST" } });
  });

  it("counts each call once in the metrics, under its own name", async () => {
    const count = async (labels: string): Promise<number> => {
      const text = await server.deps.metrics.registry.metrics();
      const line = text.split("\n").find((l) => l.startsWith(`coffer_requests_total{${labels}}`));
      return line === undefined ? 0 : Number(line.split(" ").pop());
    };
    const ok = await count('procedure="user.whoami",outcome="ok"');
    const refused = await count('procedure="user.whoami",outcome="UNAUTHORIZED"');
    await send(server.url, { path: "user.whoami" }, "metrics-1");
    await send(server.url, { path: "user.whoami", token: null }, "metrics-2");
    expect(await count('procedure="user.whoami",outcome="ok"')).toBe(ok + 1);
    expect(await count('procedure="user.whoami",outcome="UNAUTHORIZED"')).toBe(refused + 1);
  });
});
