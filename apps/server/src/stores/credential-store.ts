/**
 * The credential store: tokens, access keys and used signatures (`tokens`, `access_keys`,
 * `signature_replays`); console sessions are in session-store.ts. The only module that names these
 * tables. Token texts are never stored: a token's hash is (see mintToken); an access key's
 * secret is kept sealed like a secret value, under an owner name no principal can have.
 */
import { createHash } from "node:crypto";
import {
  BASE62,
  mintToken,
  randomString,
  type Grant,
  type Membership,
  type TokenScope,
  type VersionContext,
} from "@coffer/core";
import type { Queryable } from "../db/database.js";
import { joinOwner, ownerRights } from "./principal-store.js";

/** Personal (a user's), shared (made by an admin for a team or the org), exchanged (OIDC). */
export type TokenKind = "personal" | "shared" | "exchanged";

/** Not a valid user or team name, so no secret's additional data can be the same. */
export const ACCESS_KEY_OWNER = "~access-key";

/** The additional data an access key's secret is sealed with. */
export const accessKeyContext = (org: string, id: string): VersionContext => ({
  org,
  owner: ACCESS_KEY_OWNER,
  name: id,
  version: 1,
});

export interface AccessKeyRow {
  id: string;
  name: string;
  owner_kind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  created_at: Date;
  created_by: string;
  expires_at: Date;
  disabled_at: Date | null;
}

export interface TokenRow extends AccessKeyRow {
  hint: string;
  kind: TokenKind;
}

/** An access key's sealed secret and state, for checking a signature. */
export interface SealedAccessKey {
  protection_key_id: string;
  wrapped_data_key: Buffer;
  ciphertext: Buffer;
  disabled_at: Date | null;
  expires_at: Date;
}

export interface NewToken {
  kind: TokenKind;
  ownerKind: "user" | "team" | "org";
  owner: string | null;
  name: string;
  scopes: TokenScope[];
  /** From the same clock as expiresAt, so that a lifetime is measured on one clock. */
  createdAt: Date;
  expiresAt: Date;
  createdBy: string;
}

export interface NewAccessKey {
  id: string;
  name: string;
  ownerKind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  sealed: { protectionKeyId: string; wrappedDataKey: Buffer; ciphertext: Buffer };
  createdBy: string;
  expiresAt: Date;
  createdAt: Date;
}

/** A credential as authentication reads it: with its owner, the owner's teams and grants. */
export interface CredentialRow {
  id: string;
  /** Made by an OIDC exchange; `name` is then `oidc:IDENTITY`. */
  exchanged: boolean;
  name: string;
  owner_kind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  expires_at: Date;
  disabled_at: Date | null;
  status: "active" | "disabled" | null;
  org_role: "admin" | "member" | null;
  teams: Membership[];
  grants: Grant[];
}

/** A kind of credential, as audit resources name it (`token:ID`, `access-key:ID`). */
export type CredentialKind = "token" | "access-key";

const TABLE = { token: "tokens", "access-key": "access_keys" } as const;

const COLUMNS: Record<CredentialKind, string> = {
  token:
    "id, name, hint, kind, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at",
  "access-key":
    "id, name, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at",
};

/** Tokens and access keys alike: the credential, its owner, the owner's teams and grants. */
export const credentialQuery = (table: "tokens" | "access_keys", where: string): string => `
  SELECT t.id, t.${table === "tokens" ? "hash" : "id"} AS lookup, ${table === "tokens" ? "t.kind = 'exchanged'" : "false"} AS exchanged, t.name, t.owner_kind, t.owner, t.scopes, t.expires_at, t.disabled_at, p.status, p.org_role,${ownerRights("t.owner")}
  FROM ${table} t ${joinOwner("p", "t.owner", true)}
  WHERE ${where}`;
const TOKENS_QUERY = credentialQuery("tokens", "t.hash = ANY($1::text[])");
const ACCESS_KEY_QUERY = credentialQuery("access_keys", "t.id = $1");

