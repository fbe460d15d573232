/** Users, teams and members (SPEC §2). Org admins manage users and teams; team admins their members. */
import {
  invalidRequest,
  invalidStatus,
  notFound,
  type CreateUserInput,
  type MemberInput,
  type NameInput,
  type OrgRole,
  type TeamRole,
  type TokenScope,
} from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { addDays } from "../time.js";
import { audited } from "./audited.js";
import type { Stores } from "../stores/stores.js";
import { ALL_SCOPES } from "./credential-issuer.js";

const FIRST_TOKEN_DAYS = 30;

export interface UserInfo {
  name: string;
  orgRole: OrgRole;
  status: "active" | "disabled";
  teams: { team: string; role: TeamRole }[];
  createdAt: string;
}

export interface Whoami {
  org: string;
  kind: "user" | "team" | "org";
  name: string | null;
  orgRole: OrgRole | null;
  teams: { team: string; role: TeamRole }[];
  tokenId: string;
  scopes: TokenScope[];
}

export class PrincipalService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "config" | "now">,
    private readonly stores: Pick<Stores, "principals" | "credentials" | "audit" | "sessions">,
  ) {}

  whoami(actor: Actor): Whoami {
    const p = actor.principal;
    return {
      org: this.deps.org,
      kind: p.kind,
      name: p.kind === "org" ? null : p.name,
      orgRole: p.kind === "user" ? p.orgRole : null,
      teams: p.kind === "user" ? [...p.teams] : [],
      tokenId: actor.tokenId,
      scopes: [...actor.credential.scopes],
    };
  }

  /**
   * A new user comes with a first personal token (all it holds, 30 days or the maximum if
   * shorter), returned once for the admin to hand over: a user has no other way to sign in.
   */
  async createUser(
    actor: Actor,
    meta: RequestMeta,
    input: CreateUserInput,
  ): Promise<UserInfo & { token: string; tokenId: string; tokenExpiresAt: string }> {
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "user.create",
      `user:${input.name}`,
      async (tx) => {
        requireAccess(actor, { kind: "org" }, "manage");
        await this.#insertPrincipal(
          tx,
          input.name,
          "user",
          input.admin ? "admin" : "member",
          actor.label,
        );
        const days = Math.min(FIRST_TOKEN_DAYS, this.deps.config.maxTokenTtlDays);
        const expiresAt = addDays(this.deps.now(), days);
        const { id, token } = await this.stores.credentials.insertToken(tx, {
          kind: "personal",
          ownerKind: "user",
          owner: input.name,
          name: "first token",
          scopes: ALL_SCOPES,
          createdAt: this.deps.now(),
          expiresAt,
          createdBy: actor.label,
        });
        const user = (await this.#user(tx, input.name))!;
        return {
          result: { ...user, token, tokenId: id, tokenExpiresAt: expiresAt.toISOString() },
          details: { admin: input.admin === true, tokenId: id },
        };
      },
    );
  }

  async listUsers(actor: Actor): Promise<UserInfo[]> {
    requireAccess(actor, { kind: "org" }, "list");
    const names = await this.stores.principals.userNames(this.deps.db);
    const users = await Promise.all(names.map((n) => this.#user(this.deps.db, n)));
    return users.filter((u): u is UserInfo => u !== undefined);
  }

  /**
   * Disabling a user disables its tokens and access keys (SPEC §4) and ends its console sessions (§13); the last active admin
   * stays. Enabling a user does not enable them again: they were cut off for a reason (a user
   * leaving, a leaked token), so an admin issues a new token (`token.create` with `for`), or
   * enables one of them, each seen in the audit.
   */
  async setUserStatus(
    actor: Actor,
    meta: RequestMeta,
    input: NameInput,
    active: boolean,
  ): Promise<UserInfo> {
    const action = active ? "user.enable" : "user.disable";
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      action,
      `user:${input.name}`,
      async (tx) => {
        requireAccess(actor, { kind: "org" }, "manage");
        const user = await this.#user(tx, input.name, true);
        if (!user) throw notFound(`no user ${input.name}`);
        if (!active && user.orgRole === "admin") {
          // Lock every active admin: two admins disabling each other at once must not both pass.
          const admins = await this.stores.principals.lockActiveAdmins(tx);
          if (admins.filter((a) => a !== input.name).length === 0)
            throw invalidStatus(`${input.name} is the last active admin`);
        }
        await this.stores.principals.setStatus(tx, input.name, active ? "active" : "disabled");
        if (!active) {
          await this.stores.credentials.disableAllOfUser(tx, input.name, this.deps.now());
          await this.stores.sessions.endAllOfUser(tx, input.name, this.deps.now());
        }
        return { result: (await this.#user(tx, input.name))! };
      },
    );
  }

  async createTeam(actor: Actor, meta: RequestMeta, input: NameInput): Promise<{ name: string }> {
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "team.create",
      `team:${input.name}`,
      async (tx) => {
        requireAccess(actor, { kind: "org" }, "manage");
        await this.#insertPrincipal(tx, input.name, "team", null, actor.label);
        return { result: { name: input.name } };
      },
    );
  }

  async listTeams(actor: Actor): Promise<{ name: string; members: number }[]> {
    requireAccess(actor, { kind: "org" }, "list");
    return this.stores.principals.teams(this.deps.db);
  }

  async members(actor: Actor, input: NameInput): Promise<{ user: string; role: TeamRole }[]> {
    await this.#requireTeam(this.deps.db, input.name);
    requireAccess(actor, { kind: "team", name: input.name }, "list");
    return this.stores.principals.members(this.deps.db, input.name);
  }

  async addMember(
    actor: Actor,
    meta: RequestMeta,
    input: MemberInput,
  ): Promise<{ team: string; user: string; role: TeamRole }> {
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "team.add-member",
      `team:${input.team}`,
      async (tx) => {
        await this.#requireTeam(tx, input.team);
        requireAccess(actor, { kind: "team", name: input.team }, "manage");
        const user = await this.#user(tx, input.user);
        if (!user) throw notFound(`no user ${input.user}`);
        const role = input.role ?? "member";
        await this.stores.principals.addMember(tx, input.team, input.user, role);
        return {
          result: { team: input.team, user: input.user, role },
          details: { user: input.user, role },
        };
      },
    );
  }

  async removeMember(
    actor: Actor,
    meta: RequestMeta,
    input: MemberInput,
  ): Promise<{ team: string; user: string }> {
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "team.remove-member",
      `team:${input.team}`,
      async (tx) => {
        await this.#requireTeam(tx, input.team);
        requireAccess(actor, { kind: "team", name: input.team }, "manage");
        if (!(await this.stores.principals.removeMember(tx, input.team, input.user)))
          throw notFound(`${input.user} is not in team ${input.team}`);
        return { result: { team: input.team, user: input.user }, details: { user: input.user } };
      },
    );
  }

  async #insertPrincipal(
    tx: Queryable,
    name: string,
    kind: "user" | "team",
    role: OrgRole | null,
    by: string,
  ): Promise<void> {
    if (!(await this.stores.principals.insert(tx, name, kind, role, by)))
      throw invalidStatus(`the name ${name} is taken (users and teams share names)`);
  }

  async #requireTeam(q: Queryable, team: string): Promise<void> {
    const kind = await this.stores.principals.kindOf(q, team);
    if (!kind) throw notFound(`no team ${team}`);
    if (kind !== "team") throw invalidRequest(`${team} is a user, not a team`);
  }

  async #user(q: Queryable, name: string, lock = false): Promise<UserInfo | undefined> {
    const row = await this.stores.principals.user(q, name, lock);
    if (!row) return undefined;
    const teams = await this.stores.principals.teamsOf(q, name);
    return {
      name: row.name,
      orgRole: row.org_role,
      status: row.status,
      teams,
      createdAt: row.created_at.toISOString(),
    };
  }
}
