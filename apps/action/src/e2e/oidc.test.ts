/**
 * Method oidc end to end, as on GitHub: the runner's ID-token endpoint
 * (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN) of a local issuer hands `@actions/core` a signed ID
 * token, the bundle exchanges it with a real server for a short-lived token, fetches with it,
 * and the post step revokes it. Tokens that do not match the trust policy are refused with a
 * clear message, and nothing is exported.
 */
import { githubClaims, startTestIssuer, type TestIssuer } from "@coffer/test-oidc-issuer";
import { access } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { leaksIn, runAction } from "./test-action.js";
import { FIXTURES, piecesOf, seededSuite } from "./test-fixtures.js";

const AUDIENCE = "https://coffer.example.test";
const suite = seededSuite();
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
  await suite.coffer.admin.oidc.createPolicy.mutate({
    identity: "ci-deploy",
    issuer: issuer.url,
    audience: AUDIENCE,
    conditions: { repository: "acme/app", ref: ["refs/heads/main", "refs/tags/v*"] },
    owner: "ml",
    scopes: [{ resource: "secret://default/ml/*", level: "read" }],
  });
});

afterAll(() => issuer?.close());

afterEach(() => {
  issuer.runnerClaims = githubClaims();
  issuer.runnerOptions = {};
});

const oidcRun = (inputs: Record<string, string> = {}) =>
  runAction({
    inputs: {
      url: suite.coffer.url,
      method: "oidc",
      identity: "ci-deploy",
      audience: AUDIENCE,
      secrets: FIXTURES.openai.secret,
      ...inputs,
    },
    env: {
      // As on a runner: the URL has a query, to which @actions/core adds `&audience=…`.
      ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.requestUrl}?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    },
  });

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

describe("method oidc", () => {
  it("exchanges the job's ID token, fetches with it, and the post step revokes it", async () => {
    const file = path.join(suite.dir, "oidc", "openai.txt");
    const requestsBefore = issuer.counts.idTokens;
    const run = await oidcRun({ files: `${FIXTURES.openai.secret} > ${file}` });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(issuer.counts.idTokens - requestsBefore).toBe(1);
    expect(run.env["OPENAI_KEY"]).toBe(FIXTURES.openai.value);
    expect(await exists(file)).toBe(true);

    // The exchanged token: masked before anything else could show it, never shown otherwise.
    const tokens = await suite.coffer.admin.token.list.query();
    const exchanged = tokens.filter((t) => t.kind === "exchanged" && t.status === "active");
    expect(exchanged).toHaveLength(1);
    expect(exchanged[0]).toMatchObject({ name: "oidc:ci-deploy", owner: "ml" });
    const masks = run.all("add-mask");
    const token = masks.find((m) => m.startsWith("cft_"));
    expect(token).toBeDefined();
    expect(leaksIn(run.stdout + run.stderr, [token!, ...piecesOf("openai")])).toEqual([]);
    expect(run.stdout).toContain("Signed in to Coffer as ci-deploy (OIDC");
    // The server logged neither the ID token, nor the token it made, nor the value.
    const idToken = masks.find((m) => m.startsWith("eyJ"));
    expect(idToken).toBeDefined();
    expect(leaksIn(suite.coffer.output(), [idToken!, token!, ...piecesOf("openai")])).toEqual([]);

    // The audit log ties the token to the run that asked.
    const audit = await suite.coffer.admin.audit.list.query({ action: "oidc.exchange" });
    expect(audit.items[0]).toMatchObject({
      result: "ok",
      tokenId: exchanged[0]!.id,
      details: { claims: { repository: "acme/app", run_id: "1234567890" } },
    });

    const post = await run.post();
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toContain(
      `Revoked the Coffer token of the OIDC exchange (${exchanged[0]!.id})`,
    );
    expect(await exists(file)).toBe(false);
    const after = await suite.coffer.admin.token.list.query();
    expect(after.find((t) => t.id === exchanged[0]!.id)?.status).toBe("disabled");
    const refused = await suite.coffer
      .as(token!)
      .user.whoami.query()
      .catch((e: unknown) => e);
    expect(String(refused)).toContain("this token is disabled");
  });

  it("without identity, the one policy that matches is used", async () => {
    const run = await oidcRun({ identity: "" });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.env["OPENAI_KEY"]).toBe(FIXTURES.openai.value);
    expect((await run.post()).code).toBe(0);
  });

  it.each([
    [
      "a wrong audience",
      () => ({ audience: "https://someone-else.example.test" }),
      `the ID token's audience ("https://someone-else.example.test") is not one this server trusts for issuer`,
    ],
    [
      "a wrong repository",
      () => ((issuer.runnerClaims = githubClaims({ repository: "evil/app" })), {}),
      'the ID token does not match trust policy ci-deploy: "repository" is "evil/app", which is not allowed',
    ],
    [
      "a wrong branch",
      () => ((issuer.runnerClaims = githubClaims({ ref: "refs/heads/feature" })), {}),
      '"ref" is "refs/heads/feature", which is not allowed',
    ],
    [
      "a wrong issuer",
      () => ((issuer.runnerOptions = { issuer: "https://issuer.example.test" }), {}),
      "no trust policy trusts issuer https://issuer.example.test",
    ],
    [
      "a forged signature",
      () => ((issuer.runnerOptions = { foreignKey: true }), {}),
      "the ID token's signature does not verify with the keys of",
    ],
    [
      "an expired token",
      () => ((issuer.runnerOptions = { expiresInSeconds: -120 }), {}),
      "the ID token has expired",
    ],
  ])("refuses %s, saying why, and exports nothing", async (_name, arrange, message) => {
    const run = await oidcRun(arrange());
    expect(run.code).not.toBe(0);
    const [error] = run.all("error");
    expect(error).toContain("the OIDC exchange failed: ");
    expect(error).toContain(message);
    expect(error).toContain("(UNAUTHORIZED)");
    expect(run.env).toEqual({});
    expect(Object.values(run.state).filter((v) => v.startsWith("cft_"))).toEqual([]);
    expect(leaksIn(run.stdout + run.stderr, piecesOf("openai"))).toEqual([]);
  });
});
