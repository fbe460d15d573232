/**
 * What tokens and access keys share when they are made and managed (SPEC §3–§4): who may own
 * one (a user its personal ones; org admins shared ones for a team or the org), a required and
 * bounded lifetime, scopes never more than the owner holds when made, and a caller credential
 * with the `*` scope (so a narrow credential cannot mint a wide one).
 */
import {
  forbidden,
  invalidRequest,
  invalidStatus,
  notFound,
  scopeIsWithinHeld,
  type Grant,
  type Principal,
  type Resource,
  type TokenScope,
} from "@coffer/core";
import {
  can,
  canAdministerUsers,
  requireAccess,
  requireFullScope,
  requireUserAdministration,
} from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { addSeconds } from "../time.js";
import { audited } from "./audited.js";
import type { CredentialKind } from "../stores/credential-store.js";
import type { Stores } from "../stores/stores.js";
import { ownerKind } from "./secret-lookup.js";

export const ALL_SCOPES: TokenScope[] = [{ resource: "*", level: "manage" }];

export interface CredentialRequest {
  expiresInSeconds: number;
  scopes?: TokenScope[];
  shared?: { owner?: string };
  /** A personal credential for this user, issued by an org admin. */
  for?: string;
}

/** How a kind of credential is stored and shown, for CredentialIssuer.update. */
export interface CredentialTable<Row, Info> {
  /** `token`, `access key`: in messages. */
  what: string;
  /** `token`, `access-key`: in audit resources, and the kind the credential store keeps. */
  resource: CredentialKind;
  kindOf(row: Row): "personal" | "shared" | "exchanged";
  toInfo(row: Row): Info;
}

export interface CredentialOwner {
  principal: Principal;
  grants: readonly Grant[];
}

export interface CredentialPlan {
  kind: "personal" | "shared";
  ownerKind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  createdAt: Date;
  expiresAt: Date;
}

