/**
 * Tokens (SPEC §4). Personal tokens belong to their user; shared tokens are made by org admins
 * for a team or the org. Expiry is required and bounded; a token's scopes may not exceed what
 * its owner holds when it is made (and are intersected with it at every request). Managing
 * tokens needs a caller credential with the `*` scope, so a narrow token cannot mint a wide one.
 */
import {
  invalidRequest,
  invalidStatus,
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
import type { TokenKind, TokenRow } from "../stores/credential-store.js";
import type { Stores } from "../stores/stores.js";
import { ownerKind } from "./secret-lookup.js";

export { ALL_SCOPES } from "./credential-issuer.js";
export type { TokenKind } from "../stores/credential-store.js";

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

export class TokenService {
  readonly #issuer: CredentialIssuer;

  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "config" | "now">,
    private readonly stores: Pick<
      Stores,
      "credentials" | "principals" | "grants" | "audit" | "sessions"
    >,
  ) {
    this.#issuer = new CredentialIssuer(deps, stores);
  }

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: CreateTokenInput,
  ): Promise<{ id: string; token: string; expiresAt: string }> {
    return audited(this.deps, this.stores, actor, meta, "token.create", null, async (tx) => {
      const plan = await this.#issuer.plan(tx, actor, input, "token");
      const made = await this.stores.credentials.insertToken(tx, {
        ...plan,
        name: input.name,
        createdBy: actor.label,
      });
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
      if ((await ownerKind(this.stores.principals, this.deps.db, input.user)) !== "user")
        throw invalidRequest(`${input.user} is a team, not a user`);
      return this.#rows(input.user, false);
    }
    return this.#rows(self, input.user === undefined && can(actor, { kind: "org" }, "manage"));
  }

  async #rows(user: string | null, alsoShared: boolean): Promise<TokenInfo[]> {
    const rows = await this.stores.credentials.tokens(this.deps.db, user, alsoShared);
    return rows.map((r) => this.#info(r));
  }

  async disable(actor: Actor, meta: RequestMeta, input: TokenIdInput): Promise<TokenInfo> {
    return this.#update(actor, meta, input.id, "token.disable", async (tx, row) => {
      if (row.disabled_at !== null) throw invalidStatus(`token ${row.id} is already disabled`);
      await this.stores.credentials.disable(tx, "token", row.id, this.deps.now());
      // Its console sessions end with it (enabling it again does not bring them back).
      await this.stores.sessions.endAllOfToken(tx, row.id, this.deps.now());
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
        if ((await this.stores.principals.statusOf(tx, row.owner)) !== "active")
          throw invalidStatus(`user ${row.owner} is disabled; enable the user first`);
      }
      await this.stores.credentials.enableToken(
        tx,
        row.id,
        addSeconds(this.deps.now(), input.expiresInSeconds),
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
    return audited(this.deps, this.stores, actor, meta, "token.revoke", resource, async (tx) => {
      if (!isToken) throw invalidRequest("only a token can revoke itself");
      await this.stores.credentials.revokeToken(tx, id, this.deps.now());
      await this.stores.sessions.endAllOfToken(tx, id, this.deps.now());
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
