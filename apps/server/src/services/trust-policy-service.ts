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
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { audited } from "./audited.js";
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

export interface TrustPolicyRow {
  identity: string;
  description: string;
  issuer: string;
  audience: string;
  conditions: ClaimConditions;
  owner_kind: "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  token_ttl_seconds: number;
  created_at: Date;
  created_by: string;
}

export const TRUST_POLICY_COLUMNS =
  "identity, description, issuer, audience, conditions, owner_kind, owner, scopes, token_ttl_seconds, created_at, created_by";

const resourceOf = (identity: string): string => `oidc-policy:${identity}`;

/** The name of the tokens a policy's exchanges make, which is also their audit actor. */
export const exchangedTokenName = (identity: string): string => `oidc:${identity}`;

export class TrustPolicyService {
  readonly #credentials: CredentialIssuer;

  constructor(private readonly deps: Deps) {
    this.#credentials = new CredentialIssuer(deps);
  }

  create(actor: Actor, meta: RequestMeta, input: CreateTrustPolicyInput): Promise<TrustPolicyInfo> {
    const resource = resourceOf(input.identity);
    return audited(this.deps, actor, meta, "oidc.policy.create", resource, async (tx) => {
      this.#requireAdmin(actor);
      const problem = trustPolicyProblem(input);
      if (problem !== undefined) throw invalidRequest(problem);
      // Its tokens are shared tokens of the owner: the same checks decide their scopes.
      const owner = await this.#credentials.sharedOwner(tx, actor, input.owner);
      await this.#credentials.checkScopes(tx, owner, input.scopes, "exchanged token");
      const ownerName = owner.principal.kind === "team" ? owner.principal.name : null;
      const [row] = await tx.query<TrustPolicyRow>(
        `INSERT INTO oidc_trust_policies
           (identity, description, issuer, audience, conditions, owner_kind, owner, scopes, token_ttl_seconds, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (identity) DO NOTHING
         RETURNING ${TRUST_POLICY_COLUMNS}`,
        [
          input.identity,
          input.description ?? "",
          input.issuer,
          input.audience,
          JSON.stringify(input.conditions),
          ownerName === null ? "org" : "team",
          ownerName,
          JSON.stringify(input.scopes),
          input.tokenTtlSeconds ?? DEFAULT_EXCHANGED_TOKEN_SECONDS,
          this.deps.now(),
          actor.label,
        ],
      );
      if (!row) throw invalidStatus(`a trust policy named ${input.identity} already exists`);
      return {
        result: toInfo(row),
        details: { issuer: input.issuer, conditions: Object.keys(input.conditions) },
      };
    });
  }

  async list(actor: Actor): Promise<TrustPolicyInfo[]> {
    this.#requireAdmin(actor);
    const rows = await this.deps.db.query<TrustPolicyRow>(
      `SELECT ${TRUST_POLICY_COLUMNS} FROM oidc_trust_policies ORDER BY identity`,
    );
    return rows.map(toInfo);
  }

  /** Deletes a policy and disables the live tokens it made (in an incident, one call). */
  remove(
    actor: Actor,
    meta: RequestMeta,
    input: TrustPolicyIdInput,
  ): Promise<{ identity: string; deleted: true; tokensDisabled: number }> {
    const resource = resourceOf(input.identity);
    return audited(this.deps, actor, meta, "oidc.policy.delete", resource, async (tx) => {
      this.#requireAdmin(actor);
      const deleted = await tx.query(
        "DELETE FROM oidc_trust_policies WHERE identity = $1 RETURNING identity",
        [input.identity],
      );
      if (deleted.length === 0) throw notFound(`no trust policy named ${input.identity}`);
      const disabled = await tx.query(
        `UPDATE tokens SET disabled_at = $2
         WHERE kind = 'exchanged' AND name = $1 AND disabled_at IS NULL AND expires_at > $2
         RETURNING id`,
        [exchangedTokenName(input.identity), this.deps.now()],
      );
      return {
        result: { identity: input.identity, deleted: true, tokensDisabled: disabled.length },
        details: { tokensDisabled: disabled.length },
      };
    });
  }

  #requireAdmin(actor: Actor): void {
    requireFullScope(actor, "managing trust policies", "manage");
    requireAccess(actor, { kind: "org" }, "manage");
  }
}

/** The policies of an issuer: those an exchange of its tokens may use. */
export function policiesOf(q: Queryable, issuer: string): Promise<TrustPolicyRow[]> {
  return q.query<TrustPolicyRow>(
    `SELECT ${TRUST_POLICY_COLUMNS} FROM oidc_trust_policies WHERE issuer = $1 ORDER BY identity`,
    [issuer],
  );
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
