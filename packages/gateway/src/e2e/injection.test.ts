/**
 * End to end, over real HTTP on 127.0.0.1: a client → an Express app with `express.json()` and
 * `coffer()` and a forwarding proxy → an echo upstream, with the Coffer server running as a
 * child process (`node apps/server/dist/main.js`).
 *
 * - Values land in headers, the query string and JSON body fields, several references in one
 *   string, from the coffer, env (variables given as options) and file backends.
 * - References arriving in the request are forwarded as they are, unless an allow-list names them.
 * - Bad options throw when the middleware is built; a backend that fails gives a 502 in the
 *   SPEC's error format that holds no value.
 */
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import type { CofferClient } from "@coffer/client";
import { startEchoUpstream, tempDir, type Listening, type TempDir } from "@coffer/test-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { coffer } from "../middleware.js";
import type { GatewayOptions } from "../options.js";
import {
  clientFor,
  echoOf,
  revealCalls,
  spawnServer,
  gateways,
  type ServerProcess,
} from "./test-processes.js";

const V = {
  openai: "fake-openai-key-0001",
  org: "fake-openai-org-0001",
  dbUser: "fake-db-user-0001",
  dbPassword: "fake-db-password-0001",
  cofferDbUser: "fake-coffer-db-user-0001",
  cofferDbPassword: "fake-coffer-db-password-0001",
  clientKey: "fake-client-key-0001",
  clientCert: "fake-client-cert-0001",
  versioned1: "fake-versioned-0001",
  versioned2: "fake-versioned-0002",
  disabled: "fake-disabled-0001",
  plain: "fake-plain-0001",
  multiLine: "fake-line-0001\r\nx-smuggled: fake-line-0002",
} as const;
const ALL_VALUES = Object.values(V);

