/**
 * The gateway on real sockets: an echo upstream, the gateway started in-process with the env
 * backend only, requests sent with node:http (which, unlike fetch, sends any header asked).
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayConfig } from "@coffer/core";
import { startGateway, type RunningGateway } from "./app.js";
import { createLogger } from "./logger.js";
import { freePort, startEchoUpstream, type Echo, type EchoUpstream } from "@coffer/test-kit";

const API_KEY = "fake-api-key-0001";
const MAPS_KEY = "fake maps&key=0002";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | Readable } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    // host/port/path rather than a URL: a URL would resolve dot segments before sending.
    const req = httpRequest({
      hostname,
      port,
      path,
      method: options.method ?? "GET",
      headers: options.headers ?? {},
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

const echoOf = (reply: Reply): Echo => JSON.parse(reply.body.toString("utf8")) as Echo;

describe("the gateway, in front of an echo upstream", () => {
  let upstream: EchoUpstream;
  let gateway: RunningGateway;
  let downPort: number;
  const logLines: string[] = [];

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    downPort = await freePort();
    const config: GatewayConfig = {
      listen: { host: "127.0.0.1", port: 0 },
      env: { prefix: "GW_" },
      cache: { ttl: 60 },
      routes: [
        {
          path: "/api",
          upstream: `${upstream.url}/base`,
          headers: { Authorization: "Bearer {vault://env/api-key}", "x-static": "plain" },
          query: { key: "{vault://env/maps-key}" },
        },
        { path: "/api/v2", upstream: `${upstream.url}/two/` },
        { path: "/keep", upstream: upstream.url, stripPrefix: false },
        { path: "/plain", upstream: upstream.url },
        { path: "/missing", upstream: upstream.url, headers: { "x-k": "{vault://env/not-set}" } },
        { path: "/down", upstream: `http://127.0.0.1:${downPort}/x` },
        { path: "/slow", upstream: upstream.url, timeoutMs: 200 },
      ],
    };
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    gateway = await startGateway(config, {
      logger: createLogger("trace", sink),
      variables: { GW_API_KEY: API_KEY, GW_MAPS_KEY: MAPS_KEY, API_KEY: "unprefixed-0003" },
    });
  });

  afterAll(async () => {
    await gateway?.close(1000);
    await upstream?.close();
  });

  it("injects headers and query parameters, strips the prefix, keeps the rest of the query", async () => {
    const reply = await send(gateway.url, "/api/chat/completions?model=x&n=1", {
      headers: { authorization: "Bearer client-supplied", accept: "application/json" },
    });
    expect(reply.status).toBe(200);
    const echo = echoOf(reply);
    expect(echo.method).toBe("GET");
    const url = new URL(echo.url, "http://x");
    expect(url.pathname).toBe("/base/chat/completions");
    expect(url.searchParams.get("model")).toBe("x");
    expect(url.searchParams.get("n")).toBe("1");
    expect(url.searchParams.get("key")).toBe(MAPS_KEY);
    expect(echo.headers["authorization"]).toBe(`Bearer ${API_KEY}`);
    expect(echo.headers["x-static"]).toBe("plain");
    expect(echo.headers["accept"]).toBe("application/json");
  });

  it("routes by the longest prefix on segment boundaries; stripPrefix false keeps the path", async () => {
    expect(echoOf(await send(gateway.url, "/api/v2/models")).url).toBe("/two/models");
    expect(echoOf(await send(gateway.url, "/api/v2")).url).toBe("/two/");
    expect(echoOf(await send(gateway.url, "/api")).url).toMatch(/^\/base\?key=/);
    expect(echoOf(await send(gateway.url, "/keep/a/b?c=d")).url).toBe("/keep/a/b?c=d");
    expect(echoOf(await send(gateway.url, "/plain/a%2Fb")).url).toBe("/a%2Fb");
    const miss = await send(gateway.url, "/apix");
    expect(miss.status).toBe(404);
  });

  it("sets Host to the upstream's and adds X-Forwarded-For/-Proto/-Host", async () => {
    const echo = echoOf(
      await send(gateway.url, "/plain/x", { headers: { "x-forwarded-for": "203.0.113.9" } }),
    );
    expect(echo.headers.host).toBe(new URL(upstream.url).host);
    expect(echo.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
    expect(echo.headers["x-forwarded-host"]).toBe(new URL(gateway.url).host);
  });

  it("strips hop-by-hop headers both ways", async () => {
    const reply = await send(gateway.url, "/plain/hop", {
      method: "POST",
      headers: {
        connection: "keep-alive, x-client-hop",
        "x-client-hop": "1",
        "keep-alive": "timeout=30",
        te: "trailers",
        trailer: "x-checksum",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "proxy-connection": "keep-alive",
        upgrade: "h2c",
        "x-end-to-end": "kept",
        "content-type": "text/plain",
      },
      body: Readable.from([Buffer.from("chunked "), Buffer.from("body")]),
    });
    expect(reply.status).toBe(200);
    const echo = echoOf(reply);
    expect(echo.body).toBe("chunked body");
    const sent = echo.rawHeaderNames.map((name) => name.toLowerCase());
    for (const name of [
      "x-client-hop",
      "keep-alive",
      "te",
      "trailer",
      "proxy-authorization",
      "proxy-connection",
      "upgrade",
    ]) {
      expect(sent).not.toContain(name);
    }
    expect(echo.headers["x-end-to-end"]).toBe("kept");
    // The upstream's hop-by-hop headers stay with it; end-to-end ones come through.
    expect(reply.headers["x-upstream-hop"]).toBeUndefined();
    expect(reply.headers["proxy-authenticate"]).toBeUndefined();
    expect(reply.headers["keep-alive"]).not.toBe("timeout=99");
    expect(reply.headers["connection"]).not.toContain("x-upstream-hop");
    expect(reply.headers["x-upstream-end-to-end"]).toBe("kept");
  });

  it("streams a 20 MB request body through intact, without waiting for its end", async () => {
    const size = 20 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
    const expected = createHash("sha256");
    for (let i = 0; i < size / chunk.length; i++) expected.update(chunk);
    // The rest of the body is written only once the upstream has the first megabyte: a proxy
    // that buffered would wait for an end that never comes.
    const firstArrived = once(upstream.events, "data");
    async function* body(): AsyncGenerator<Buffer> {
      yield chunk;
      await firstArrived;
      for (let i = 1; i < size / chunk.length; i++) yield chunk;
    }
    const reply = await send(gateway.url, "/plain/upload", {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
      body: Readable.from(body()),
    });
    expect(reply.status).toBe(200);
    const echo = echoOf(reply);
    expect(echo.bodyLength).toBe(size);
    expect(echo.bodySha256).toBe(expected.digest("hex"));
    expect(echo.headers["content-length"]).toBe(String(size));
  });

  it("streams a large response back", async () => {
    const size = 8 * 1024 * 1024 + 3;
    const reply = await send(gateway.url, `/plain/-/bytes/${size}`);
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(size);
  });

  it("aborts the upstream request when the client goes away", async () => {
    const aborted = once(upstream.events, "aborted");
    const req = httpRequest(`${gateway.url}/plain/-/hang`);
    req.on("error", () => undefined);
    req.end();
    await once(upstream.server, "request");
    req.destroy();
    const [url] = (await aborted) as [string];
    expect(url).toBe("/-/hang");
  });

  it("aborts the upstream response when the client leaves in the middle of the body", async () => {
    const aborted = once(upstream.events, "aborted");
    const { hostname, port } = new URL(gateway.url);
    const req = httpRequest({ hostname, port, path: `/plain/-/bytes/${2 ** 30}` });
    req.on("error", () => undefined);
    req.on("response", (res) => res.once("data", () => req.destroy()));
    req.end();
    const [url] = (await aborted) as [string];
    expect(url).toBe(`/-/bytes/${2 ** 30}`);
  });

  it("answers 504 when the upstream does not answer within the route's timeoutMs", async () => {
    const reply = await send(gateway.url, "/slow/-/hang");
    expect(reply.status).toBe(504);
    expect(JSON.parse(reply.body.toString("utf8"))).toEqual({
      error: {
        errorCode: "INTERNAL_SERVER_ERROR",
        message: "the upstream of route /slow did not answer in time",
        details: { route: "/slow", cause: "UND_ERR_HEADERS_TIMEOUT" },
      },
    });
  });

  it("answers 404 in the SPEC's error format when no route matches", async () => {
    const reply = await send(gateway.url, "/nowhere?token=abc");
    expect(reply.status).toBe(404);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(reply.body.toString("utf8")) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ errorCode: "NOT_FOUND", details: { path: "/nowhere" } });
    expect(typeof body.error["message"]).toBe("string");
  });

  it("refuses dot segments rather than let an upstream walk out of a route's base path", async () => {
    for (const path of ["/api/%2e%2e/admin", "/api/../admin", "/api/./x"]) {
      const reply = await send(gateway.url, path);
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body.toString("utf8"))).toMatchObject({
        error: { errorCode: "INVALID_REQUEST" },
      });
    }
  });

  it("answers 502 JSON naming the route when the upstream is down", async () => {
    for (const method of ["GET", "POST"]) {
      const reply = await send(gateway.url, "/down/x", {
        method,
        headers: { authorization: "Bearer client-0004" },
        ...(method === "POST" ? { body: Buffer.from("payload") } : {}),
      });
      expect(reply.status).toBe(502);
      const body = JSON.parse(reply.body.toString("utf8")) as {
        error: { errorCode: string; message: string; details: Record<string, unknown> };
      };
      expect(body.error.errorCode).toBe("INTERNAL_SERVER_ERROR");
      expect(body.error.message).toContain("/down");
      expect(body.error.details).toEqual({ route: "/down", cause: "ECONNREFUSED" });
      expect(reply.body.toString()).not.toContain("client-0004");
    }
  });

  it("answers 502 when a reference cannot be resolved, naming it and nothing else", async () => {
    const reply = await send(gateway.url, "/missing/x");
    expect(reply.status).toBe(502);
    const body = JSON.parse(reply.body.toString("utf8")) as { error: { message: string } };
    expect(body.error.message).toContain("{vault://env/not-set}");
  });

  it("serves /-/healthz and never proxies it", async () => {
    const reply = await send(gateway.url, "/-/healthz");
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body.toString("utf8"))).toEqual({ status: "ok" });
  });

  it("serves cache counters and per-route request metrics", async () => {
    await send(gateway.url, "/api/one");
    await send(gateway.url, "/api/two");
    const reply = await send(gateway.url, "/-/metrics");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/plain/);
    const text = reply.body.toString("utf8");
    const value = (name: string): number => {
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return Number(line?.split(" ").at(-1));
    };
    expect(value("coffer_gateway_cache_misses_total")).toBeGreaterThanOrEqual(2);
    expect(value("coffer_gateway_cache_hits_total")).toBeGreaterThanOrEqual(2);
    expect(value("coffer_gateway_cache_errors_total")).toBeGreaterThanOrEqual(1);
    expect(value("coffer_gateway_cache_entries")).toBeGreaterThanOrEqual(2);
    for (const name of ["stale", "refreshes"]) {
      expect(value(`coffer_gateway_cache_${name}_total`)).toBeGreaterThanOrEqual(0);
    }
    expect(text).toMatch(/coffer_gateway_requests_total\{route="\/api",status="200"\} \d+/);
    expect(text).toMatch(/coffer_gateway_requests_total\{route="\(none\)",status="404"\} \d+/);
    expect(text).toMatch(/coffer_gateway_request_duration_seconds_count\{route="\/api"\} \d+/);
    expect(text).not.toContain(API_KEY);
  });

  it("logs each request without its query string, and no injected value anywhere", async () => {
    await send(gateway.url, "/api/logged?q=visible-only-upstream", {
      headers: { cookie: "session=client-cookie-0005" },
    });
    await send(gateway.url, "/missing/logged");
    // The access log line is written when the response closes, just after the client has it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = entries.find((e) => e["path"] === "/api/logged");
    expect(access).toMatchObject({ method: "GET", status: 200, route: "/api", msg: "request" });
    expect(typeof access?.["ms"]).toBe("number");
    const all = logLines.join("\n");
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain(MAPS_KEY);
    expect(all).not.toContain(encodeURIComponent(MAPS_KEY));
    expect(all).not.toContain("visible-only-upstream");
    expect(all).not.toContain("client-cookie-0005");
    expect(all).toContain("{vault://env/not-set}"); // the failure is logged, by reference
  });
});
