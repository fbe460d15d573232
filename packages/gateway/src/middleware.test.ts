import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { CofferError } from "@coffer/core";
import express, { type RequestHandler } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayError, errorHandler } from "./gateway-error.js";
import { coffer, MAX_INCOMING_REFERENCES, type CofferMiddleware } from "./middleware.js";
import { createResolver } from "./resolver.js";
import { MemoryBackend, settle } from "./test-backend.js";

const variables = {
  OPENAI_KEY: "fake-openai-key-0001",
  ORG_ID: "fake-org-0001",
  APP_TOKEN: "fake-app-token-0001",
  APP_OTHER: "fake-app-other-0001",
  COFFER_X: "fake-prefixed-0001",
  MULTI_LINE: "fake\nline",
};
/** The same under a prefix: incoming env references need one. */
const prefixed = Object.fromEntries(Object.entries(variables).map(([k, v]) => [`GW_${k}`, v]));

interface Echo {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  url: string;
  originalUrl: string;
  body: unknown;
}

const servers: { close(): void }[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** An Express 5 app: json body parser, the middleware, an echo handler, the error handler. */
async function serve(...middleware: RequestHandler[]): Promise<string> {
  const app = express();
  app.use(express.json());
  app.use(...middleware);
  app.all("/{*rest}", (req, res) => {
    const echo: Echo = {
      headers: req.headers,
      query: req.query,
      url: req.url,
      originalUrl: req.originalUrl,
      body: req.body as unknown,
    };
    res.json(echo);
  });
  app.use(errorHandler());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function echo(url: string, init?: RequestInit): Promise<Echo> {
  const response = await fetch(url, init);
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

const postJson = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** A middleware setting authorization and x-org from env references. */
const twoHeaders = (): CofferMiddleware =>
  coffer({
    env: { variables },
    headers: { authorization: "Bearer {vault://env/openai-key}", "x-org": "{vault://env/org-id}" },
  });

/** Calls a middleware on a bare request; what `next` got reads "not yet" until it is called. */
function callBare(middleware: CofferMiddleware, headers: Record<string, string> = {}) {
  const req = { headers, url: "/", body: undefined } as unknown as express.Request;
  let nextCalled: unknown = "not yet";
  middleware(req, {} as express.Response, (error?: unknown) => (nextCalled = error));
  return { req, nextCalled: () => nextCalled };
}

describe("coffer() middleware", () => {
  it("sets headers, with several references in one string", async () => {
    const base = await serve(
      coffer({
        env: { variables },
        headers: {
          Authorization: "Bearer {vault://env/openai-key}",
          "X-Org": "{vault://env/org-id}:{vault://env/openai-key}:{vault://env/org-id}",
          "X-Literal": "plain",
        },
      }),
    );
    const seen = await echo(`${base}/v1/chat`);
    expect(seen.headers["authorization"]).toBe("Bearer fake-openai-key-0001");
    expect(seen.headers["x-org"]).toBe("fake-org-0001:fake-openai-key-0001:fake-org-0001");
    expect(seen.headers["x-literal"]).toBe("plain");
  });

  it("sets query parameters in req.url and req.query, keeping originalUrl", async () => {
    const base = await serve(
      coffer({ env: { variables }, query: { api_key: "{vault://env/openai-key}", v: "2" } }),
    );
    const seen = await echo(`${base}/search?q=cats&api_key=client-sent&v=1`);
    expect(seen.query).toEqual({ q: "cats", api_key: "fake-openai-key-0001", v: "2" });
    expect(seen.url).toBe("/search?q=cats&api_key=fake-openai-key-0001&v=2");
    expect(seen.originalUrl).toBe("/search?q=cats&api_key=client-sent&v=1");
    const bare = await echo(`${base}/search`);
    expect(bare.url).toBe("/search?api_key=fake-openai-key-0001&v=2");
  });

  it("sets JSON body fields on plain-object bodies only", async () => {
    const base = await serve(
      coffer({
        env: { variables },
        body: { "auth.token": "{vault://env/app-token}", org: "{vault://env/org-id}" },
      }),
    );
    const seen = await echo(base, postJson({ auth: { user: "u" }, keep: 1 }));
    expect(seen.body).toEqual({
      auth: { user: "u", token: "fake-app-token-0001" },
      keep: 1,
      org: "fake-org-0001",
    });
    expect((await echo(base, postJson({}))).body).toEqual({
      auth: { token: "fake-app-token-0001" },
      org: "fake-org-0001",
    });
    expect((await echo(base, postJson(["not", "an", "object"]))).body).toEqual([
      "not",
      "an",
      "object",
    ]);
    expect((await echo(base)).body).toBeUndefined(); // no body: untouched
  });

  it("leaves references that arrive in the request alone by default", async () => {
    const base = await serve(coffer({ env: { variables }, headers: { "x-a": "a" } }));
    const seen = await echo(
      `${base}/?k=${encodeURIComponent("{vault://env/openai-key}")}`,
      postJson({ t: "{vault://env/openai-key}" }, { "x-in": "Bearer {vault://env/openai-key}" }),
    );
    expect(seen.headers["x-in"]).toBe("Bearer {vault://env/openai-key}");
    expect(seen.query).toEqual({ k: "{vault://env/openai-key}" });
    expect(seen.body).toEqual({ t: "{vault://env/openai-key}" });
    expect(JSON.stringify(seen)).not.toContain("fake-openai-key");
  });

  it("resolves incoming references the allow-list names, and only those", async () => {
    const middleware = coffer({
      env: { variables: prefixed, prefix: "GW_" },
      headers: { "x-set": "{vault://env/org-id}" },
      incoming: { allow: ["{vault://env/app-*}", "{vault://env/openai-key}"] },
    });
    const base = await serve(middleware);
    const seen = await echo(
      `${base}/?k=${encodeURIComponent("{vault://env/app-token}")}&n=${encodeURIComponent("{vault://env/org-id}")}`,
      postJson(
        { deep: [{ t: "x {vault://env/app-other} y" }], no: "{vault://env/org-id}" },
        {
          "x-in": "Bearer {vault://env/openai-key}",
          "x-prefixed": "{vault://env/x?prefix=COFFER_}",
          "x-nested": "{vault://env/app-token/}",
          "x-bad": "{vault://env/app-",
        },
      ),
    );
    expect(seen.headers["x-in"]).toBe("Bearer fake-openai-key-0001");
    expect(seen.headers["x-set"]).toBe("fake-org-0001");
    expect(seen.headers["x-prefixed"]).toBe("{vault://env/x?prefix=COFFER_}");
    expect(seen.headers["x-bad"]).toBe("{vault://env/app-");
    expect(seen.query).toEqual({ k: "fake-app-token-0001", n: "{vault://env/org-id}" });
    expect(seen.body).toEqual({
      deep: [{ t: "x fake-app-other-0001 y" }],
      no: "{vault://env/org-id}",
    });
    // The middleware's own references and the incoming ones went in one resolver call.
    expect(middleware.stats().misses).toBe(4);
  });

  it("refuses a request that brings more distinct references than the limit", async () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_INCOMING_REFERENCES + 1 }, (_, i) => [`GW_APP_${i}`, `fake-${i}`]),
    );
    const middleware = coffer({
      env: { variables: many, prefix: "GW_" },
      incoming: { allow: ["{vault://env/app-*}"] },
    });
    const base = await serve(middleware);
    const refs = (n: number) =>
      Array.from({ length: n }, (_, i) => `{vault://env/app-${i}}`).join(" ");
    const ok = await echo(base, { headers: { "x-in": refs(MAX_INCOMING_REFERENCES) } });
    expect(ok.headers["x-in"]).toBe(Object.values(many).slice(0, -1).join(" "));
    const refused = await fetch(base, { headers: { "x-in": refs(MAX_INCOMING_REFERENCES + 1) } });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { errorCode: string; message: string } };
    expect(body.error.errorCode).toBe("INVALID_REQUEST");
    expect(body.error.message).toContain(`at most ${MAX_INCOMING_REFERENCES}`);
    expect(middleware.stats().misses).toBe(MAX_INCOMING_REFERENCES); // nothing fetched for it
  });

  it("never scans a resolved value again", async () => {
    const tricky = { GW_TRICKY: "{vault://env/openai-key}", GW_OPENAI_KEY: "fake-openai-key-0001" };
    const env = { variables: tricky, prefix: "GW_" };
    const base = await serve(
      coffer({ env, headers: { "x-a": "{vault://env/tricky}" } }),
      coffer({ env, incoming: { allow: ["{vault://env/*}"] } }),
    );
    const seen = await echo(base, { headers: { "x-b": "{vault://env/tricky}" } });
    expect(seen.headers["x-a"]).toBe("{vault://env/openai-key}");
    expect(seen.headers["x-b"]).toBe("{vault://env/openai-key}");
  });

  it("answers a failing backend with a 502 in the error format, without any value", async () => {
    const mem = new MemoryBackend("mem", { ok: "fake-ok-value-0001" });
    const base = await serve(
      coffer({
        env: false,
        backends: [mem],
        headers: { "x-ok": "{vault://mem/ok}", "x-missing": "{vault://mem/missing?ttl=5}" },
      }),
    );
    const response = await fetch(base);
    expect(response.status).toBe(502);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      error: {
        errorCode: "INTERNAL_SERVER_ERROR",
        message: "cannot resolve {vault://mem/missing}: missing is not there",
        details: { reference: "{vault://mem/missing}", backend: "mem", cause: "NOT_FOUND" },
      },
    });
    expect(body).not.toContain("fake-ok-value");
  });

  it("refuses a value a header cannot hold", async () => {
    const base = await serve(
      coffer({ env: { variables }, headers: { "x-a": "{vault://env/multi-line}" } }),
    );
    const response = await fetch(base);
    expect(response.status).toBe(502);
    const body = await response.text();
    expect(body).toContain('the value for header \\"x-a\\" has characters a header cannot hold');
    expect(body).not.toContain("fake");
  });

  it("says which value ends with a newline, never the value", async () => {
    const base = await serve(
      coffer({
        env: { variables: { ...variables, NEWLINE_KEY: "fake-newline-0001\r\n" } },
        headers: { authorization: "Bearer {vault://env/newline-key}" },
      }),
    );
    const response = await fetch(base);
    expect(response.status).toBe(502);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      error: {
        errorCode: "INTERNAL_SERVER_ERROR",
        message:
          "the value of {vault://env/newline-key} ends with a newline (headers cannot hold one); store it without it",
        details: { header: "authorization", reference: "{vault://env/newline-key}" },
      },
    });
    expect(body).not.toContain("fake");
  });

  it("takes the headers it sets out of the request's Connection list", async () => {
    const middleware = twoHeaders();
    callBare(middleware); // a miss; the next calls are synchronous hits
    await settle();
    const listed = callBare(middleware, {
      connection: "Authorization, keep-alive,X-Org , x-other",
    });
    expect(listed.nextCalled()).toBeUndefined();
    expect(listed.req.headers).toEqual({
      connection: "keep-alive, x-other",
      authorization: "Bearer fake-openai-key-0001",
      "x-org": "fake-org-0001",
    });
    expect(callBare(middleware, { connection: "authorization" }).req.headers).not.toHaveProperty(
      "connection",
    );
    expect(callBare(middleware, { connection: "close" }).req.headers.connection).toBe("close");
    await middleware.close();
  });

  it("handles a request synchronously once every reference is a fresh hit", async () => {
    const middleware = twoHeaders();
    const call = () => callBare(middleware);
    const first = call();
    expect(first.nextCalled()).toBe("not yet"); // a miss: asynchronous
    await settle();
    expect(first.nextCalled()).toBeUndefined();
    const second = call();
    expect(second.nextCalled()).toBeUndefined(); // called before middleware() returned
    expect(second.req.headers["authorization"]).toBe("Bearer fake-openai-key-0001");
    expect(middleware.stats()).toMatchObject({ hits: 2, misses: 2 });
    await middleware.close();
  });

  it("shares a resolver given in options, and leaves it open on close", async () => {
    const mem = new MemoryBackend("mem", { a: "fake-a-0001" });
    const resolver = createResolver({ backends: [mem] });
    const one = coffer({ resolver, headers: { "x-a": "{vault://mem/a}" } });
    const two = coffer({ resolver, query: { a: "{vault://mem/a}" } });
    expect(one.resolver).toBe(resolver);
    const base = await serve(one, two);
    const seen = await echo(base);
    expect(seen.headers["x-a"]).toBe("fake-a-0001");
    expect(seen.query).toEqual({ a: "fake-a-0001" });
    expect(mem.fetches).toBe(1);
    await one.close();
    expect(mem.closed).toBe(false);
  });

  it("is a named function", () => {
    expect(coffer({ env: { variables } }).name).toBe("cofferGateway");
  });
});