describe("coffer() between a client and an upstream, with a real Coffer server", () => {
  let data: TempDir;
  let files: TempDir;
  let server: ServerProcess;
  let admin: CofferClient;
  let token: string;
  let upstream: Listening;
  const { through, closeAll } = gateways(() => upstream.url);

  beforeAll(async () => {
    data = await tempDir("gw-e2e-server-");
    files = await tempDir("gw-e2e-files-");
    server = await spawnServer({ dataDir: data.dir, expectToken: true });
    token = server.adminToken!;
    admin = clientFor(server.url, token);
    await admin.team.create.mutate({ name: "ml" });
    await admin.secret.create.mutate({ secret: "ml/openai_key", value: V.openai });
    await admin.secret.create.mutate({
      secret: "ml/db",
      value: JSON.stringify({ user: V.cofferDbUser, password: V.cofferDbPassword }),
    });
    await admin.secret.create.mutate({ secret: "ml/versioned", value: V.versioned1 });
    await admin.secret.put.mutate({ secret: "ml/versioned", value: V.versioned2 });
    await admin.secret.create.mutate({ secret: "ml/disabled", value: V.disabled });
    await admin.secret.disable.mutate({ secret: "ml/disabled" });
    // A plain file (one trailing newline is stripped) and a JSON file read with a key.
    await writeFile(path.join(files.dir, "client-key"), `${V.clientKey}\n`);
    await mkdir(path.join(files.dir, "tls"));
    await writeFile(
      path.join(files.dir, "tls", "certs.json"),
      JSON.stringify({ client: V.clientCert, other: V.plain }),
    );
    upstream = await startEchoUpstream();
  });

  afterEach(closeAll);

  afterAll(async () => {
    await closeAll();
    await upstream?.close();
    await server?.stop();
    await data?.remove();
    await files?.remove();
  });

  it("sets headers, query parameters and JSON body fields from coffer, env and file", async () => {
    const middleware = coffer({
      coffer: { url: server.url, token, feed: false },
      env: {
        variables: {
          OPENAI_ORG: V.org,
          DB_CREDS: JSON.stringify({ user: V.dbUser, password: V.dbPassword }),
        },
      },
      file: { root: files.dir },
      headers: {
        Authorization: "Bearer {vault://coffer/ml/openai_key}",
        "OpenAI-Organization": "{vault://env/openai-org}",
        // Several references, of three backends, in one string.
        "x-dsn":
          "postgres://{vault://env/db-creds/user}:{vault://coffer/ml/db/password}@db/{vault://file/client-key}",
      },
      query: { api_key: "{vault://coffer/ml/openai_key}", org: "{vault://env/openai-org}" },
      body: {
        "auth.token": "Bearer {vault://coffer/ml/openai_key}",
        "tls.cert": "{vault://file/tls/certs.json/client}",
        "db.password": "{vault://env/db-creds/password}",
      },
    });
    const gateway = await through(middleware);

    const before = await revealCalls(server.url);
    const { status, echo } = await echoOf(`${gateway}/v1/chat?model=gpt-4o&api_key=from-client`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer from-client" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user" }], auth: "a string" }),
    });
    expect(status).toBe(200);
    // Both coffer references of all the templates went out in one batch reveal.
    expect((await revealCalls(server.url)) - before).toBe(1);

    expect(echo!.method).toBe("POST");
    expect(echo!.headers["authorization"]).toBe(`Bearer ${V.openai}`);
    expect(echo!.headers["openai-organization"]).toBe(V.org);
    expect(echo!.headers["x-dsn"]).toBe(
      `postgres://${V.dbUser}:${V.cofferDbPassword}@db/${V.clientKey}`,
    );
    const url = new URL(echo!.url, "http://upstream");
    expect(url.pathname).toBe("/v1/chat");
    expect(url.searchParams.get("model")).toBe("gpt-4o");
    expect(url.searchParams.getAll("api_key")).toEqual([V.openai]);
    expect(url.searchParams.get("org")).toBe(V.org);
    expect(echo!.json).toEqual({
      model: "gpt-4o",
      messages: [{ role: "user" }],
      auth: { token: `Bearer ${V.openai}` },
      tls: { cert: V.clientCert },
      db: { password: V.dbPassword },
    });

    // Now every reference is a fresh hit: no backend call.
    const again = await echoOf(`${gateway}/v1/models`);
    expect(again.echo!.headers["authorization"]).toBe(`Bearer ${V.openai}`);
    expect(await revealCalls(server.url)).toBe(before + 1);
    expect(middleware.stats()).toMatchObject({ misses: 7, errors: 0 });
  });

  it("reads versions and stages of a coffer secret", async () => {
    const gateway = await through(
      coffer({
        coffer: { url: server.url, token, feed: false },
        headers: {
          "x-current": "{vault://coffer/ml/versioned}",
          "x-first": "{vault://coffer/ml/versioned#1}",
          "x-previous": "{vault://coffer/ml/versioned?stage=previous}",
        },
      }),
    );
    const { echo } = await echoOf(`${gateway}/`);
    expect(echo!.headers["x-current"]).toBe(V.versioned2);
    expect(echo!.headers["x-first"]).toBe(V.versioned1);
    expect(echo!.headers["x-previous"]).toBe(V.versioned1);
  });

  it("forwards references arriving in the request untouched, unless an allow-list names them", async () => {
    const variables = { OPENAI_ORG: V.org, GW_OPENAI_ORG: V.org, GW_DB_USER: V.dbUser };
    const plain = await through(
      coffer({ env: { variables }, headers: { "x-set": "{vault://env/openai-org}" } }),
    );
    const allowing = await through(
      coffer({
        env: { prefix: "GW_", variables },
        incoming: { allow: ["{vault://env/openai-*}"] },
      }),
    );
    const request = {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-client-ref": "Bearer {vault://env/openai-org}",
        "x-not-allowed": "{vault://env/db-user}",
      },
      body: JSON.stringify({ org: "{vault://env/openai-org}", user: "{vault://env/db-user}" }),
    };

    const without = await echoOf(`${plain}/x?ref={vault://env/openai-org}`, request);
    expect(without.status).toBe(200);
    expect(without.echo!.headers["x-set"]).toBe(V.org);
    expect(without.echo!.headers["x-client-ref"]).toBe("Bearer {vault://env/openai-org}");
    expect(without.echo!.headers["x-not-allowed"]).toBe("{vault://env/db-user}");
    expect(new URL(without.echo!.url, "http://u").searchParams.get("ref")).toBe(
      "{vault://env/openai-org}",
    );
    expect(without.echo!.json).toEqual({
      org: "{vault://env/openai-org}",
      user: "{vault://env/db-user}",
    });

    const withList = await echoOf(`${allowing}/x?ref={vault://env/openai-org}`, request);
    expect(withList.status).toBe(200);
    expect(withList.echo!.headers["x-client-ref"]).toBe(`Bearer ${V.org}`);
    expect(withList.echo!.headers["x-not-allowed"]).toBe("{vault://env/db-user}");
    expect(new URL(withList.echo!.url, "http://u").searchParams.get("ref")).toBe(V.org);
    expect(withList.echo!.json).toEqual({ org: V.org, user: "{vault://env/db-user}" });
  });

  describe("failures", () => {
    const build = (options: unknown) => () => coffer(options as GatewayOptions);

    it("refuses bad options when the middleware is built, with a hint for a typo", () => {
      expect(build({ headrs: { authorization: "{vault://env/x}" } })).toThrow(
        'unknown option "headrs"; did you mean "headers"?',
      );
      expect(build({ coffer: { url: server.url, tokn: token } })).toThrow(
        'unknown option "coffer.tokn"; did you mean "coffer.token"?',
      );
      expect(build({ cahce: { ttl: 5 } })).toThrow('did you mean "cache"?');
      expect(build({ headers: { "x-a": "{vault://env/}" } })).toThrow(
        /bad reference "\{vault:\/\/env\/\}" at character \d+: .*empty/,
      );
      expect(build({ headers: { "x-a": "{vault://aws/key}" } })).toThrow(/unknown backend "aws"/);
      // The file backend is only there when given.
      expect(build({ headers: { "x-a": "{vault://file/key}" } })).toThrow(/unknown backend "file"/);
      expect(build({ body: { "__proto__.x": "{vault://env/x}" } })).toThrow(/__proto__/);
      expect(build({ incoming: { allow: ["{vault://env/}"] } })).toThrow(/incoming\.allow/);
    });

    it("answers 502 in the SPEC's error format, holding no value, when a backend fails", async () => {
      const deadUrl = "http://127.0.0.1:1"; // tcpmux: nothing listens there
      const variables = { PLAIN: V.plain, MULTI_LINE: V.multiLine };
      const cases: { name: string; options: GatewayOptions; cause: string; header?: string }[] = [
        {
          name: "server unreachable",
          options: {
            coffer: { url: deadUrl, token, feed: false, timeoutMs: 1000 },
            headers: { authorization: "Bearer {vault://coffer/ml/openai_key}" },
          },
          cause: "INTERNAL_SERVER_ERROR",
        },
        {
          name: "secret disabled",
          options: {
            coffer: { url: server.url, token, feed: false },
            headers: { authorization: "Bearer {vault://coffer/ml/disabled}" },
          },
          cause: "INVALID_STATUS",
        },
        {
          name: "secret missing",
          options: {
            coffer: { url: server.url, token, feed: false },
            headers: { authorization: "Bearer {vault://coffer/ml/nope}" },
          },
          cause: "NOT_FOUND",
        },
        {
          name: "coffer key missing from a JSON value",
          options: {
            coffer: { url: server.url, token, feed: false },
            query: { password: "{vault://coffer/ml/db/nope}" },
          },
          cause: "UNPROCESSABLE_ENTITY",
        },
        {
          name: "env key asked of a value that is not JSON",
          options: { env: { variables }, headers: { "x-a": "{vault://env/plain/key}" } },
          cause: "UNPROCESSABLE_ENTITY",
        },
        {
          name: "file key missing",
          options: {
            file: { root: files.dir },
            headers: { "x-a": "{vault://file/tls/certs.json/nope}" },
          },
          cause: "UNPROCESSABLE_ENTITY",
        },
        {
          name: "value a header cannot hold",
          options: { env: { variables }, headers: { "x-a": "{vault://env/multi-line}" } },
          cause: "",
          header: "x-a",
        },
      ];
      for (const c of cases) {
        const gateway = await through(coffer(c.options));
        const { status, body, text, headers } = await echoOf(`${gateway}/x`);
        expect(status, c.name).toBe(502);
        expect(headers.get("cache-control"), c.name).toBe("no-store");
        expect(Object.keys(body as object), c.name).toEqual(["error"]);
        const { error } = body as { error: Record<string, unknown> };
        expect(Object.keys(error).sort(), c.name).toEqual(["details", "errorCode", "message"]);
        expect(error["errorCode"], c.name).toBe("INTERNAL_SERVER_ERROR");
        expect(typeof error["message"], c.name).toBe("string");
        if (c.header === undefined) {
          expect(error["details"], c.name).toMatchObject({ cause: c.cause });
          expect(error["message"], c.name).toMatch(/^cannot resolve \{vault:\/\//);
        } else {
          expect(error["details"], c.name).toEqual({ header: c.header });
        }
        for (const value of [...ALL_VALUES, token]) {
          expect(text, `${c.name} shows a value`).not.toContain(value);
        }
      }
    });
  });
});
