/**
 * Tokens (SPEC §4). Personal tokens belong to their user; shared tokens are made by org admins
 * for a team or the org. Expiry is required and bounded; a token's scopes may not exceed what
 * its owner holds when it is made (and are intersected with it at every request). Managing
 * tokens needs a caller credential with the `*` scope, so a narrow token cannot mint a wide one.
 */
import {
  BASE62,
  invalidRequest,
  invalidStatus,
  mintToken,
  randomString,
  type CreateTokenInput,
  type EnableTokenInput,
  type ListTokensInput,
  type TokenIdInput,
  type TokenScope,
} from "@coffer/core";
import { can, requireUserAdministration } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { addSeconds } from "../time.js";
import { audited } from "./audited.js";
import { CredentialIssuer } from "./credential-issuer.js";
import { ownerKind } from "./secret-lookup.js";

export { ALL_SCOPES } from "./credential-issuer.js";

/** Personal (a user's), shared (made by an admin for a team or the org), exchanged (OIDC). */
export type TokenKind = "personal" | "shared" | "exchanged";

export interface TokenInfo {
  id: string;
  name: string;
  hint: string;
  kind: TokenKind;
  ownerKind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  disabledAt: string | null;
  status: "active" | "disabled" | "expired";
}

interface TokenRow {
  id: string;
  name: string;
  hint: string;
  kind: TokenKind;
  owner_kind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  created_at: Date;
  created_by: string;
  expires_at: Date;
  disabled_at: Date | null;
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

/** Stores a new token and returns it: the only time its text exists outside the caller. */
export async function insertToken(
  q: Queryable,
  t: NewToken,
): Promise<{ id: string; token: string }> {
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
}

export class TokenService {
  readonly #issuer: CredentialIssuer;

  constructor(private readonly deps: Deps) {
    this.#issuer = new CredentialIssuer(deps);
  }

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: CreateTokenInput,
  ): Promise<{ id: string; token: string; expiresAt: string }> {
    return audited(this.deps, actor, meta, "token.create", null, async (tx) => {
      const plan = await this.#issuer.plan(tx, actor, input, "token");
      const made = await insertToken(tx, { ...plan, name: input.name, createdBy: actor.label });
      // Issued for someone else: the audit says for whom and by whom (the owner sees it too,
      // as the token's createdBy in its list).
      const issued =
        input.for !== undefined && input.for !== actor.label
          ? { for: input.for, by: actor.label }
          : {};
      return {
        result: { ...made, expiresAt: plan.expiresAt.toISOString() },
        resource: `token:${made.id}`,
        details: { name: input.name, scopes: plan.scopes.length, ...issued },
      };
    });
  }

  /**
   * The caller's personal tokens, and for org admins the shared and exchanged ones; with
   * `user`, that user's personal tokens (the user itself, or an org admin). Never a value.
   */
  async list(actor: Actor, input: ListTokensInput = {}): Promise<TokenInfo[]> {
    this.#issuer.requireFullCredential(actor, "token");
    const self = actor.principal.kind === "user" ? actor.principal.name : null;
    if (input.user !== undefined && input.user !== self) {
      requireUserAdministration(actor, "listing another user's tokens");
      if ((await ownerKind(this.deps.db, input.user)) !== "user")
        throw invalidRequest(`${input.user} is a team, not a user`);
      return this.#rows(input.user, false);
    }
    return this.#rows(self, input.user === undefined && can(actor, { kind: "org" }, "manage"));
  }

  async #rows(user: string | null, alsoShared: boolean): Promise<TokenInfo[]> {
    const rows = await this.deps.db.query<TokenRow>(
      `SELECT id, name, hint, kind, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at
       FROM tokens WHERE (kind = 'personal' AND owner = $1) OR (kind <> 'personal' AND $2)
       ORDER BY created_at, id`,
      [user, alsoShared],
    );
    return rows.map((r) => this.#info(r));
  }

  async disable(actor: Actor, meta: RequestMeta, input: TokenIdInput): Promise<TokenInfo> {
    return this.#update(actor, meta, input.id, "token.disable", async (tx, row) => {
      if (row.disabled_at !== null) throw invalidStatus(`token ${row.id} is already disabled`);
      await tx.query("UPDATE tokens SET disabled_at = $2 WHERE id = $1", [row.id, this.deps.now()]);
    });
  }

  /** Enabling needs a new expiry (SPEC §4). */
  async enable(actor: Actor, meta: RequestMeta, input: EnableTokenInput): Promise<TokenInfo> {
    this.#issuer.checkLifetime(input.expiresInSeconds, "token");
    return this.#update(actor, meta, input.id, "token.enable", async (tx, row) => {
      if (row.disabled_at === null) throw invalidStatus(`token ${row.id} is not disabled`);
      if (row.kind === "exchanged") {
        throw invalidStatus(
          `token ${row.id} came from an OIDC exchange and lives at most an hour: exchange a new ID token instead`,
        );
      }
      if (row.owner_kind === "user") {
        const [owner] = await tx.query<{ status: string }>(
          "SELECT status FROM principals WHERE name = $1",
          [row.owner],
        );
        if (owner?.status !== "active")
          throw invalidStatus(`user ${row.owner} is disabled; enable the user first`);
      }
      await tx.query(
        "UPDATE tokens SET disabled_at = NULL, expires_at = $2, expiry_event_at = NULL WHERE id = $1",
        [row.id, addSeconds(this.deps.now(), input.expiresInSeconds)],
      );
    });
  }

  /**
   * The calling token ends itself (sign out; the Action's post step after an OIDC exchange).
   * Any token may: it only gives up its own rights. It is disabled, and purged with the others.
   */
  async revokeSelf(actor: Actor, meta: RequestMeta): Promise<{ id: string; revoked: true }> {
    const id = actor.tokenId;
    const isToken = id.startsWith("tok_");
    const resource = `${isToken ? "token" : "access-key"}:${id}`;
    return audited(this.deps, actor, meta, "token.revoke", resource, async (tx) => {
      if (!isToken) throw invalidRequest("only a token can revoke itself");
      await tx.query("UPDATE tokens SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL", [
        id,
        this.deps.now(),
      ]);
      return { result: { id, revoked: true as const } };
    });
  }

  remove(
    actor: Actor,
    meta: RequestMeta,
    input: TokenIdInput,
  ): Promise<{ id: string; deleted: true }> {
    return this.#issuer.remove(actor, meta, this.#table, input.id, "token.delete");
  }

  #update(
    actor: Actor,
    meta: RequestMeta,
    id: string,
    action: string,
    change: (tx: Queryable, row: TokenRow) => Promise<void>,
  ): Promise<TokenInfo> {
    return this.#issuer.update(actor, meta, this.#table, id, action, change);
  }

  readonly #table = {
    table: "tokens",
    columns:
      "id, name, hint, kind, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at",
    what: "token",
    resource: "token",
    kindOf: (row: TokenRow) => row.kind,
    toInfo: (row: TokenRow) => this.#info(row),
  } as const;

  #info(r: TokenRow): TokenInfo {
    const now = this.deps.now().getTime();
    return {
      id: r.id,
      name: r.name,
      hint: r.hint,
      kind: r.kind,
      ownerKind: r.owner_kind,
      owner: r.owner,
      scopes: r.scopes,
      createdAt: r.created_at.toISOString(),
      createdBy: r.created_by,
      expiresAt: r.expires_at.toISOString(),
      disabledAt: r.disabled_at?.toISOString() ?? null,
      status:
        r.disabled_at !== null ? "disabled" : r.expires_at.getTime() <= now ? "expired" : "active",
    };
  }
}
