/**
 * Bad input never gives a 500. Every procedure of the router is called with inputs derived
 * from a valid one, each field in turn replaced by a bad value (NUL, lone surrogates, huge
 * text, year 0, forged cursors, -1, 2^63, NaN, wrong types, unknown fields): the answer is never
 * INTERNAL_SERVER_ERROR, and a validation error names the field. Then the same through HTTP
 * (query strings, JSON escapes, raw bytes, headers). On every engine: PGlite and PostgreSQL
 * differ on what text they store.
 */
import { CofferError } from "@coffer/core";
import { githubClaims, startTestIssuer, type TestIssuer } from "@coffer/test-oidc-issuer";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "./auth/actor.js";
import { appRouter } from "./routers/_app.js";
import type { InputParser } from "./routers/input.js";
import {
  BAD_BY_FIELD,
  BAD_STRINGS,
  hasField,
  mutations,
  schemaFields,
  unsignedJwt,
  type Mutation,
} from "./test-bad-input.js";
import { actorFor, callerAs, ENGINES, startTestServer, type TestServer } from "./test-support.js";
import { cofferErrorOf } from "./trpc.js";

const AUDIENCE = "https://coffer.example.test";
/** Subscriptions stream; their input is the empty schema every other `{}` procedure uses. */
const NOT_CALLED = new Set(["secret.changes"]);

type Call = (input: unknown) => Promise<unknown>;
type ErrorResponse = { error?: { errorCode?: unknown; message?: unknown } } | undefined;

/** Names that must be new on each call (a second create would only say "exists"). */
const FRESH_USER = "fuzz-new-user";
const FRESH_TEAM = "fuzz-new-team";
const FRESH_SECRET = "fuzz_new_secret";
const FRESH_POLICY = "fuzz-new-policy";
const FRESH_ROTATOR = "fuzz_new_rotator";
const FRESH_HOOK = "fuzz_new_hook";
const FRESH_AUTOMATION = "fuzz_new_automation";
const FRESH = new Set([
  FRESH_USER,
  FRESH_TEAM,
  FRESH_SECRET,
  FRESH_POLICY,
  FRESH_ROTATOR,
  FRESH_HOOK,
  FRESH_AUTOMATION,
]);
let fresh = 0;

function freshNames(input: unknown): unknown {
  if (typeof input === "string") return FRESH.has(input) ? `${input}${++fresh}` : input;
  if (Array.isArray(input)) return input.map(freshNames);
  if (typeof input !== "object" || input === null) return input;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    Object.defineProperty(out, k, { value: freshNames(v), enumerable: true, writable: true });
  }
  return out;
}

/** The CofferError a call ended with, or undefined when it succeeded. */
async function outcome(call: Promise<unknown>): Promise<CofferError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    if (error instanceof CofferError) return error;
    if (error instanceof TRPCError) return cofferErrorOf(error);
    return new CofferError("INTERNAL_SERVER_ERROR", `not a CofferError: ${String(error)}`);
  }
}

