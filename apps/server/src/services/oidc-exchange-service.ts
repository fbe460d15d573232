/**
 * The OIDC exchange (SPEC §4): an ID token in, a short-lived Coffer token out.
 *
 * 1. The token's claimed issuer picks the candidate policies: only issuers that policies name
 *    are ever contacted.
 * 2. The token is verified against the issuer's keys (signature, iss, aud, exp, nbf, iat).
 *    Only then are the policies consulted, so an unverified token learns nothing of them.
 * 3. `identity`, when given, picks one policy. A policy matches when the token's `aud` holds
 *    its audience and every condition holds; without `identity`, exactly one must match.
 * 4. The new token (kind `exchanged`) belongs to the policy's owner with its scopes and lives
 *    the policy's lifetime (default 15 minutes, at most an hour). In one transaction: the policy
 *    is held (a deletion waits, then disables the token), the ID token is used up (one exchange
 *    each), and the audit event holds the claims that say which run asked (repository, ref,
 *    workflow, run id…); every later event of the token carries its id.
 *
 * Refusals are UNAUTHORIZED with a message that says what did not match; they are audited and
 * count towards the failure limit of the caller's address. */
import {
  CofferError,
  checkConditions,
  invalidRequest,
  trustPolicyProblem,
  unauthorized,
  type ExchangeInput,
} from "@coffer/core";
import type { JWTPayload } from "jose";
import type { RequestMeta } from "../auth/actor.js";
import { FailureLimiter } from "../auth/failure-limiter.js";
import { DatabaseReplayStore } from "../auth/replay-store.js";
import type { Stores } from "../stores/stores.js";
import type { TrustPolicyRow } from "../stores/trust-policy-store.js";
import type { Deps } from "../deps.js";
import { claimedIssuer, verifyIdToken } from "../oidc/id-token.js";
import { IssuerKeys } from "../oidc/issuer-keys.js";
import { addSeconds } from "../time.js";
import { auditFailure } from "./audited.js";
import { exchangedTokenName } from "./trust-policy-service.js";

export interface ExchangedToken {
  token: string;
  tokenId: string;
  expiresAt: string;
  identity: string;
}

/** Claims copied into the audit event when present (GitHub's, and the standard ones). */
const AUDITED_CLAIMS = [
  "sub",
  "jti",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "ref",
  "sha",
  "environment",
  "workflow",
  "workflow_ref",
  "job_workflow_ref",
  "run_id",
  "run_attempt",
  "actor",
  "event_name",
];
const MAX_AUDITED_CLAIM_LENGTH = 256;

export class OidcExchangeService {
  readonly #keys = new IssuerKeys();
  readonly #limiter: FailureLimiter;

  constructor(
    private readonly deps: Pick<
      Deps,
      "db" | "log" | "credentialCache" | "config" | "metrics" | "now"
    >,
    private readonly stores: Pick<Stores, "trustPolicies" | "credentials" | "audit">,
  ) {
    this.#limiter = new FailureLimiter(deps.config.authFailuresPerMinute);
  }

  /**
   * The token is always checked: a valid exchange works whatever its address has done (see
   * failure-limiter.ts). Past the limit, an address's refusals are answered RATE_LIMITED and no
   * longer audited one by one.
   */
  async exchange(meta: RequestMeta, input: ExchangeInput): Promise<ExchangedToken> {
    try {
      return await this.#exchange(meta, input);
    } catch (error) {
      // Refusals count; an issuer that cannot be reached does not (its failure is remembered
      // for 30 s, so it costs no fetch, and an outage must not lock out a runner fleet).
      const details = error instanceof CofferError ? error.details : {};
      const counted =
        !(error instanceof CofferError) || error.errorCode !== "INTERNAL_SERVER_ERROR";
      const limited = counted
        ? this.#limiter.fail(meta.ip, this.deps.now().getTime(), "exchanges")
        : undefined;
      const reason = typeof details["reason"] === "string" ? details["reason"] : "oidc-failed";
      this.deps.metrics.authFailures.inc({ reason: limited ? "rate-limited" : reason });
      if (limited) throw limited;
      // Nobody is signed in yet: the actor is `oidc`, what was asked for goes in the details.
      await auditFailure(
        this.deps,
        this.stores,
        { label: "oidc", tokenId: null },
        meta,
        "oidc.exchange",
        null,
        error,
        {
          reason,
          ...(typeof details["issuer"] === "string" ? { issuer: details["issuer"] } : {}),
          ...(input.identity !== undefined ? { identity: input.identity } : {}),
        },
      );
      throw error;
    }
  }