describe("coffer() options, checked when built", () => {
  it("hints at a typo", () => {
    expect(() => coffer({ headrs: {} } as never)).toThrow(
      'unknown option "headrs"; did you mean "headers"?',
    );
    expect(() => coffer({ cache: { tll: 5 } } as never)).toThrow(
      'unknown option "cache.tll"; did you mean "cache.ttl"?',
    );
    expect(() => coffer({ zzz: 1 } as never)).toThrow(
      'unknown option "zzz"; known: resolver, coffer, env, file, backends, cache, headers, query, body, incoming',
    );
  });

  it("checks values against the schema", () => {
    expect(() => coffer({ cache: { ttl: -1 } })).toThrow(
      "invalid gateway options at /cache/ttl: must be >= 0",
    );
    expect(() => coffer({ headers: { "bad header": "x" } })).toThrow("invalid gateway options");
    expect(() => coffer({ headers: { "x-a": "line\nbreak" } })).toThrow("invalid gateway options");
    expect(() => coffer({ body: { "a..b": "x" } })).toThrow("invalid gateway options");
    expect(() => coffer({ body: { "a.__proto__.b": "x" } })).toThrow(
      'body path "a.__proto__.b" may not use __proto__, constructor or prototype',
    );
    expect(() => coffer({ coffer: { url: "ftp://x" } })).toThrow("invalid gateway options");
    expect(() => coffer({ env: true } as never)).toThrow("invalid gateway options at /env");
  });

  it("refuses a file backend rooted at / when it is built", () => {
    expect(() => coffer({ file: { root: "/" }, headers: { "x-a": "plain" } })).toThrow(
      /^file\.root: \/ is the file system's root: /,
    );
  });

  it("refuses a mistyped reference when it is built, naming the template and the fix", () => {
    for (const [template, shown] of [
      ["Bearer {vault:/env/openai-key}", "{vault:/"],
      ["Bearer {vault//env/openai-key}", "{vault//"],
      ["Bearer { vault://env/openai-key}", "{ vault://"],
    ]) {
      expect(() => coffer({ env: { variables }, headers: { Authorization: template! } })).toThrow(
        `headers.Authorization: character 8: "${shown}" looks like a mistyped reference: a reference starts with "{vault://"`,
      );
    }
  });

  it("warns, once at build, of vault:// without braces (it may be meant as text)", async () => {
    const warnings: string[] = [];
    const middleware = coffer({
      env: { variables },
      query: { key: "vault://env/openai-key" },
      body: { "a.b": "x {vault://env/org-id} vault://y" },
      onWarning: (message) => warnings.push(message),
    });
    expect(warnings).toEqual([
      'query.key: character 1: "vault://" without "{" is not a reference (write {vault://…}); if it is meant as text, ignore this',
      'body.a.b: character 24: "vault://" without "{" is not a reference (write {vault://…}); if it is meant as text, ignore this',
    ]);
    await middleware.close();
    // Without onWarning: a process warning.
    const warned = once(process, "warning") as Promise<[Error & { code?: string }]>;
    await coffer({ env: { variables }, headers: { "x-a": "vault://env/x" } }).close();
    const [warning] = await warned;
    expect(warning.name).toBe("CofferWarning");
    expect(warning.code).toBe("COFFER_REFERENCE_LOOKALIKE");
    expect(warning.message).toMatch(/^headers\.x-a: character 1: "vault:\/\/" without/);
    expect(() => coffer({ onWarning: "log" as unknown as () => void })).toThrow(
      "onWarning must be a function",
    );
  });

  it("fails on a bad reference with core's message", () => {
    expect(() => coffer({ env: { variables }, headers: { a: "Bearer {vault://env/}" } })).toThrow(
      'bad reference "{vault://env/}" at character 14: the path is empty',
    );
    expect(() => coffer({ env: false, headers: { a: "{vault://env/x}" } })).toThrow(
      'unknown backend "env"',
    );
  });

  it("checks allow-list patterns", () => {
    expect(() => coffer({ incoming: { allow: ["{vault://nope/*}"] } })).toThrow(
      'incoming.allow: bad reference "{vault://nope/*}" at character 10: unknown backend "nope"',
    );
    expect(() => coffer({ incoming: { allow: ["vault://env/*"] } })).toThrow("incoming.allow");
    // Without a prefix, an incoming env reference could name any variable of the process.
    expect(() => coffer({ incoming: { allow: ["{vault://env/app-*}"] } })).toThrow(
      "incoming.allow names env references but env.prefix is not set",
    );
  });

  it("refuses a resolver together with backend options, and duplicate headers", () => {
    const resolver = createResolver({ backends: [] });
    expect(() => coffer({ resolver, env: false })).toThrow("give a resolver");
    expect(() => coffer({ headers: { "X-A": "1", "x-a": "2" } })).toThrow(
      'header "x-a" is given twice',
    );
  });
});

