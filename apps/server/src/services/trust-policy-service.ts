/**
 * OIDC trust policies (SPEC §4): which ID tokens may be exchanged for a Coffer token, and what
 * that token may do. Org admins (with a `*` credential) create, list and delete them. A policy
 * names its identity (what a workflow asks for), the issuer, the audience, conditions on the
 * claims, the owner the token acts for (a team, or the org) and its scopes, checked like a
 * shared token's: never more than the owner holds.
 */
import {
  DEFAULT_EXCHANGED_TOKEN_SECONDS,
  invalidRequest,
  invalidStatus,
  notFound,
  trustPolicyProblem,
  type ClaimConditions,
  type CreateTrustPolicyInput,
  type TokenScope,
  type TrustPolicyIdInput,
} from "@coffer/core";
import { requireAccess, requireFullScope } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Deps } from "../deps.js";
import { audited } from "./audited.js";
import type { Stores } from "../stores/stores.js";
import type { TrustPolicyRow } from "../stores/trust-policy-store.js";
import { CredentialIssuer } from "./credential-issuer.js";

export interface TrustPolicyInfo {
  identity: string;
  description: string;
  issuer: string;
  audience: string;
  conditions: ClaimConditions;
  ownerKind: "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  tokenTtlSeconds: number;
  createdAt: string;
  createdBy: string;
}

const resourceOf = (identity: string): string => `oidc-policy:${identity}`;

/** The name of the tokens a policy's exchanges make, which is also their audit actor. */
export const exchangedTokenName = (identity: string): string => `oidc:${identity}`;

export class TrustPolicyService {
  readonly #credentials: CredentialIssuer;

  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "config" | "now">,
    private readonly stores: Pick<
      Stores,
      "trustPolicies" | "credentials" | "principals" | "grants" | "audit"
    >,
  ) {
    this.#credentials = new CredentialIssuer(deps, stores);
  }

  create(actor: Actor, meta: RequestMeta, input: CreateTrustPolicyInput): Promise<TrustPolicyInfo> {
    const resource = resourceOf(input.identity);
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "oidc.policy.create",
      resource,
      async (tx) => {
        this.#requireAdmin(actor);
        const problem = trustPolicyProblem(input);
        if (problem !== undefined) throw invalidRequest(problem);
        // Its tokens are shared tokens of the owner: the same checks decide their scopes.
        const owner = await this.#credentials.sharedOwner(tx, actor, input.owner);
        await this.#credentials.checkScopes(tx, owner, input.scopes, "exchanged token");
        const ownerName = owner.principal.kind === "team" ? owner.principal.name : null;
        const row = await this.stores.trustPolicies.insert(tx, {
          identity: input.identity,
          description: input.description ?? "",
          issuer: input.issuer,
          audience: input.audience,
          conditions: input.conditions,
          owner: ownerName,
          scopes: input.scopes,
          tokenTtlSeconds: input.tokenTtlSeconds ?? DEFAULT_EXCHANGED_TOKEN_SECONDS,
          createdAt: this.deps.now(),
          createdBy: actor.label,
        });
        if (!row) throw invalidStatus(`a trust policy named ${input.identity} already exists`);
        return {
          result: toInfo(row),
          details: { issuer: input.issuer, conditions: Object.keys(input.conditions) },
        };
      },
    );
  }

  async list(actor: Actor): Promise<TrustPolicyInfo[]> {
    this.#requireAdmin(actor);
    const rows = await this.stores.trustPolicies.list(this.deps.db);
    return rows.map(toInfo);
  }

  /** Deletes a policy and disables the live tokens it made (in an incident, one call). */
  remove(
    actor: Actor,
    meta: RequestMeta,
    input: TrustPolicyIdInput,
  ): Promise<{ identity: string; deleted: true; tokensDisabled: number }> {
    const resource = resourceOf(input.identity);
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "oidc.policy.delete",
      resource,
      async (tx) => {
        this.#requireAdmin(actor);
        if (!(await this.stores.trustPolicies.remove(tx, input.identity)))
          throw notFound(`no trust policy named ${input.identity}`);
        const disabled = await this.stores.credentials.disableExchanged(
          tx,
          exchangedTokenName(input.identity),
          this.deps.now(),
        );
        return {
          result: { identity: input.identity, deleted: true, tokensDisabled: disabled },
          details: { tokensDisabled: disabled },
        };
      },
    );
  }

  #requireAdmin(actor: Actor): void {
    requireFullScope(actor, "managing trust policies", "manage");
    requireAccess(actor, { kind: "org" }, "manage");
  }
}

function toInfo(row: TrustPolicyRow): TrustPolicyInfo {
  return {
    identity: row.identity,
    description: row.description,
    issuer: row.issuer,
    audience: row.audience,
    conditions: row.conditions,
    ownerKind: row.owner_kind,
    owner: row.owner,
    scopes: row.scopes,
    tokenTtlSeconds: row.token_ttl_seconds,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
  };
}