  async #exchange(meta: RequestMeta, input: ExchangeInput): Promise<ExchangedToken> {
    const issuer = claimedIssuer(input.token);
    const refuse = (message: string) => unauthorized(message, { reason: "oidc-no-policy", issuer });
    const policies = await this.stores.trustPolicies.ofIssuer(this.deps.db, issuer);
    if (policies.length === 0) throw refuse(`no trust policy trusts issuer ${issuer}`);
    const claims = await verifyIdToken(input.token, this.#keys, {
      issuer,
      audiences: [...new Set(policies.map((p) => p.audience))],
      now: this.deps.now(),
    });
    // From here on the caller holds a validly signed token of a trusted issuer.
    const candidates =
      input.identity === undefined
        ? policies
        : policies.filter((p) => p.identity === input.identity);
    if (candidates.length === 0) {
      throw refuse(`no trust policy named ${input.identity} trusts issuer ${issuer}`);
    }
    const policy = this.#match(candidates, claims, input.identity);
    return this.#issue(meta, policy, claims, input.token);
  }

  #match(
    candidates: readonly TrustPolicyRow[],
    claims: JWTPayload,
    identity: string | undefined,
  ): TrustPolicyRow {
    const audiences = typeof claims.aud === "string" ? [claims.aud] : (claims.aud ?? []);
    const outcomes = candidates.map((policy) => {
      if (!audiences.includes(policy.audience)) {
        return { policy, reason: "the token's aud does not hold the policy's audience" };
      }
      const check = checkConditions(policy.conditions, claims);
      return { policy, reason: check.ok ? undefined : check.reason };
    });
    const matching = outcomes.filter((o) => o.reason === undefined).map((o) => o.policy);
    if (matching.length === 1) return matching[0]!;
    if (matching.length > 1) {
      throw invalidRequest(
        `${matching.length} trust policies match this token (${matching.map((p) => p.identity).join(", ")}); say which with identity`,
      );
    }
    if (identity !== undefined) {
      throw unauthorized(
        `the ID token does not match trust policy ${identity}: ${outcomes[0]!.reason}`,
        { reason: "oidc-conditions", issuer: candidates[0]!.issuer },
      );
    }
    // Without an identity, the policies' names and conditions are not told to just anyone.
    throw unauthorized(
      "the ID token matches no trust policy of its issuer (name one with identity to see why)",
      { reason: "oidc-conditions", issuer: candidates[0]!.issuer },
    );
  }

  async #issue(
    meta: RequestMeta,
    policy: TrustPolicyRow,
    claims: JWTPayload,
    idToken: string,
  ): Promise<ExchangedToken> {
    const problem = trustPolicyProblem(policy);
    if (problem !== undefined) {
      // Stored under older rules: it issues nothing until an admin makes it again.
      throw unauthorized(
        `trust policy ${policy.identity} does not meet the current rules (${problem}); an org admin must make it again`,
        { reason: "oidc-policy-outdated", issuer: policy.issuer },
      );
    }
    const now = this.deps.now();
    const expiresAt = addSeconds(now, policy.token_ttl_seconds);
    return this.deps.db.transaction(async (tx) => {
      // The policy still exists, and cannot be deleted until this token is stored (a deletion
      // then disables it with the others).
      if (!(await this.stores.trustPolicies.hold(tx, policy.identity))) {
        throw unauthorized(`trust policy ${policy.identity} was deleted`, {
          reason: "oidc-no-policy",
          issuer: policy.issuer,
        });
      }
      // One exchange per ID token (a job asks GitHub for a new one each time): a token copied
      // from a log or a compromised step cannot be exchanged again while it is valid.
      const fresh = await new DatabaseReplayStore(this.stores.credentials, tx).remember(
        `oidc:${idToken}`,
        (claims.exp ?? 0) * 1000,
        now.getTime(),
      );
      if (!fresh) {
        throw unauthorized("this ID token was already exchanged; ask its issuer for a new one", {
          reason: "oidc-replay",
          issuer: policy.issuer,
        });
      }
      const name = exchangedTokenName(policy.identity);
      const made = await this.stores.credentials.insertToken(tx, {
        kind: "exchanged",
        ownerKind: policy.owner_kind,
        owner: policy.owner,
        name,
        scopes: policy.scopes,
        createdAt: now,
        expiresAt,
        createdBy: name,
      });
      const actor = { label: name, tokenId: made.id };
      await this.stores.audit.record(tx, actor, meta, {
        action: "oidc.exchange",
        resource: `token:${made.id}`,
        details: {
          identity: policy.identity,
          issuer: policy.issuer,
          expiresAt: expiresAt.toISOString(),
          claims: auditedClaims(claims, Object.keys(policy.conditions)),
        },
      });
      return {
        token: made.token,
        tokenId: made.id,
        expiresAt: expiresAt.toISOString(),
        identity: policy.identity,
      };
    });
  }
}

/** The claims that say who asked: the standard set and those the policy's conditions name. */
function auditedClaims(
  claims: JWTPayload,
  conditionClaims: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of new Set([...AUDITED_CLAIMS, ...conditionClaims])) {
    const value = claims[name];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      // Cut without leaving half of a surrogate pair (jsonb refuses one).
      out[name] = String(value).slice(0, MAX_AUDITED_CLAIM_LENGTH).toWellFormed();
    }
  }
  return out;
}