/** A token whose expiry is near or past, as its events name it (never its hash). */
export interface ExpiryRow {
  id: string;
  name: string;
  kind: "personal" | "shared";
  owner: string | null;
  expires_at: Date;
}

export const credentialStore = {
  /** Tokens by the hashes of their texts (many requests' lookups at once). */
  tokensByHash(
    q: Queryable,
    hashes: readonly string[],
  ): Promise<(CredentialRow & { lookup: string })[]> {
    return q.query<CredentialRow & { lookup: string }>(TOKENS_QUERY, [hashes]);
  },

  async accessKey(q: Queryable, id: string): Promise<CredentialRow | undefined> {
    const [row] = await q.query<CredentialRow>(ACCESS_KEY_QUERY, [id]);
    return row;
  },

  async accessKeySecret(q: Queryable, id: string): Promise<SealedAccessKey | undefined> {
    const [row] = await q.query<SealedAccessKey>(
      "SELECT protection_key_id, wrapped_data_key, ciphertext, disabled_at, expires_at FROM access_keys WHERE id = $1",
      [id],
    );
    return row;
  },

  /** Stores a new token and returns it: the only time its text exists outside the caller. */
  async insertToken(q: Queryable, t: NewToken): Promise<{ id: string; token: string }> {
    const minted = mintToken();
    const id = `tok_${randomString(BASE62, 16)}`;
    await q.query(
      `INSERT INTO tokens (id, hash, hint, name, kind, owner_kind, owner, scopes, created_by, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        id,
        minted.hash,
        minted.hint,
        t.name,
        t.kind,
        t.ownerKind,
        t.owner,
        JSON.stringify(t.scopes),
        t.createdBy,
        t.expiresAt,
        t.createdAt,
      ],
    );
    return { id, token: minted.token };
  },

  async insertAccessKey(q: Queryable, k: NewAccessKey): Promise<void> {
    await q.query(
      `INSERT INTO access_keys (id, name, owner_kind, owner, scopes, protection_key_id, wrapped_data_key,
                                  ciphertext, created_by, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        k.id,
        k.name,
        k.ownerKind,
        k.owner,
        JSON.stringify(k.scopes),
        k.sealed.protectionKeyId,
        k.sealed.wrappedDataKey,
        k.sealed.ciphertext,
        k.createdBy,
        k.expiresAt,
        k.createdAt,
      ],
    );
  },

  /** A user's personal tokens, and with `alsoShared` every shared and exchanged one. */
  tokens(q: Queryable, user: string | null, alsoShared: boolean): Promise<TokenRow[]> {
    return q.query<TokenRow>(
      `SELECT id, name, hint, kind, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at
       FROM tokens WHERE (kind = 'personal' AND owner = $1) OR (kind <> 'personal' AND $2)
       ORDER BY created_at, id`,
      [user, alsoShared],
    );
  },

  accessKeys(q: Queryable): Promise<AccessKeyRow[]> {
    return q.query<AccessKeyRow>(
      `SELECT ${COLUMNS["access-key"]} FROM access_keys ORDER BY created_at, id`,
    );
  },

  /** One token or access key, locked for update when `lock`. */
  async credential<Row>(
    q: Queryable,
    kind: CredentialKind,
    id: string,
    lock = false,
  ): Promise<Row | undefined> {
    const [row] = await q.query<Row>(
      `SELECT ${COLUMNS[kind]} FROM ${TABLE[kind]} WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
      [id],
    );
    return row;
  },

  async remove(q: Queryable, kind: CredentialKind, id: string): Promise<void> {
    await q.query(`DELETE FROM ${TABLE[kind]} WHERE id = $1`, [id]);
  },

  async disable(q: Queryable, kind: CredentialKind, id: string, now: Date): Promise<void> {
    await q.query(`UPDATE ${TABLE[kind]} SET disabled_at = $2 WHERE id = $1`, [id, now]);
  },

  /** Enables a token again until `expiresAt` (its expiry event may then come again). */
  async enableToken(q: Queryable, id: string, expiresAt: Date): Promise<void> {
    await q.query(
      "UPDATE tokens SET disabled_at = NULL, expires_at = $2, expiry_event_at = NULL WHERE id = $1",
      [id, expiresAt],
    );
  },

  /** A token ends itself (no error when it already was disabled). */
  async revokeToken(q: Queryable, id: string, now: Date): Promise<void> {
    await q.query("UPDATE tokens SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL", [
      id,
      now,
    ]);
  },

  /** A user disabled: its personal tokens and its access keys with it. */
  async disableAllOfUser(q: Queryable, user: string, now: Date): Promise<void> {
    await q.query(
      "UPDATE tokens SET disabled_at = $2 WHERE owner = $1 AND kind = 'personal' AND disabled_at IS NULL",
      [user, now],
    );
    await q.query(
      "UPDATE access_keys SET disabled_at = $2 WHERE owner = $1 AND owner_kind = 'user' AND disabled_at IS NULL",
      [user, now],
    );
  },

  /** The live tokens exchanged under `name` (a trust policy's), disabled; returns how many. */
  async disableExchanged(q: Queryable, name: string, now: Date): Promise<number> {
    const disabled = await q.query(
      `UPDATE tokens SET disabled_at = $2
         WHERE kind = 'exchanged' AND name = $1 AND disabled_at IS NULL AND expires_at > $2
         RETURNING id`,
      [name, now],
    );
    return disabled.length;
  },

  /** Tokens past their expiry become disabled (then purged with the others). */
  /** Disables the tokens past their expiry; returns them (for `token.expired`). */
  expireTokens(q: Queryable, now: Date): Promise<ExpiryRow[]> {
    return q.query<ExpiryRow>(
      `UPDATE tokens SET disabled_at = expires_at WHERE disabled_at IS NULL AND expires_at <= $1
       RETURNING id, name, kind, owner, expires_at`,
      [now],
    );
  },

  /** Deletes the tokens disabled by `cutoff`; returns their ids. */
  async purgeTokens(q: Queryable, cutoff: Date): Promise<string[]> {
    const purged = await q.query<{ id: string }>(
      "DELETE FROM tokens WHERE disabled_at <= $1 RETURNING id",
      [cutoff],
    );
    return purged.map((t) => t.id);
  },

  /**
   * Marks the live tokens that expire between `now` and `soon` (and lived 3 days or more) as
   * told about, once; returns them.
   */
  expiringTokens(q: Queryable, now: Date, soon: Date): Promise<ExpiryRow[]> {
    return q.query<ExpiryRow>(
      `UPDATE tokens SET expiry_event_at = $1
           WHERE disabled_at IS NULL AND expiry_event_at IS NULL AND expires_at > $1 AND expires_at <= $2
             AND expires_at - created_at >= interval '3 days'
           RETURNING id, name, kind, owner, expires_at`,
      [now, soon],
    );
  },

  /**
   * Remembers a signature (or an exchanged ID token) until `expiresAt`: false when it is
   * already remembered and not yet past (a replay). Given a transaction, it counts only if it
   * commits.
   */
  async rememberUse(q: Queryable, used: string, expiresAt: Date, now: Date): Promise<boolean> {
    const id = createHash("sha256").update(used).digest("hex");
    const rows = await q.query(
      `INSERT INTO signature_replays (id, expires_at) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE signature_replays.expires_at <= $3
       RETURNING id`,
      [id, expiresAt, now],
    );
    return rows.length === 1;
  },

  async purgeUses(q: Queryable, now: Date): Promise<void> {
    await q.query("DELETE FROM signature_replays WHERE expires_at <= $1", [now]);
  },
};

export type CredentialStore = typeof credentialStore;