export class CredentialIssuer {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "config" | "now">,
    private readonly stores: Pick<Stores, "credentials" | "principals" | "grants" | "audit">,
  ) {}

  /**
   * Making or changing credentials needs `*` at `manage`: anything less could mint a token
   * wider than itself (a new token's scopes are checked against its owner, and the caller's
   * `* manage` is what makes them within the caller's own too).
   */
  requireFullCredential(actor: Actor, what: string): void {
    requireFullScope(actor, `managing ${what}s`, "manage");
  }

  checkLifetime(seconds: number, what: string): void {
    if (seconds > this.deps.config.maxTokenTtlDays * 86_400) {
      throw invalidRequest(`a ${what} lives at most ${this.deps.config.maxTokenTtlDays} days`);
    }
  }

  /** Checks everything about a new credential and says what to store. */
  async plan(
    tx: Queryable,
    actor: Actor,
    request: CredentialRequest,
    what: string,
  ): Promise<CredentialPlan> {
    this.requireFullCredential(actor, what);
    this.checkLifetime(request.expiresInSeconds, what);
    if (request.shared && request.for !== undefined)
      throw invalidRequest(`a ${what} is shared or for a user, not both`);
    const self = actor.principal.kind === "user" && request.for === actor.principal.name;
    const owner = request.shared
      ? await this.sharedOwner(tx, actor, request.shared.owner)
      : request.for !== undefined && !self
        ? await this.userOwner(tx, actor, request.for, what)
        : this.#personalOwner(actor, what);
    const scopes = request.scopes ?? ALL_SCOPES;
    await this.checkScopes(tx, owner, scopes, what);
    const now = this.deps.now();
    return {
      kind: request.shared ? "shared" : "personal",
      ownerKind: owner.principal.kind,
      owner: owner.principal.kind === "org" ? null : owner.principal.name,
      scopes,
      createdAt: now,
      expiresAt: addSeconds(now, request.expiresInSeconds),
    };
  }

  /** Each scope must be within what the owner holds (SPEC §3). */
  async checkScopes(
    tx: Queryable,
    owner: CredentialOwner,
    scopes: readonly TokenScope[],
    what: string,
  ): Promise<void> {
    for (const scope of scopes) {
      const target = await this.#scopeResource(tx, scope);
      if (!scopeIsWithinHeld(owner.principal, scope, target, owner.grants)) {
        throw forbidden(
          `scope ${scope.level} on ${scope.resource} is more than the ${what}'s owner holds`,
          { scope },
        );
      }
    }
  }

  /** The owner of a shared credential (org admins only): a team, or without one the org. */
  async sharedOwner(
    tx: Queryable,
    actor: Actor,
    team: string | undefined,
  ): Promise<CredentialOwner> {
    requireAccess(actor, { kind: "org" }, "manage");
    if (team === undefined) return { principal: { kind: "org" }, grants: [] };
    if ((await ownerKind(this.stores.principals, tx, team)) !== "team")
      throw invalidRequest(`${team} is a user, not a team`);
    const grants = await this.stores.grants.grantsTo(tx, team);
    return { principal: { kind: "team", name: team }, grants };
  }

  /**
   * The owner of a personal credential an org admin issues for a user (recovery: a user whose
   * tokens are all expired or disabled has no other way back). The user must be active; its
   * rights are read as at authentication (its teams and the grants to it and them).
   */
  async userOwner(
    tx: Queryable,
    actor: Actor,
    user: string,
    what: string,
  ): Promise<CredentialOwner> {
    requireUserAdministration(actor, `issuing a ${what} for a user`);
    const row = await this.stores.principals.shareLocked(tx, user);
    if (!row) throw notFound(`no user ${user}`);
    if (row.kind !== "user") throw invalidRequest(`${user} is a team: make a shared ${what}`);
    if (row.status !== "active")
      throw invalidStatus(`user ${user} is disabled; enable the user first`);
    const teams = await this.stores.principals.memberships(tx, user);
    const grants = await this.stores.grants.grantsToUser(
      tx,
      user,
      teams.map((t) => t.team),
    );
    return {
      principal: { kind: "user", name: user, orgRole: row.org_role, status: row.status, teams },
      grants,
    };
  }

  /**
   * Its user manages a personal credential, and so do org admins (recovery: list, disable,
   * delete, enable); org admins manage the others (shared, exchanged).
   */
  mayManage(
    actor: Actor,
    row: { kind: "personal" | "shared" | "exchanged"; owner: string | null },
  ): boolean {
    if (row.kind === "personal") {
      const self = actor.principal.kind === "user" && row.owner === actor.principal.name;
      return self || canAdministerUsers(actor);
    }
    return can(actor, { kind: "org" }, "manage");
  }

  /**
   * Changes one credential the caller may manage, in one audited transaction: the row is
   * locked, its ownership checked (someone else's reads as not found), changed, and read back.
   */
  async update<Row extends { owner: string | null }, Info>(
    actor: Actor,
    meta: RequestMeta,
    credential: CredentialTable<Row, Info>,
    id: string,
    action: string,
    change: (tx: Queryable, row: Row) => Promise<void>,
  ): Promise<Info> {
    this.requireFullCredential(actor, credential.what);
    const { credentials } = this.stores;
    const resource = `${credential.resource}:${id}`;
    return audited(this.deps, this.stores, actor, meta, action, resource, async (tx) => {
      const row = await credentials.credential<Row>(tx, credential.resource, id, true);
      if (!row || !this.mayManage(actor, { kind: credential.kindOf(row), owner: row.owner })) {
        throw notFound(`no ${credential.what} ${id} of yours`);
      }
      await change(tx, row);
      const after = await credentials.credential<Row>(tx, credential.resource, id);
      return { result: credential.toInfo(after ?? row) };
    });
  }

  /** Deletes a credential the caller may manage, audited. */
  async remove<Row extends { owner: string | null }, Info>(
    actor: Actor,
    meta: RequestMeta,
    credential: CredentialTable<Row, Info>,
    id: string,
    action: string,
  ): Promise<{ id: string; deleted: true }> {
    await this.update(actor, meta, credential, id, action, async (tx) => {
      await this.stores.credentials.remove(tx, credential.resource, id);
    });
    return { id, deleted: true };
  }

  #personalOwner(actor: Actor, what: string): CredentialOwner {
    if (actor.principal.kind !== "user") {
      throw invalidRequest(
        `a personal ${what} belongs to a user; this caller is not one (make a shared one)`,
      );
    }
    return { principal: actor.principal, grants: actor.grants };
  }

  /** The resource a scope names, with its owner's kind looked up; null for `*`. */
  async #scopeResource(tx: Queryable, scope: TokenScope): Promise<Resource | null> {
    if (scope.resource === "*") return null;
    const [, , org, owner, name] = scope.resource.split("/");
    if (org !== this.deps.org) throw invalidRequest(`scope ${scope.resource} names another org`);
    const kind = await ownerKind(this.stores.principals, tx, owner!);
    return { kind: "secret", org, owner: { kind, name: owner! }, name: name! };
  }
}