describe.each(ENGINES)("bad input on %s", (engine) => {
  let server: TestServer;
  let issuer: TestIssuer;
  let admin: Actor;
  let call: (path: string) => Call;
  let samples: Record<string, unknown[]>;
  const extra: Record<string, readonly string[]> = { ...BAD_BY_FIELD };

  beforeAll(async () => {
    issuer = await startTestIssuer();
    server = await startTestServer(engine, {
      env: { COFFER_AUTH_FAILURES_PER_MINUTE: "100000" },
    });
    admin = await actorFor(server, server.adminToken);
    const caller = callerAs(server, admin) as unknown as Record<string, Record<string, Call>>;
    call = (path) => {
      const [group, name] = path.split(".") as [string, string];
      return caller[group]![name]!;
    };
    const c = (path: string, input: unknown) => call(path)(input);
    await c("user.create", { name: "fuzz-user" });
    await c("team.create", { name: "fuzz-team" });
    await c("team.addMember", { team: "fuzz-team", user: "fuzz-user" });
    await c("secret.create", { secret: "fuzz_secret", value: '{"k":"fake-v1"}' });
    await c("secret.put", { secret: "fuzz_secret", value: '{"k":"fake-v2"}' });
    await c("secret.create", { secret: "fuzz_put", value: "fake-put-1" });
    const token = (await c("token.create", { name: "fuzz", expiresInSeconds: 3600 })) as {
      id: string;
    };
    const key = (await c("accessKey.create", { name: "fuzz", expiresInSeconds: 3600 })) as {
      id: string;
    };
    const keys = (await c("key.list", {})) as { protectionKeys: { id: string }[] };
    const policy = (identity: string) => ({
      identity,
      description: "fake policy",
      issuer: issuer.url,
      audience: AUDIENCE,
      conditions: { repository: "acme/app", workflow: ["*"] },
      owner: "fuzz-team",
      scopes: [{ resource: "secret://default/fuzz-team/*", level: "read" }],
      tokenTtlSeconds: 900,
    });
    await c("oidc.createPolicy", policy("fuzz-policy"));
    await c("rotator.create", { name: "fuzz_rotator", kind: "random" });
    const idToken = await issuer.sign({ ...githubClaims(), aud: AUDIENCE });
    // Hooks point at a closed port on loopback, which this server refuses (no
    // COFFER_HOOK_ALLOW_CIDRS): a test delivery fails at once and nothing is sent.
    await c("secret.create", {
      secret: "fuzz_hook_key",
      value: `whsec_${Buffer.from("fake-fuzz-signing-key").toString("base64")}`,
    });
    const hook = {
      description: "fake hook",
      url: "http://127.0.0.1:9/fuzz/${event.type}?v=${secret.version}",
      headers: { "X-Key": "Bearer ${fuzz_secret}" },
      body: '{"event": "${event.type}", "key": "${fuzz_secret}"}',
      allowSecrets: ["fuzz_secret", "admin/*", "secret://default/admin/fuzz_secret"],
      signingSecret: "fuzz_hook_key",
    };
    await c("hook.create", { name: "fuzz_hook", ...hook });
    await c("hook.create", { name: "fuzz_hook_doomed", url: hook.url });
    const automation = {
      description: "fake automation",
      on: ["secret.created", "secret.version.created"],
      match: "secret://default/admin/*",
      hook: "fuzz_hook",
    };
    await c("automation.create", { name: "fuzz_automation", ...automation });
    const delivery = (await c("hook.test", { hook: "fuzz_hook" })) as { id: string };

    // ID tokens with bad claims: unsigned ones (the issuer is read before verifying) and ones
    // the trusted issuer signed (their claims reach the audit log).
    const badText = ["\u0000", "a\u0000b", "\ud800", "a\udc00b", "x".repeat(10_000)];
    extra["token"] = [
      ...BAD_STRINGS.map((iss) => unsignedJwt({ iss, aud: AUDIENCE, exp: 2 ** 40 })),
      unsignedJwt({ iss: `${issuer.url}\u0000`, aud: AUDIENCE }),
      unsignedJwt({ iss: { nested: "\u0000" }, aud: AUDIENCE }),
      ...(await Promise.all(
        ["sub", "workflow", "ref", "actor", "jti", "environment"].flatMap((claim) =>
          badText.map((bad) => issuer.sign({ ...githubClaims({ [claim]: bad }), aud: AUDIENCE })),
        ),
      )),
      await issuer.sign({ ...githubClaims(), aud: [AUDIENCE, "\u0000", "\ud800"] }),
      await issuer.sign({ ...githubClaims(), aud: AUDIENCE }, { issuer: `${issuer.url}\u0000` }),
    ];

    const revealItem = { secret: "fuzz_secret", version: 1, key: "k" };
    const credential = {
      name: "fuzz credential",
      expiresInSeconds: 3600,
      scopes: [{ resource: "secret://default/admin/*", level: "read" }],
    };
    const randomOptions = {
      length: 32,
      excludeCharacters: "abc",
      excludeNumbers: false,
      excludePunctuation: false,
      excludeUppercase: false,
      excludeLowercase: false,
      includeSpace: false,
      requireEachIncludedType: true,
    };
    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    samples = {
      "user.whoami": [{}],
      "user.create": [{ name: FRESH_USER, admin: false }],
      "user.list": [{}],
      "user.disable": [{ name: "fuzz-user" }],
      "user.enable": [{ name: "fuzz-user" }],
      "team.create": [{ name: FRESH_TEAM }],
      "team.list": [{}],
      "team.members": [{ name: "fuzz-team" }],
      "team.addMember": [{ team: "fuzz-team", user: "fuzz-user", role: "member" }],
      "team.removeMember": [{ team: "fuzz-team", user: "fuzz-user", role: "member" }],
      "secret.create": [
        { secret: FRESH_SECRET, value: "fake-value", description: "fake description" },
        { secret: FRESH_SECRET, generate: randomOptions, description: "fake description" },
      ],
      "secret.list": [
        {
          owner: "admin",
          shared: false,
          prefix: "fuzz",
          limit: 10,
          cursor: cursorOf(["admin", "a"]),
        },
      ],
      "secret.describe": [{ secret: "fuzz_secret" }],
      "secret.reveal": [revealItem, { secret: "fuzz_secret", stage: "previous" }],
      "secret.batchReveal": [
        { items: [revealItem, { secret: "admin/fuzz_secret", stage: "current", key: "k" }] },
      ],
      "secret.put": [
        { secret: "fuzz_put", value: "fake-put", stage: "pending" },
        { secret: "fuzz_put", generate: randomOptions, stage: "current" },
        { secret: "fuzz_put", value: "fake-put", expectedVersion: 1 },
      ],
      "secret.versions": [{ secret: "fuzz_secret" }],
      "secret.moveStage": [{ secret: "fuzz_put", stage: "previous", version: 1 }],
      "secret.rollback": [{ secret: "fuzz_put" }],
      "secret.disable": [{ secret: "fuzz_put", acknowledgeUsedBy: true }],
      "secret.enable": [{ secret: "fuzz_put" }],
      "secret.delete": [
        { secret: "fuzz_put", recoveryDays: 7, force: false, acknowledgeUsedBy: true },
      ],
      "secret.restore": [{ secret: "fuzz_put" }],
      "secret.setDescription": [{ secret: "fuzz_secret", description: "fake description" }],
      "secret.changeProtectionKey": [
        { secret: "fuzz_secret", protectionKeyId: keys.protectionKeys[0]!.id },
      ],
      "secret.whereUsed": [{ secret: "fuzz_secret" }],
      "secret.usedBy": [{ secret: "fuzz_secret" }],
      "grant.share": [{ resource: "fuzz_secret", subject: "fuzz-user", level: "read" }],
      "grant.unshare": [{ resource: "fuzz_secret", subject: "fuzz-user" }],
      "grant.list": [{ direction: "byMe" }, { secret: "fuzz_secret" }],
      "token.create": [
        credential,
        { ...credential, shared: { owner: "fuzz-team" } },
        { ...credential, for: "fuzz-user" },
      ],
      "token.list": [{}, { user: "fuzz-user" }],
      "token.disable": [{ id: token.id }],
      "token.enable": [{ id: token.id, expiresInSeconds: 3600 }],
      "token.revokeSelf": [{}],
      "token.delete": [{ id: token.id }],
      "accessKey.create": [credential, { ...credential, shared: { owner: "fuzz-team" } }],
      "accessKey.list": [{}],
      "accessKey.disable": [{ id: key.id }],
      "accessKey.delete": [{ id: key.id }],
      "oidc.createPolicy": [policy(FRESH_POLICY)],
      "oidc.listPolicies": [{}],
      "oidc.deletePolicy": [{ identity: "fuzz-policy" }],
      "oidc.exchange": [{ token: idToken, identity: "fuzz-policy" }],
      "audit.list": [
        {
          secret: "fuzz_secret",
          actor: "admin",
          action: "secret.reveal",
          since: "2026-01-01T00:00:00Z",
          limit: 10,
          cursor: cursorOf(100),
        },
        { actor: "admin", action: "secret.reveal", since: "2026-01-01T00:00:00.000+02:00" },
      ],
      "audit.verify": [{}, { expectHead: { seq: 1, digest: "0".repeat(64) } }],
      "key.list": [{}],
      "key.create": [{ makeDefault: false }],
      "key.rotateRoot": [{}],
      "random.generate": [randomOptions],
      "rotator.create": [
        { name: FRESH_ROTATOR, owner: "admin", description: "fake rotator", kind: "random" },
        {
          name: FRESH_ROTATOR,
          kind: "postgres",
          postgres: { adminSecret: "fuzz_secret", role: "app", database: "app" },
        },
        {
          name: FRESH_ROTATOR,
          kind: "webhook",
          webhook: {
            url: "https://hooks.example.test/rotate",
            signingSecret: "fuzz_secret",
            mode: "callback",
          },
        },
      ],
      "rotator.list": [{ owner: "admin", limit: 10, cursor: cursorOf(["admin", "a"]) }],
      "rotator.get": [{ rotator: "fuzz_rotator" }],
      "rotator.delete": [{ rotator: "admin/fuzz_rotator" }],
      "rotation.configure": [
        {
          secret: "fuzz_secret",
          rotator: "fuzz_rotator",
          every: "30d",
          window: "2h",
          auto: true,
          targets: ["k"],
          generate: randomOptions,
          maxAttempts: 3,
        },
        { secret: "fuzz_secret", rotator: "admin/fuzz_rotator", cron: "0 3 * * 1" },
      ],
      "rotation.get": [{ secret: "fuzz_secret" }],
      "rotation.setAuto": [{ secret: "fuzz_secret", auto: false }],
      "rotation.run": [{ secret: "fuzz_secret" }],
      "rotation.test": [{ secret: "fuzz_secret" }],
      "rotation.cancel": [{ secret: "fuzz_secret" }],
      "rotation.retry": [{ secret: "fuzz_secret" }],
      "rotation.rollback": [{ secret: "fuzz_secret" }],
      "rotation.job.start": [{}],
      "rotation.job.addPending": [{}],
      "rotation.job.updatePending": [{ value: "fake-pending" }],
      "rotation.job.complete": [{}],
      "rotation.job.fail": [{ reason: "fake reason", retryable: false }],
      "rotation.job.heartbeat": [{}],
      "rotation.jobs": [
        {
          secret: "fuzz_secret",
          state: "failed",
          limit: 10,
          cursor: Buffer.from('["2026-01-01T00:00:00.000Z","job_0000000000000000"]').toString(
            "base64url",
          ),
        },
      ],
      "hook.create": [
        { name: FRESH_HOOK, owner: "admin", ...hook },
        { name: FRESH_HOOK, url: "https://hooks.example.test/fuzz" },
      ],
      "hook.list": [{ owner: "admin", limit: 10, cursor: cursorOf(["admin", "a"]) }],
      "hook.get": [{ hook: "fuzz_hook" }],
      "hook.update": [
        { hook: "admin/fuzz_hook", ...hook, enabled: true },
        { hook: "fuzz_hook", body: null },
      ],
      "hook.test": [{ hook: "fuzz_hook", event: "token.expiring" }],
      "hook.delete": [{ hook: "admin/fuzz_hook_doomed" }],
      "automation.create": [{ name: FRESH_AUTOMATION, owner: "admin", ...automation }],
      "automation.list": [
        { owner: "admin", hook: "fuzz_hook", limit: 10, cursor: cursorOf(["admin", "a"]) },
      ],
      "automation.delete": [{ automation: "admin/fuzz_automation" }],
      "deliveries.list": [
        {
          hook: "fuzz_hook",
          failed: true,
          limit: 10,
          cursor: Buffer.from(`["2026-01-01T00:00:00.000Z","${delivery.id}"]`).toString(
            "base64url",
          ),
        },
      ],
      "deliveries.redeliver": [{ delivery: delivery.id }],
      "session.open": [{ token: "cft_fake-token-for-fuzzing" }],
      "session.current": [{}],
      "session.close": [{}],
      "session.closeAll": [{}],
    };
  });

  it("answers bad requests over HTTP in the SPEC's format, never with a 500", async () => {
    const auth = { authorization: `Bearer ${server.adminToken}` };
    const q = (value: unknown) => encodeURIComponent(JSON.stringify(value));
    const requests: { what: string; path: string; init?: RequestInit }[] = [];
    const get = (path: string, headers: Record<string, string> = auth) =>
      requests.push({ what: `GET ${path}`, path, init: { headers } });
    const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
      requests.push({
        what: `POST ${path} ${String(body).slice(0, 60)}`,
        path,
        init: {
          method: "POST",
          body,
          headers: { ...auth, "content-type": "application/json", ...headers },
        },
      });
    for (const bad of ["\u0000", "a\u0000b", "\ud800", "a\udc00b"]) {
      get(`/trpc/secret.list?input=${q({ prefix: bad })}`);
      get(`/trpc/secret.list?batch=1&input=${q({ 0: { prefix: bad } })}`);
      get(`/trpc/audit.list?input=${q({ actor: bad })}`);
      get(`/trpc/secret.describe?input=${q({ secret: bad })}`);
      // JSON's own escapes: the lone surrogate or NUL only exists once the body is parsed.
      post(
        "/trpc/secret.setDescription",
        JSON.stringify({ secret: "fuzz_secret", description: bad }),
      );
      post("/trpc/oidc.exchange", JSON.stringify({ token: unsignedJwt({ iss: bad }) }), {
        authorization: "",
      });
    }
    for (const since of ["0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2026-02-30"]) {
      get(`/trpc/audit.list?input=${q({ since })}`);
    }
    for (const cursor of BAD_BY_FIELD["cursor"]!) {
      get(`/trpc/audit.list?input=${q({ cursor })}`);
      get(`/trpc/secret.list?input=${q({ cursor })}`);
    }
    // Not UTF-8, or not JSON, where the input travels.
    for (const raw of [
      "%00",
      "%FF%FE",
      "%ED%A0%80",
      "%7B%22prefix%22%3A%22%ED%A0%80%22%7D",
      "{",
      "%",
    ]) {
      get(`/trpc/secret.list?input=${raw}`);
    }
    post(
      "/trpc/secret.create",
      Buffer.from(
        '{"secret":"fuzz_raw","value":"fake-raw","description":"\xff\xfe\xed\xa0\x80"}',
        "latin1",
      ),
    );
    post(
      "/trpc/secret.create",
      '{"secret":"fuzz_raw2","value":"fake-raw","description":"\\ud800"}',
    );
    post(
      "/trpc/secret.create",
      `{"secret":"fuzz_raw3","a":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    );
    post("/trpc/secret.create", "\u0000");
    post("/trpc/secret.create", '{"secret":"x"}', { "content-type": "text/plain\u00ff" });
    // Headers: odd bytes (latin1 is all a header can hold), forged signatures and ids.
    get("/trpc/user.whoami", { authorization: "Bearer cft_\u00ff\u00fe" });
    get("/trpc/user.whoami", { "x-coffer-token": "\u00ff" });
    get("/trpc/user.whoami", { ...auth, "x-request-id": "\u00ff\u0085" });
    get("/trpc/user.whoami", {
      "x-coffer-access-key": "cfk_\u00ff",
      "x-coffer-timestamp": "99999999999999999999",
      "x-coffer-signature": "\u00ff",
    });
    get("/trpc/user.whoami", {
      "x-coffer-access-key": `cfk_${"A".repeat(20)}`,
      "x-coffer-timestamp": String(Math.floor(Date.now() / 1000)),
      "x-coffer-signature": "0".repeat(64),
    });
    const failures: string[] = [];
    for (const r of requests) {
      const response = await fetch(`${server.url}${r.path}`, r.init);
      const text = await response.text();
      if (response.status >= 500) failures.push(`${r.what}: ${response.status} ${text}`);
      if (response.status >= 400) {
        const body = JSON.parse(text) as ErrorResponse | ErrorResponse[];
        const error = (Array.isArray(body) ? body[0] : body)?.error;
        if (typeof error?.errorCode !== "string" || typeof error.message !== "string") {
          failures.push(`${r.what}: ${response.status} not in the SPEC's format: ${text}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await issuer?.close();
  });

  it("has valid sample inputs for every procedure, together holding every field", () => {
    const problems: string[] = [];
    for (const [path, procedure] of Object.entries(appRouter._def.procedures)) {
      if (NOT_CALLED.has(path)) continue;
      const sample = samples[path];
      if (sample === undefined) {
        problems.push(`${path}: add a sample input to samples in input-fuzz.test.ts`);
        continue;
      }
      const parser = (procedure as unknown as { _def: { inputs: InputParser<unknown, unknown>[] } })
        ._def.inputs[0]!;
      for (const valid of sample) {
        try {
          parser.parse(valid);
        } catch (error) {
          problems.push(`${path}: the sample is refused: ${String(error)}`);
        }
      }
      for (const field of schemaFields(parser.schema)) {
        if (!sample.some((s) => hasField(s, field))) {
          problems.push(`${path}: no sample has ${field} (add it, so that it is fuzzed too)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("answers every bad input with a 4xx, naming the field when validation refused it", async () => {
    const failures: string[] = [];
    for (const [path, sample] of Object.entries(samples)) {
      const procedure = call(path);
      // A second sample of a procedure only adds the fields the first did not have.
      const done = new Set<string>();
      for (const valid of sample) {
        const derived: Mutation[] = [
          ...mutations(valid, extra).filter((m) => !done.has(m.path)),
          { path: "", label: "string", input: "\u0000" },
        ];
        for (const m of derived.map((d) => d.path)) done.add(m);
        for (const m of derived) {
          const error = await outcome(procedure(freshNames(m.input)));
          const where = `${path} ${m.path || "/"} = ${m.label}`;
          if (error?.errorCode === "INTERNAL_SERVER_ERROR") {
            failures.push(`${where}: 500 ${error.message}`);
            continue;
          }
          const issues = error?.details["issues"] as { path: string }[] | undefined;
          if (issues !== undefined && m.path !== "") {
            const first = issues[0]!.path;
            const named = first === m.path || first.startsWith(`${m.path}/`);
            if (!named || !error!.message.includes(first)) {
              failures.push(`${where}: names ${first}: ${error!.message}`);
            }
          }
          if (error !== undefined && !error.message.isWellFormed()) {
            failures.push(`${where}: the message is not well-formed text`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
