/**
 * OIDC trust policies (SPEC §4): which ID tokens may be exchanged for a Coffer token, and what
 * that token may do. Org admins (with a `*` credential) create, list and delete them. A policy
 * names its identity (what a workflow asks for), the issuer, the audience, conditions on the
 * claims, the owner the token acts for (a team, or the org) and its scopes, checked like a
 * shared token's: never more than the owner holds.
 */
import {
  conditionsProblem,
  DEFAULT_EXCHANGED_TOKEN_SECONDS,
  invalidRequest,
  invalidStatus,
  issuerUrlProblem,
  notFound,
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

export class TrustPolicyService {
  readonly #issuer: CredentialIssuer;

  constructor(private readonly deps: Deps) {
    this.#issuer = new CredentialIssuer(deps);
  }

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: CreateTrustPolicyInput,
  ): Promise<TrustPolicyInfo> {
    return audited(
      this.deps,
      actor,
      meta,
      "oidc.policy.create",
      resourceOf(input.identity),
      async (tx) => {
        this.#requireAdmin(actor);
        const issuerProblem = issuerUrlProblem(input.issuer);
        if (issuerProblem !== undefined) throw invalidRequest(`issuer: ${issuerProblem}`);
        const conditionProblem = conditionsProblem(input.conditions);
        if (conditionProblem !== undefined) throw invalidRequest(`conditions: ${conditionProblem}`);
        const ttl = input.tokenTtlSeconds ?? DEFAULT_EXCHANGED_TOKEN_SECONDS;
        // The exchanged token is a shared token of the owner: the same checks decide its scopes.
        const plan = await this.#issuer.plan(
          tx,
          actor,
          {
            expiresInSeconds: ttl,
            shared: input.owner !== undefined ? { owner: input.owner } : {},
            ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
          },
          "exchanged token",
        );
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
            plan.ownerKind,
            plan.owner,
            JSON.stringify(plan.scopes),
            ttl,
            plan.createdAt,
            actor.label,
          ],
        );
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
    const rows = await this.deps.db.query<TrustPolicyRow>(
      `SELECT ${TRUST_POLICY_COLUMNS} FROM oidc_trust_policies ORDER BY identity`,
    );
    return rows.map(toInfo);
  }

  async remove(
    actor: Actor,
    meta: RequestMeta,
    input: TrustPolicyIdInput,
  ): Promise<{ identity: string; deleted: true }> {
    return audited(
      this.deps,
      actor,
      meta,
      "oidc.policy.delete",
      resourceOf(input.identity),
      async (tx) => {
        this.#requireAdmin(actor);
        const deleted = await tx.query(
          "DELETE FROM oidc_trust_policies WHERE identity = $1 RETURNING identity",
          [input.identity],
        );
        if (deleted.length === 0) throw notFound(`no trust policy named ${input.identity}`);
        return { result: { identity: input.identity, deleted: true } };
      },
    );
  }

  #requireAdmin(actor: Actor): void {
    requireFullScope(actor, "managing trust policies", "manage");
    requireAccess(actor, { kind: "org" }, "manage");
  }
}

/** The policies an exchange may use: those of the issuer, or the one named. */
export function policiesFor(
  q: Queryable,
  issuer: string,
  identity: string | undefined,
): Promise<TrustPolicyRow[]> {
  return identity === undefined
    ? q.query<TrustPolicyRow>(
        `SELECT ${TRUST_POLICY_COLUMNS} FROM oidc_trust_policies WHERE issuer = $1 ORDER BY identity`,
        [issuer],
      )
    : q.query<TrustPolicyRow>(
        `SELECT ${TRUST_POLICY_COLUMNS} FROM oidc_trust_policies WHERE identity = $1`,
        [identity],
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
