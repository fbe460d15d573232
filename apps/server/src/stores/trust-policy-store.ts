/**
 * The trust-policy store: OIDC trust policies (`oidc_trust_policies`), the only module that
 * names that table.
 */
import type { ClaimConditions, TokenScope } from "@coffer/core";
import type { Queryable } from "../db/database.js";

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

export interface NewTrustPolicy {
  identity: string;
  description: string;
  issuer: string;
  audience: string;
  conditions: ClaimConditions;
  owner: string | null;
  scopes: TokenScope[];
  tokenTtlSeconds: number;
  createdAt: Date;
  createdBy: string;
}

const COLUMNS =
  "identity, description, issuer, audience, conditions, owner_kind, owner, scopes, token_ttl_seconds, created_at, created_by";

export const trustPolicyStore = {
  /** The new policy; undefined when one of that identity exists. */
  async insert(q: Queryable, p: NewTrustPolicy): Promise<TrustPolicyRow | undefined> {
    const [row] = await q.query<TrustPolicyRow>(
      `INSERT INTO oidc_trust_policies
           (identity, description, issuer, audience, conditions, owner_kind, owner, scopes, token_ttl_seconds, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (identity) DO NOTHING
         RETURNING ${COLUMNS}`,
      [
        p.identity,
        p.description,
        p.issuer,
        p.audience,
        JSON.stringify(p.conditions),
        p.owner === null ? "org" : "team",
        p.owner,
        JSON.stringify(p.scopes),
        p.tokenTtlSeconds,
        p.createdAt,
        p.createdBy,
      ],
    );
    return row;
  },

  list(q: Queryable): Promise<TrustPolicyRow[]> {
    return q.query<TrustPolicyRow>(`SELECT ${COLUMNS} FROM oidc_trust_policies ORDER BY identity`);
  },

  /** The policies of an issuer: those an exchange of its tokens may use. */
  ofIssuer(q: Queryable, issuer: string): Promise<TrustPolicyRow[]> {
    return q.query<TrustPolicyRow>(
      `SELECT ${COLUMNS} FROM oidc_trust_policies WHERE issuer = $1 ORDER BY identity`,
      [issuer],
    );
  },

  /** True while the policy exists, and then it cannot be deleted until `q` ends. */
  async hold(q: Queryable, identity: string): Promise<boolean> {
    const [held] = await q.query(
      "SELECT identity FROM oidc_trust_policies WHERE identity = $1 FOR SHARE",
      [identity],
    );
    return held !== undefined;
  },

  /** False when there was no such policy. */
  async remove(q: Queryable, identity: string): Promise<boolean> {
    const deleted = await q.query(
      "DELETE FROM oidc_trust_policies WHERE identity = $1 RETURNING identity",
      [identity],
    );
    return deleted.length > 0;
  },
};

export type TrustPolicyStore = typeof trustPolicyStore;
