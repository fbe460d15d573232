import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestIssuer, type TestIssuer } from "./index.js";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());

describe("test issuer", () => {
  it("publishes discovery and keys that verify its tokens, and not forged ones", async () => {
    const discovery = (await (
      await fetch(`${issuer.url}/.well-known/openid-configuration`)
    ).json()) as { issuer: string; jwks_uri: string };
    expect(discovery.issuer).toBe(issuer.url);
    const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const token = await issuer.sign({ aud: "coffer", repository: "acme/app" });
    const { payload } = await jwtVerify(token, keys, { issuer: issuer.url, audience: "coffer" });
    expect(payload.repository).toBe("acme/app");
    const forged = await issuer.sign({ aud: "coffer" }, { foreignKey: true });
    await expect(jwtVerify(forged, keys)).rejects.toThrow(/signature/);
  });

  it("hands out ID tokens as a runner does, only for its request token", async () => {
    const refused = await fetch(`${issuer.requestUrl}?audience=x`);
    expect(refused.status).toBe(401);
    const answer = await fetch(`${issuer.requestUrl}?audience=coffer`, {
      headers: { authorization: `Bearer ${issuer.requestToken}` },
    });
    const { value } = (await answer.json()) as { value: string };
    expect(decodeJwt(value)).toMatchObject({
      aud: "coffer",
      iss: issuer.url,
      repository: "acme/app",
    });
    expect(issuer.counts.idTokens).toBe(1);
  });
});
