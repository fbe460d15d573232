/**
 * The signing keys of OIDC issuers, found through each issuer's discovery document
 * (`<issuer>/.well-known/openid-configuration` → `jwks_uri`) and kept by jose's remote JWK set
 * (cached 10 minutes; an unknown `kid` refetches, at most every 30 seconds, so a key rotation
 * is picked up). Only the issuers named by trust policies are ever fetched: the exchange looks
 * a token's issuer up among the policies before it asks for keys.
 */
import { CofferError, jwksUriProblem } from "@coffer/core";
import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import { LRUCache } from "lru-cache";

const DISCOVERY_TTL_MS = 60 * 60_000;
/** A failed discovery is remembered this long: unauthenticated callers cannot make us fetch more. */
const FAILURE_TTL_MS = 30_000;
const FETCH_TIMEOUT_MS = 5000;
const MAX_DISCOVERY_BYTES = 64 * 1024;

export class IssuerUnreachable extends CofferError {
  constructor(issuer: string, why: string) {
    super("INTERNAL_SERVER_ERROR", `could not get the signing keys of issuer ${issuer}: ${why}`, {
      issuer,
    });
  }
}

/** The body as text, refused beyond `max` bytes (read no further than that). */
async function readCapped(response: Response, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    if (size > max) throw new Error("too large");
    chunks.push(chunk as Uint8Array);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export class IssuerKeys {
  readonly #sets = new LRUCache<string, JWTVerifyGetKey>({ max: 100, ttl: DISCOVERY_TTL_MS });
  readonly #failures = new LRUCache<string, IssuerUnreachable>({ max: 100, ttl: FAILURE_TTL_MS });
  readonly #pending = new Map<string, Promise<JWTVerifyGetKey>>();

  /** The issuer's key set, discovering it on first use (concurrent first uses share one fetch). */
  async keysOf(issuer: string): Promise<JWTVerifyGetKey> {
    const known = this.#sets.get(issuer);
    if (known) return known;
    const failed = this.#failures.get(issuer);
    if (failed) throw failed;
    let pending = this.#pending.get(issuer);
    if (!pending) {
      pending = this.#discover(issuer)
        .catch((error: unknown) => {
          if (error instanceof IssuerUnreachable) this.#failures.set(issuer, error);
          throw error;
        })
        .finally(() => this.#pending.delete(issuer));
      this.#pending.set(issuer, pending);
    }
    return pending;
  }

  async #discover(issuer: string): Promise<JWTVerifyGetKey> {
    const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    let document: unknown;
    try {
      const response = await fetch(url, {
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        redirect: "error",
        headers: { accept: "application/json" },
      });
      if (!response.ok)
        throw new IssuerUnreachable(issuer, `discovery answered ${response.status}`);
      document = JSON.parse(await readCapped(response, MAX_DISCOVERY_BYTES));
    } catch (error) {
      if (error instanceof IssuerUnreachable) throw error;
      throw new IssuerUnreachable(issuer, "its discovery document could not be read");
    }
    const { issuer: named, jwks_uri: jwksUri } = (document ?? {}) as Record<string, unknown>;
    if (named !== issuer) {
      throw new IssuerUnreachable(issuer, "its discovery document names another issuer");
    }
    const uri = typeof jwksUri === "string" ? jwksUri : "";
    const problem = uri === "" ? "none given" : jwksUriProblem(issuer, uri);
    if (problem !== undefined) {
      throw new IssuerUnreachable(
        issuer,
        `its discovery document has no usable jwks_uri (${problem})`,
      );
    }
    const keys = createRemoteJWKSet(new URL(uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
    this.#sets.set(issuer, keys);
    return keys;
  }
}
