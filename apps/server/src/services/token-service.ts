/**
 * Tokens (SPEC §4). Personal tokens belong to their user; shared tokens are made by org admins
 * for a team or the org. Expiry is required and bounded; a token's scopes may not exceed what
 * its owner holds when it is made (and are intersected with it at every request). Managing
 * tokens needs a caller credential with the `*` scope, so a narrow token cannot mint a wide one.
 */
import {
  BASE62,
  forbidden,
  invalidRequest,
  invalidStatus,
  mintToken,
  notFound,
  randomString,
  scopeIsWithinHeld,
  type CreateTokenInput,
  type EnableTokenInput,
  type Grant,
  type Principal,
  type Resource,
  type TokenIdInput,
  type TokenScope,
} from "@coffer/core";
import { can, requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { addSeconds } from "../time.js";
import { audited } from "./audited.js";
import { ownerKind } from "./secret-lookup.js";

export const ALL_SCOPES: TokenScope[] = [{ resource: "*", level: "manage" }];

export interface TokenInfo {
  id: string;
  name: string;
  hint: string;
  kind: "personal" | "shared";
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
  kind: "personal" | "shared";
  owner_kind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  created_at: Date;
  created_by: string;
  expires_at: Date;
  disabled_at: Date | null;
}

export interface NewToken {
  kind: "personal" | "shared";
  ownerKind: "user" | "team" | "org";
  owner: string | null;
  name: string;
  scopes: TokenScope[];
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
    `INSERT INTO tokens (id, hash, hint, name, kind, owner_kind, owner, scopes, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
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
    ],
  );
  return { id, token: minted.token };
}

export class TokenService {
  constructor(private readonly deps: Deps) {}

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: CreateTokenInput,
  ): Promise<{ id: string; token: string; expiresAt: string }> {
    this.#requireFullCredential(actor);
    const maxSeconds = this.deps.config.maxTokenTtlDays * 86_400;
    if (input.expiresInSeconds > maxSeconds) {
      throw invalidRequest(`a token lives at most ${this.deps.config.maxTokenTtlDays} days`);
    }
    const scopes = input.scopes ?? ALL_SCOPES;
    const expiresAt = addSeconds(this.deps.now(), input.expiresInSeconds);
    let result: { id: string; token: string } | undefined;
    await audited(this.deps, actor, meta, "token.create", null, async (tx) => {
      const owner = await this.#owner(tx, actor, input);
      for (const scope of scopes) {
        const target = await this.#scopeResource(tx, scope);
        if (!scopeIsWithinHeld(owner.principal, scope, target, owner.grants)) {
          throw forbidden(
            `scope ${scope.level} on ${scope.resource} is more than the token's owner holds`,
            {
              scope,
            },
          );
        }
      }
      result = await insertToken(tx, {
        kind: input.shared ? "shared" : "personal",
        ownerKind: owner.principal.kind,
        owner: owner.principal.kind === "org" ? null : owner.principal.name,
        name: input.name,
        scopes,
        expiresAt,
        createdBy: actor.label,
      });
      return {
        result: undefined,
        resource: `token:${result.id}`,
        details: { name: input.name, scopes: scopes.length },
      };
    });
    return { ...result!, expiresAt: expiresAt.toISOString() };
  }

  async list(actor: Actor): Promise<TokenInfo[]> {
    this.#requireFullCredential(actor);
    const admin = can(actor, { kind: "org" }, "manage");
    const self = actor.principal.kind === "user" ? actor.principal.name : null;
    const rows = await this.deps.db.query<TokenRow>(
      `SELECT id, name, hint, kind, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at
       FROM tokens WHERE (kind = 'personal' AND owner = $1) OR (kind = 'shared' AND $2)
       ORDER BY created_at, id`,
      [self, admin],
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
    if (input.expiresInSeconds > this.deps.config.maxTokenTtlDays * 86_400) {
      throw invalidRequest(`a token lives at most ${this.deps.config.maxTokenTtlDays} days`);
    }
    return this.#update(actor, meta, input.id, "token.enable", async (tx, row) => {
      if (row.disabled_at === null) throw invalidStatus(`token ${row.id} is not disabled`);
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

  async remove(
    actor: Actor,
    meta: RequestMeta,
    input: TokenIdInput,
  ): Promise<{ id: string; deleted: true }> {
    await this.#update(actor, meta, input.id, "token.delete", async (tx, row) => {
      await tx.query("DELETE FROM tokens WHERE id = $1", [row.id]);
    });
    return { id: input.id, deleted: true };
  }

  async #update(
    actor: Actor,
    meta: RequestMeta,
    id: string,
    action: string,
    change: (tx: Queryable, row: TokenRow) => Promise<void>,
  ): Promise<TokenInfo> {
    this.#requireFullCredential(actor);
    return audited(this.deps, actor, meta, action, `token:${id}`, async (tx) => {
      const [row] = await tx.query<TokenRow>(
        `SELECT id, name, hint, kind, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at
         FROM tokens WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const mine =
        row?.kind === "personal" &&
        actor.principal.kind === "user" &&
        row.owner === actor.principal.name;
      const adminOfShared = row?.kind === "shared" && can(actor, { kind: "org" }, "manage");
      if (!row || !(mine || adminOfShared)) throw notFound(`no token ${id} of yours`);
      await change(tx, row);
      const [after] = await tx.query<TokenRow>(
        `SELECT id, name, hint, kind, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at
         FROM tokens WHERE id = $1`,
        [id],
      );
      return { result: after ? this.#info(after) : this.#info(row) };
    });
  }

  #requireFullCredential(actor: Actor): void {
    if (!actor.credential.scopes.some((s) => s.resource === "*")) {
      throw forbidden("managing tokens needs a token with the * scope");
    }
  }

  async #owner(
    tx: Queryable,
    actor: Actor,
    input: CreateTokenInput,
  ): Promise<{ principal: Principal; grants: readonly Grant[] }> {
    if (!input.shared) {
      if (actor.principal.kind !== "user") {
        throw invalidRequest(
          "a personal token belongs to a user; this caller is not one (make a shared token)",
        );
      }
      return { principal: actor.principal, grants: actor.grants };
    }
    requireAccess(actor, { kind: "org" }, "manage");
    const team = input.shared.owner;
    if (team === undefined) return { principal: { kind: "org" }, grants: [] };
    if ((await ownerKind(tx, team)) !== "team")
      throw invalidRequest(`${team} is a user, not a team`);
    const grants = await tx.query<Grant>(
      "SELECT subject, resource, level FROM grants WHERE subject = $1",
      [team],
    );
    return { principal: { kind: "team", name: team }, grants };
  }

  /** The resource a scope names, with its owner's kind looked up; null for `*`. */
  async #scopeResource(tx: Queryable, scope: TokenScope): Promise<Resource | null> {
    if (scope.resource === "*") return null;
    const [, , org, owner, name] = scope.resource.split("/");
    if (org !== this.deps.org) throw invalidRequest(`scope ${scope.resource} names another org`);
    const kind = await ownerKind(tx, owner!);
    return { kind: "secret", org, owner: { kind, name: owner! }, name: name! };
  }

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
