/**
 * OIDC federation on the server: trust policies (org admins only, checked) and the exchange of
 * an ID token from a real local issuer (its own keys, discovery and JWKS over HTTP) for a
 * short-lived token, on every engine.
 */
import { GITHUB_ISSUER, type CreateTrustPolicyInput } from "@coffer/core";
import { githubClaims, startTestIssuer, type TestIssuer } from "@coffer/test-oidc-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/actor.js";
import {
  actorFor,
  ENGINES,
  META,
  refusal,
  startTestServer,
  type TestServer,
} from "../test-support.js";

const AUDIENCE = "https://coffer.example.test";

describe.each(ENGINES)("OIDC federation on %s", (engine) => {
  let server: TestServer;
  let issuer: TestIssuer;
  let admin: Actor;
  let member: Actor;

  const policy = (overrides: Partial<CreateTrustPolicyInput> = {}): CreateTrustPolicyInput => ({
    identity: "ci-deploy",
    issuer: issuer.url,
    audience: AUDIENCE,
    conditions: { repository: "acme/app", ref: ["refs/heads/main", "refs/tags/v*"] },
    owner: "ml",
    scopes: [{ resource: "secret://default/ml/*", level: "read" }],
    ...overrides,
  });
  const exchange = (token: string, identity?: string) =>
    server.services.oidc.exchange(META, { token, ...(identity ? { identity } : {}) });
  const idToken = (claims = {}, options = {}) =>
    issuer.sign({ ...githubClaims(claims), aud: AUDIENCE }, options);

  beforeAll(async () => {
    issuer = await startTestIssuer();
    // Many refusals from one address here; the limit has a test of its own.
    server = await startTestServer(engine, { env: { COFFER_AUTH_FAILURES_PER_MINUTE: "10000" } });
    admin = await actorFor(server, server.adminToken);
    const made = await server.services.principals.createUser(admin, META, { name: "mia" });
    member = await actorFor(server, made.token);
    await server.services.principals.createTeam(admin, META, { name: "ml" });
    await server.services.secretWriter.create(admin, META, {
      secret: "ml/openai_key",
      value: "fake-openai-key-0001",
    });
    await server.services.secretWriter.create(admin, META, {
      secret: "admin_only",
      value: "fake-admin-only-0001",
    });
    await server.services.trustPolicies.create(admin, META, policy());
  });

  afterAll(async () => {
    await server?.stop();
    await issuer?.close();
  });

  describe("trust policies", () => {
    it("are listed for org admins, and refused to others", async () => {
      const [listed] = await server.services.trustPolicies.list(admin);
      expect(listed).toMatchObject({
        identity: "ci-deploy",
        issuer: issuer.url,
        ownerKind: "team",
        owner: "ml",
        tokenTtlSeconds: 900,
        createdBy: "admin",
      });
      expect((await refusal(server.services.trustPolicies.list(member))).errorCode).toBe(
        "FORBIDDEN",
      );
      const refused = await refusal(
        server.services.trustPolicies.create(member, META, policy({ identity: "mine" })),
      );
      expect(refused.errorCode).toBe("FORBIDDEN");
    });

    it("refuse what would trust too much, saying why", async () => {
      const problems: [Partial<CreateTrustPolicyInput>, string][] = [
        [{ issuer: "http://issuer.example.com" }, "issuer: the URL must be https"],
        [{ conditions: { repository: "*" } }, "conditions: give at least one condition"],
        [{ conditions: { aud: "x", repository: "acme/app" } }, 'conditions: "aud" is checked'],
        [
          { scopes: [{ resource: "secret://default/admin/*", level: "read" }] },
          "scope read on secret://default/admin/* is more than the exchanged token's owner holds",
        ],
        [
          { scopes: [{ resource: "*", level: "read" }] },
          "scopes: name secrets (secret://ORG/OWNER/* or secret://ORG/OWNER/NAME), not `*`",
        ],
        [
          { issuer: GITHUB_ISSUER, conditions: { ref: "refs/heads/main", workflow: "deploy" } },
          "conditions: for GitHub's issuer, one condition must pin the repository's owner",
        ],
        [
          { issuer: GITHUB_ISSUER, conditions: { repository: "*/app" } },
          "conditions: for GitHub's issuer, one condition must pin the repository's owner",
        ],
        [
          { scopes: [{ resource: "secret://default/ml/*", level: "manage" }] },
          "scopes: at most write",
        ],
        [{ identity: "ci-deploy" }, "a trust policy named ci-deploy already exists"],
      ];
      for (const [overrides, message] of problems) {
        const error = await refusal(
          server.services.trustPolicies.create(
            admin,
            META,
            policy({ identity: "other", ...overrides }),
          ),
        );
        expect(error.message).toContain(message);
      }
      expect((await server.services.trustPolicies.list(admin)).map((p) => p.identity)).toEqual([
        "ci-deploy",
      ]);
    });

    it("are deleted by admins, with the live tokens they made; an unknown one is not found", async () => {
      await server.services.trustPolicies.create(admin, META, policy({ identity: "short-lived" }));
      const made = await exchange(await idToken(), "short-lived");
      expect(
        await server.services.trustPolicies.remove(admin, META, { identity: "short-lived" }),
      ).toEqual({ identity: "short-lived", deleted: true, tokensDisabled: 1 });
      expect((await refusal(actorFor(server, made.token))).message).toBe("this token is disabled");
      const again = await refusal(
        server.services.trustPolicies.remove(admin, META, { identity: "short-lived" }),
      );
      expect(again.errorCode).toBe("NOT_FOUND");
    });
  });

  describe("exchange", () => {
    it("turns a matching ID token into a short-lived token of the policy's owner and scopes", async () => {
      const before = Date.now();
      const made = await exchange(await idToken(), "ci-deploy");
      const took = Date.now() - before;
      expect(made.token).toMatch(/^cft_/);
      expect(made.identity).toBe("ci-deploy");
      // 15 minutes from the server's clock during the call, however long the call took.
      const lifetime = new Date(made.expiresAt).getTime() - before;
      expect(lifetime).toBeGreaterThan(899_000);
      expect(lifetime).toBeLessThanOrEqual(took + 901_000);

      const ci = await actorFor(server, made.token);
      expect(ci.principal).toEqual({ kind: "team", name: "ml" });
      const revealed = await server.services.secretReader.reveal(ci, META, {
        secret: "ml/openai_key",
      });
      expect(revealed.value).toBe("fake-openai-key-0001");
      expect(
        (
          await refusal(
            server.services.secretReader.reveal(ci, META, { secret: "admin/admin_only" }),
          )
        ).errorCode,
      ).toBe("NOT_FOUND");

      const tokens = await server.services.tokens.list(admin);
      expect(tokens.find((t) => t.id === made.tokenId)).toMatchObject({
        kind: "exchanged",
        name: "oidc:ci-deploy",
        owner: "ml",
        status: "active",
      });
    });

    it("is audited with the claims that say which run asked, tied to the token", async () => {
      const made = await exchange(await idToken({ run_id: "777" }), "ci-deploy");
      const ci = await actorFor(server, made.token);
      await server.services.secretReader.reveal(ci, META, { secret: "ml/openai_key" });
      const { items } = await server.services.audit.list(admin, { limit: 50 });
      const exchanged = items.find(
        (e) => e.action === "oidc.exchange" && e.resource === `token:${made.tokenId}`,
      );
      expect(exchanged).toMatchObject({
        actor: "oidc:ci-deploy",
        tokenId: made.tokenId,
        result: "ok",
        details: {
          identity: "ci-deploy",
          issuer: issuer.url,
          claims: {
            repository: "acme/app",
            ref: "refs/heads/main",
            run_id: "777",
            workflow: "deploy",
          },
        },
      });
      const read = items.find((e) => e.action === "secret.reveal" && e.tokenId === made.tokenId);
      expect(read?.actor).toBe("oidc:ci-deploy");
      expect(JSON.stringify(items)).not.toContain(made.token);
      expect(JSON.stringify(items)).not.toContain("fake-openai-key-0001");
    });

    it("where-used counts an identity once, whatever the runs and their tokens", async () => {
      for (let run = 0; run < 2; run++) {
        const ci = await actorFor(server, (await exchange(await idToken(), "ci-deploy")).token);
        await server.services.secretReader.reveal(ci, META, { secret: "ml/openai_key" });
      }
      const readers = await server.services.secretReader.whereUsed(admin, {
        secret: "ml/openai_key",
      });
      const oidc = readers.filter((r) => r.actor?.startsWith("oidc:"));
      expect(oidc).toEqual([expect.objectContaining({ actor: "oidc:ci-deploy", tokenId: null })]);
      expect(oidc[0]!.reads).toBeGreaterThanOrEqual(3);
    });

    it("finds the one matching policy when no identity is given; asks when several match", async () => {
      expect((await exchange(await idToken())).identity).toBe("ci-deploy");
      await server.services.trustPolicies.create(
        admin,
        META,
        policy({ identity: "ci-any-ref", conditions: { repository: "acme/*" } }),
      );
      const ambiguous = await refusal(exchange(await idToken()));
      expect(ambiguous.message).toBe(
        "2 trust policies match this token (ci-any-ref, ci-deploy); say which with identity",
      );
      expect((await exchange(await idToken(), "ci-any-ref")).identity).toBe("ci-any-ref");
      await server.services.trustPolicies.remove(admin, META, { identity: "ci-any-ref" });
    });

    it("refuses tokens that do not match, with a clear message", async () => {
      const cases: [string, Promise<string>, string | undefined, string][] = [
        [
          "wrong audience",
          issuer.sign({ ...githubClaims(), aud: "someone-else" }),
          "ci-deploy",
          `the ID token's audience ("someone-else") is not one this server trusts for issuer ${issuer.url}`,
        ],
        [
          "wrong repository",
          idToken({ repository: "evil/app" }),
          "ci-deploy",
          'the ID token does not match trust policy ci-deploy: "repository" is "evil/app", which is not allowed',
        ],
        [
          "wrong branch, no identity",
          idToken({ ref: "refs/heads/feature" }),
          undefined,
          "the ID token matches no trust policy of its issuer (name one with identity to see why)",
        ],
        [
          "unknown issuer",
          idToken({}, { issuer: "https://issuer.example.com" }),
          undefined,
          "no trust policy trusts issuer https://issuer.example.com",
        ],
        [
          "issuer of no policy, with an identity",
          idToken({}, { issuer: "https://issuer.example.com" }),
          "ci-deploy",
          "no trust policy trusts issuer https://issuer.example.com",
        ],
        [
          "unknown identity",
          idToken(),
          "nobody",
          `no trust policy named nobody trusts issuer ${issuer.url}`,
        ],
        [
          "unknown identity, forged (nothing about policies is told before the signature)",
          idToken({}, { foreignKey: true }),
          "nobody",
          `the ID token's signature does not verify with the keys of ${issuer.url}`,
        ],
        [
          "HMAC with a shared secret",
          idToken({}, { algorithm: "HS256" }),
          "ci-deploy",
          "the ID token's algorithm is not accepted (asymmetric signatures only)",
        ],
        [
          "unsigned (alg none)",
          idToken({}, { algorithm: "none" }),
          "ci-deploy",
          "the ID token's algorithm is not accepted (asymmetric signatures only)",
        ],
        [
          "not valid yet",
          idToken({}, { notBeforeOffsetSeconds: 600, expiresInSeconds: 900 }),
          "ci-deploy",
          "the ID token is not valid yet (nbf)",
        ],
        [
          "issued over an hour ago",
          idToken({}, { issuedAtOffsetSeconds: -7300, notBeforeOffsetSeconds: -7300 }),
          "ci-deploy",
          "the ID token was issued more than an hour ago",
        ],
        [
          "forged signature",
          idToken({}, { foreignKey: true }),
          "ci-deploy",
          `the ID token's signature does not verify with the keys of ${issuer.url}`,
        ],
        [
          "expired",
          idToken({}, { expiresInSeconds: -120 }),
          "ci-deploy",
          "the ID token has expired",
        ],
        [
          "issued in the future",
          idToken({}, { issuedAtOffsetSeconds: 600, expiresInSeconds: 900 }),
          "ci-deploy",
          "the ID token is issued in the future (iat)",
        ],
        ["not a JWT", Promise.resolve("a.b.c"), "ci-deploy", "the ID token is not a readable JWT"],
      ];
      for (const [name, token, identity, message] of cases) {
        const error = await refusal(exchange(await token, identity));
        expect({ name, code: error.errorCode, message: error.message }).toEqual({
          name,
          code: "UNAUTHORIZED",
          message,
        });
      }
      const { items } = await server.services.audit.list(admin, {
        action: "oidc.exchange",
        limit: 100,
      });
      const denied = items.filter((e) => e.result === "denied");
      expect(denied.length).toBeGreaterThanOrEqual(cases.length);
      expect(denied.every((e) => e.actor === "oidc" && e.tokenId === null)).toBe(true);
      const mismatch = denied.find(
        (e) => e.details["reason"] === "oidc-conditions" && e.details["identity"] === "ci-deploy",
      );
      expect(mismatch?.details).toEqual({
        reason: "oidc-conditions",
        issuer: issuer.url,
        identity: "ci-deploy",
        errorCode: "UNAUTHORIZED",
      });
    });

    it("exchanges an ID token once; a replay is refused", async () => {
      const token = await idToken();
      await exchange(token, "ci-deploy");
      const replay = await refusal(exchange(token, "ci-deploy"));
      expect({ code: replay.errorCode, message: replay.message }).toEqual({
        code: "UNAUTHORIZED",
        message: "this ID token was already exchanged; ask its issuer for a new one",
      });
      // Its use is stored as a hash, never as the token.
      const stored = await server.deps.db.query<{ id: string }>("SELECT id FROM signature_replays");
      expect(stored.length).toBeGreaterThan(0);
      expect(JSON.stringify(stored)).not.toContain(token.split(".")[2]);
      expect(JSON.stringify(stored)).not.toContain(token.split(".")[1]);
    });

    it("accepts an aud list that holds the policy's audience", async () => {
      const token = await issuer.sign({ ...githubClaims(), aud: ["other", AUDIENCE] });
      expect((await exchange(token, "ci-deploy")).identity).toBe("ci-deploy");
    });

    it("discovers an issuer once, even for concurrent first exchanges, and keeps its keys", async () => {
      const fresh = await startTestIssuer();
      try {
        await server.services.trustPolicies.create(
          admin,
          META,
          policy({ identity: "fresh", issuer: fresh.url }),
        );
        const sign = () => fresh.sign({ ...githubClaims(), aud: AUDIENCE });
        await Promise.all([exchange(await sign(), "fresh"), exchange(await sign(), "fresh")]);
        await exchange(await sign(), "fresh");
        expect(fresh.counts).toMatchObject({ discovery: 1, jwks: 1 });
      } finally {
        await server.services.trustPolicies.remove(admin, META, { identity: "fresh" });
        await fresh.close();
      }
    });

    it("refuses an issuer whose discovery names another, and does not ask again at once", async () => {
      const liar = await startTestIssuer();
      liar.discovery.issuer = "https://issuer.example.test";
      try {
        await server.services.trustPolicies.create(
          admin,
          META,
          policy({ identity: "liar", issuer: liar.url }),
        );
        const sign = () => liar.sign({ ...githubClaims(), aud: AUDIENCE });
        for (let i = 0; i < 2; i++) {
          const error = await refusal(exchange(await sign(), "liar"));
          expect(error.errorCode).toBe("INTERNAL_SERVER_ERROR");
          expect(error.message).toBe(
            `could not get the signing keys of issuer ${liar.url}: its discovery document names another issuer`,
          );
        }
        expect(liar.counts.discovery).toBe(1);
      } finally {
        await server.services.trustPolicies.remove(admin, META, { identity: "liar" });
        await liar.close();
      }
    });

    it("an exchanged token writes secrets within its scopes, and never manages or administers", async () => {
      await server.services.trustPolicies.create(
        admin,
        META,
        policy({
          identity: "ci-writer",
          scopes: [{ resource: "secret://default/ml/*", level: "write" }],
        }),
      );
      const ci = await actorFor(server, (await exchange(await idToken(), "ci-writer")).token);
      const put = await server.services.secretWriter.put(ci, META, {
        secret: "ml/openai_key",
        value: "fake-openai-key-0002",
      });
      expect(put.version).toBe(2);
      // Each call is made only when its turn comes (no refusal waits unobserved).
      const attempts: [string, () => Promise<unknown>][] = [
        [
          "token.create",
          () =>
            server.services.tokens.create(ci, META, {
              name: "x",
              expiresInSeconds: 600,
              shared: {},
            }),
        ],
        [
          "accessKey.create",
          () =>
            server.services.accessKeys.create(ci, META, {
              name: "x",
              expiresInSeconds: 600,
              shared: {},
            }),
        ],
        [
          "oidc.createPolicy",
          () => server.services.trustPolicies.create(ci, META, policy({ identity: "from-ci" })),
        ],
        ["user.create", () => server.services.principals.createUser(ci, META, { name: "ci-made" })],
        ["token.list", () => server.services.tokens.list(ci)],
        [
          "grant.share",
          () =>
            server.services.grants.share(ci, META, {
              resource: "ml/openai_key",
              subject: "mia",
              level: "manage",
            }),
        ],
        [
          "secret.delete",
          () => server.services.secretWriter.delete(ci, META, { secret: "ml/openai_key" }),
        ],
      ];
      for (const [name, attempt] of attempts) {
        expect({ name, code: (await refusal(attempt())).errorCode }).toEqual({
          name,
          code: "FORBIDDEN",
        });
      }
    });

    it("an exchanged token cannot be enabled again once disabled", async () => {
      const made = await exchange(await idToken(), "ci-deploy");
      await server.services.tokens.revokeSelf(await actorFor(server, made.token), META);
      const refused = await refusal(
        server.services.tokens.enable(admin, META, { id: made.tokenId, expiresInSeconds: 86_400 }),
      );
      expect(refused.errorCode).toBe("INVALID_STATUS");
      expect(refused.message).toContain("came from an OIDC exchange");
    });

    it("an exchanged token revokes itself, and is refused afterwards", async () => {
      const made = await exchange(await idToken(), "ci-deploy");
      const ci = await actorFor(server, made.token);
      expect(await server.services.tokens.revokeSelf(ci, META)).toEqual({
        id: made.tokenId,
        revoked: true,
      });
      const refused = await refusal(actorFor(server, made.token));
      expect(refused.message).toBe("this token is disabled");
    });

    it("refuses a discovery document over 64 KiB", async () => {
      const huge = await startTestIssuer();
      huge.discovery.paddingBytes = 70 * 1024;
      try {
        await server.services.trustPolicies.create(
          admin,
          META,
          policy({ identity: "huge", issuer: huge.url }),
        );
        const error = await refusal(
          exchange(await huge.sign({ ...githubClaims(), aud: AUDIENCE }), "huge"),
        );
        expect(error.message).toBe(
          `could not get the signing keys of issuer ${huge.url}: its discovery document could not be read`,
        );
      } finally {
        await server.services.trustPolicies.remove(admin, META, { identity: "huge" });
        await huge.close();
      }
    });

    it("a policy stored under older rules issues nothing", async () => {
      await server.deps.db.query(
        `INSERT INTO oidc_trust_policies (identity, issuer, audience, conditions, owner_kind, owner, scopes, token_ttl_seconds, created_at, created_by)
         VALUES ('legacy', $1, $2, $3, 'org', NULL, $4, 900, now(), 'admin')`,
        [
          issuer.url,
          AUDIENCE,
          JSON.stringify({ repository: "acme/app" }),
          JSON.stringify([{ resource: "*", level: "manage" }]),
        ],
      );
      try {
        const error = await refusal(exchange(await idToken(), "legacy"));
        expect(error.errorCode).toBe("UNAUTHORIZED");
        expect(error.message).toMatch(
          /^trust policy legacy does not meet the current rules \(scopes: name secrets/,
        );
      } finally {
        await server.services.trustPolicies.remove(admin, META, { identity: "legacy" });
      }
    });

    it.runIf(engine === "postgres")(
      "an exchange racing a policy's deletion issues no token that outlives it",
      async () => {
        await server.services.trustPolicies.create(admin, META, policy({ identity: "racy" }));
        const token = await idToken();
        await exchange(token, "racy"); // the issuer's keys are now at hand
        let commit!: () => void;
        const committed = new Promise<void>((resolve) => (commit = resolve));
        let deleting!: () => void;
        const deleted = new Promise<void>((resolve) => (deleting = resolve));
        const deletion = server.deps.db.transaction(async (tx) => {
          await tx.query("DELETE FROM oidc_trust_policies WHERE identity = 'racy'");
          deleting();
          await committed;
        });
        await deleted;
        // The exchange still reads the policy (the deletion is not committed), then waits for it.
        const racing = refusal(exchange(await idToken(), "racy"));
        await new Promise((resolve) => setTimeout(resolve, 300));
        commit();
        await deletion;
        expect((await racing).message).toBe("trust policy racy was deleted");
      },
    );

    it("failed exchanges are limited per address, and never block a valid exchange", async () => {
      const limited = await startTestServer(engine);
      try {
        const limitedAdmin = await actorFor(limited, limited.adminToken);
        await limited.services.principals.createTeam(limitedAdmin, META, { name: "ml" });
        await limited.services.trustPolicies.create(limitedAdmin, META, policy());
        const from = (ip: string) => ({ ...META, ip });
        const codes: string[] = [];
        for (let i = 0; i < 25; i++) {
          // Junk, and validly signed tokens of a repository no policy trusts.
          const token = i % 2 === 0 ? "a.b.c" : await idToken({ repository: "evil/app" });
          codes.push(
            (await refusal(limited.services.oidc.exchange(from("192.0.2.7"), { token }))).errorCode,
          );
        }
        expect(codes).toEqual([
          ...Array<string>(20).fill("UNAUTHORIZED"),
          ...Array<string>(5).fill("RATE_LIMITED"),
        ]);
        // A valid exchange from the same address still works; other addresses count apart.
        const made = await limited.services.oidc.exchange(from("192.0.2.7"), {
          token: await idToken(),
        });
        expect(made.identity).toBe("ci-deploy");
        const elsewhere = await refusal(
          limited.services.oidc.exchange(from("192.0.2.8"), { token: "a.b.c" }),
        );
        expect(elsewhere.errorCode).toBe("UNAUTHORIZED");
        // Refusals past the limit are not audited one by one.
        const [audited] = await limited.deps.db.query<{ count: string }>(
          "SELECT count(*) AS count FROM audit_events WHERE action = 'oidc.exchange' AND result <> 'ok' AND ip = '192.0.2.7'",
        );
        expect(Number(audited?.count)).toBe(20);
      } finally {
        await limited.stop();
      }
    });

    it("a policy's token lifetime is its own, at most an hour", async () => {
      await server.services.trustPolicies.create(
        admin,
        META,
        policy({ identity: "ci-hour", tokenTtlSeconds: 3600 }),
      );
      const before = Date.now();
      const made = await exchange(await idToken(), "ci-hour");
      expect(new Date(made.expiresAt).getTime() - before).toBeGreaterThan(3599_000);
      await server.services.trustPolicies.remove(admin, META, { identity: "ci-hour" });
    });
  });
});