describe("GatewayError and errorHandler()", () => {
  it("renders CofferErrors and passes other errors on", async () => {
    const app = express();
    app.get("/gateway", (_req, _res, next) =>
      next(new GatewayError(502, "INTERNAL_SERVER_ERROR", "m")),
    );
    app.get("/coffer", (_req, _res, next) => next(new CofferError("FORBIDDEN", "no")));
    app.get("/other", (_req, _res, next) => next(new Error("boom")));
    app.use(errorHandler());
    app.use(((_error, _req, res, _next) => {
      res.status(599).send("other");
    }) as express.ErrorRequestHandler);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const gateway = await fetch(`${base}/gateway`);
    expect(gateway.status).toBe(502);
    expect(await gateway.json()).toEqual({
      error: { errorCode: "INTERNAL_SERVER_ERROR", message: "m", details: {} },
    });
    const forbidden = await fetch(`${base}/coffer`);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { message: string } }).error.message).toBe("no");
    expect((await fetch(`${base}/other`)).status).toBe(599);
  });

  it("carries status and statusCode", () => {
    const error = new GatewayError(502, "INTERNAL_SERVER_ERROR", "m");
    expect([error.status, error.statusCode, error.httpStatus]).toEqual([502, 502, 502]);
    expect(error).toBeInstanceOf(Error);
  });
});
