/**
 * A local OIDC issuer, for tests only: an HTTP server on 127.0.0.1 with its own signing key,
 * a discovery document and a JWKS, like GitHub's `token.actions.githubusercontent.com`; and the
 * endpoint a GitHub runner gives a job (`ACTIONS_ID_TOKEN_REQUEST_URL`, answering
 * `{ "value": <jwt> }` to a bearer `ACTIONS_ID_TOKEN_REQUEST_TOKEN`), so `@actions/core`'s
 * `getIDToken` fetches an ID token exactly as it does on GitHub.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWTPayload,
} from "jose";

const ALG = "RS256";

export interface SignOptions {
  /** Sign with a key the issuer does not publish (a forged token). */
  foreignKey?: boolean;
  /** Override the issuer (`iss`). */
  issuer?: string;
  /** Seconds from now; negative for a token that has expired. Default 300. */
  expiresInSeconds?: number;
  /** Seconds from now of `iat` (default 0). */
  issuedAtOffsetSeconds?: number;
  /** Seconds from now of `nbf` (default -5). */
  notBeforeOffsetSeconds?: number;
  /** `HS256` (with a shared secret) or `none` (unsigned): what a forger would try. */
  algorithm?: "HS256" | "none";
}

export interface TestIssuer {
  /** The issuer URL (`iss`), e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** The runner's ID-token endpoint and its bearer token (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN). */
  requestUrl: string;
  requestToken: string;
  /** Claims the runner endpoint puts in every token it hands out (besides iss, aud, iat, exp). */
  runnerClaims: JWTPayload;
  /** Options for tokens from the runner endpoint (an expired one, a forged one…). */
  runnerOptions: SignOptions;
  /** What the discovery document says, when a test wants it to lie (or to be huge). */
  discovery: { issuer?: string; jwksUri?: string; paddingBytes?: number };
  /** How many ID tokens the runner endpoint handed out, discovery and JWKS fetches. */
  counts: { idTokens: number; discovery: number; jwks: number };
  sign(claims: JWTPayload & { aud: string | string[] }, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

/** GitHub-like claims of a workflow run (fake, but shaped as GitHub's). */
export function githubClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    sub: "repo:acme/app:ref:refs/heads/main",
    repository: "acme/app",
    repository_owner: "acme",
    ref: "refs/heads/main",
    sha: "0000000000000000000000000000000000000000",
    workflow: "deploy",
    job_workflow_ref: "acme/app/.github/workflows/deploy.yml@refs/heads/main",
    run_id: "1234567890",
    run_attempt: "1",
    actor: "octocat",
    event_name: "push",
    ...overrides,
  };
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const own = await generateKeyPair(ALG, { extractable: true });
  const foreign = await generateKeyPair(ALG);
  const kid = randomBytes(8).toString("hex");
  const jwk = { ...(await exportJWK(own.publicKey)), kid, alg: ALG, use: "sig" };
  const requestToken = `fake-runner-request-${randomBytes(8).toString("hex")}`;
  const counts = { idTokens: 0, discovery: 0, jwks: 0 };
  let url = "";

  async function sign(
    claims: JWTPayload & { aud: string | string[] },
    options: SignOptions = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      ...claims,
      jti: randomBytes(8).toString("hex"),
      iss: options.issuer ?? url,
      iat: now + (options.issuedAtOffsetSeconds ?? 0),
      nbf: now + (options.notBeforeOffsetSeconds ?? -5),
      exp: now + (options.expiresInSeconds ?? 300),
    };
    if (options.algorithm === "none") return new UnsecuredJWT(payload).encode();
    if (options.algorithm === "HS256") {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: "HS256", kid, typ: "JWT" })
        .sign(new TextEncoder().encode("fake-shared-hmac-secret-0000000000"));
    }
    const key: CryptoKey = options.foreignKey ? foreign.privateKey : own.privateKey;
    return new SignJWT(payload).setProtectedHeader({ alg: ALG, kid, typ: "JWT" }).sign(key);
  }

  const issuer: TestIssuer = {
    url: "",
    requestUrl: "",
    requestToken,
    runnerClaims: githubClaims(),
    runnerOptions: {},
    discovery: {},
    counts,
    sign,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? "/", url);
    if (target.pathname === "/.well-known/openid-configuration") {
      counts.discovery++;
      return json(res, 200, {
        issuer: issuer.discovery.issuer ?? url,
        jwks_uri: issuer.discovery.jwksUri ?? `${url}/.well-known/jwks`,
        id_token_signing_alg_values_supported: [ALG],
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        ...(issuer.discovery.paddingBytes !== undefined
          ? { padding: "x".repeat(issuer.discovery.paddingBytes) }
          : {}),
      });
    }
    if (target.pathname === "/.well-known/jwks") {
      counts.jwks++;
      return json(res, 200, { keys: [jwk] });
    }
    if (target.pathname === "/runner/id-token") {
      if (req.headers.authorization !== `Bearer ${requestToken}`) {
        return json(res, 401, { message: "bad request token" });
      }
      counts.idTokens++;
      const audience = target.searchParams.get("audience") ?? "fake-default-audience";
      const value = await sign({ ...issuer.runnerClaims, aud: audience }, issuer.runnerOptions);
      return json(res, 200, { count: 1, value });
    }
    json(res, 404, { message: "not found" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { message: "issuer failed" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer.url = url;
  issuer.requestUrl = `${url}/runner/id-token`;
  return issuer;
}
