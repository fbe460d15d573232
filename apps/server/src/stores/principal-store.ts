/**
 * The principal store: users and teams (`principals`), team membership (`team_members`) and
 * sharing (`grants`). The only module that names these tables; other stores that need an
 * owner's kind or rights in the same statement use its SQL fragments (joinOwner, ownerRights).
 */
import type { Grant, Level, Membership, OrgRole, TeamRole, UserStatus } from "@coffer/core";
import type { Queryable } from "../db/database.js";

export interface UserRow {
  name: string;
  org_role: OrgRole;
  status: "active" | "disabled";
  created_at: Date;
}

export interface GrantRow {
  subject: string;
  resource: string;
  level: Level;
  created_at: Date;
  created_by: string;
}

/** For another store's query: joins the principal named by `ownerColumn` as `alias`. */
export const joinOwner = (alias: string, ownerColumn: string, left = false): string =>
  `${left ? "LEFT " : ""}JOIN principals ${alias} ON ${alias}.name = ${ownerColumn}`;

/**
 * For another store's query: the teams (`teams`) of the principal named by `ownerColumn` and
 * the grants that apply to it (`grants`: its own and its teams'), as JSON arrays.
 */
export const ownerRights = (ownerColumn: string): string => `
    COALESCE((SELECT json_agg(json_build_object('team', m.team, 'role', m.role))
              FROM team_members m WHERE m.member = ${ownerColumn}), '[]'::json) AS teams,
    COALESCE((SELECT json_agg(json_build_object('subject', g.subject, 'resource', g.resource, 'level', g.level))
              FROM grants g
              WHERE g.subject = ${ownerColumn}
                 OR g.subject IN (SELECT m.team FROM team_members m WHERE m.member = ${ownerColumn})), '[]'::json) AS grants`;

export const principalStore = {
  async kindOf(q: Queryable, name: string): Promise<"user" | "team" | undefined> {
    const [row] = await q.query<{ kind: "user" | "team" }>(
      "SELECT kind FROM principals WHERE name = $1",
      [name],
    );
    return row?.kind;
  },

  async exists(q: Queryable, name: string): Promise<boolean> {
    const [row] = await q.query("SELECT 1 FROM principals WHERE name = $1", [name]);
    return row !== undefined;
  },

  async statusOf(q: Queryable, name: string | null): Promise<string | undefined> {
    const [row] = await q.query<{ status: string }>(
      "SELECT status FROM principals WHERE name = $1",
      [name],
    );
    return row?.status;
  },

  /** False when the name is taken (users and teams share names). */
  async insert(
    q: Queryable,
    name: string,
    kind: "user" | "team",
    role: OrgRole | null,
    by: string,
  ): Promise<boolean> {
    const inserted = await q.query(
      `INSERT INTO principals (name, kind, org_role, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [name, kind, role, by],
    );
    return inserted.length > 0;
  },

  /** The first admin, at bootstrap. */
  async insertAdmin(q: Queryable, name: string): Promise<void> {
    await q.query(
      "INSERT INTO principals (name, kind, org_role, created_by) VALUES ($1, 'user', 'admin', 'bootstrap')",
      [name],
    );
  },

  async user(q: Queryable, name: string, lock = false): Promise<UserRow | undefined> {
    const [row] = await q.query<UserRow>(
      `SELECT name, org_role, status, created_at FROM principals WHERE name = $1 AND kind = 'user'${lock ? " FOR UPDATE" : ""}`,
      [name],
    );
    return row;
  },

  async userNames(q: Queryable): Promise<string[]> {
    const rows = await q.query<{ name: string }>(
      "SELECT name FROM principals WHERE kind = 'user' ORDER BY name",
    );
    return rows.map((r) => r.name);
  },

  /** Every active admin, locked (two admins disabling each other at once must not both pass). */
  async lockActiveAdmins(q: Queryable): Promise<string[]> {
    const rows = await q.query<{ name: string }>(
      "SELECT name FROM principals WHERE kind = 'user' AND org_role = 'admin' AND status = 'active' ORDER BY name FOR UPDATE",
    );
    return rows.map((r) => r.name);
  },

  async setStatus(q: Queryable, name: string, status: "active" | "disabled"): Promise<void> {
    await q.query("UPDATE principals SET status = $2 WHERE name = $1", [name, status]);
  },

  /** A principal for a credential made in its name: held against changes until commit. */
  async shareLocked(
    q: Queryable,
    name: string,
  ): Promise<{ kind: string; org_role: OrgRole; status: UserStatus } | undefined> {
    const [row] = await q.query<{ kind: string; org_role: OrgRole; status: UserStatus }>(
      "SELECT kind, org_role, status FROM principals WHERE name = $1 FOR SHARE",
      [name],
    );
    return row;
  },

  /** Break-glass: the principal locked for update. */
  async updateLocked(
    q: Queryable,
    name: string,
  ): Promise<{ kind: string; org_role: string | null; status: string } | undefined> {
    const [row] = await q.query<{ kind: string; org_role: string | null; status: string }>(
      "SELECT kind, org_role, status FROM principals WHERE name = $1 FOR UPDATE",
      [name],
    );
    return row;
  },

  /** Break-glass: enables a user. */
  async activate(q: Queryable, name: string): Promise<void> {
    await q.query("UPDATE principals SET status = 'active' WHERE name = $1", [name]);
  },

  async teamNames(q: Queryable): Promise<string[]> {
    const rows = await q.query<{ name: string }>("SELECT name FROM principals WHERE kind = 'team'");
    return rows.map((r) => r.name);
  },

  teams(q: Queryable): Promise<{ name: string; members: number }[]> {
    return q.query<{ name: string; members: number }>(
      `SELECT p.name, (SELECT count(*)::int FROM team_members m WHERE m.team = p.name) AS members
       FROM principals p WHERE p.kind = 'team' ORDER BY p.name`,
    );
  },

  /** A user's teams, ordered by team. */
  teamsOf(q: Queryable, member: string): Promise<{ team: string; role: TeamRole }[]> {
    return q.query<{ team: string; role: TeamRole }>(
      "SELECT team, role FROM team_members WHERE member = $1 ORDER BY team",
      [member],
    );
  },

  /** A user's memberships as at authentication (unordered). */
  memberships(q: Queryable, member: string): Promise<Membership[]> {
    return q.query<Membership>("SELECT team, role FROM team_members WHERE member = $1", [member]);
  },

  members(q: Queryable, team: string): Promise<{ user: string; role: TeamRole }[]> {
    return q.query<{ user: string; role: TeamRole }>(
      "SELECT member AS user, role FROM team_members WHERE team = $1 ORDER BY member",
      [team],
    );
  },

  async addMember(q: Queryable, team: string, user: string, role: TeamRole): Promise<void> {
    await q.query(
      `INSERT INTO team_members (team, member, role) VALUES ($1, $2, $3)
       ON CONFLICT (team, member) DO UPDATE SET role = EXCLUDED.role`,
      [team, user, role],
    );
  },

  /** False when the user was not in the team. */
  async removeMember(q: Queryable, team: string, user: string): Promise<boolean> {
    const removed = await q.query(
      "DELETE FROM team_members WHERE team = $1 AND member = $2 RETURNING member",
      [team, user],
    );
    return removed.length > 0;
  },
};

export type PrincipalStore = typeof principalStore;

/** Grants (SPEC §3): a level for a user or team on one secret or every secret of an owner. */
export const grantStore = {
  grantsTo(q: Queryable, subject: string): Promise<Grant[]> {
    return q.query<Grant>("SELECT subject, resource, level FROM grants WHERE subject = $1", [
      subject,
    ]);
  },

  /** The grants to a user and to its teams. */
  grantsToUser(q: Queryable, user: string, teams: readonly string[]): Promise<Grant[]> {
    return q.query<Grant>(
      "SELECT subject, resource, level FROM grants WHERE subject = $1 OR subject = ANY($2)",
      [user, teams],
    );
  },

  /** Grants (or changes the level of) a grant; returns when and by whom it was first made. */
  async share(
    q: Queryable,
    subject: string,
    resource: string,
    level: Level,
    by: string,
  ): Promise<{ created_at: Date; created_by: string }> {
    const [row] = await q.query<{ created_at: Date; created_by: string }>(
      `INSERT INTO grants (subject, resource, level, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subject, resource) DO UPDATE SET level = EXCLUDED.level
       RETURNING created_at, created_by`,
      [subject, resource, level, by],
    );
    return row!;
  },

  /** False when there was no such grant. */
  async unshare(q: Queryable, subject: string, resource: string): Promise<boolean> {
    const removed = await q.query(
      "DELETE FROM grants WHERE subject = $1 AND resource = $2 RETURNING id",
      [subject, resource],
    );
    return removed.length > 0;
  },

  /** Grants made by `by`, (with `subjects`) made to any of them, or on any of `resources`. */
  list(
    q: Queryable,
    filter:
      { createdBy: string } | { subjects: readonly string[] } | { resources: readonly string[] },
  ): Promise<GrantRow[]> {
    const [where, param] =
      "createdBy" in filter
        ? ["created_by = $1", filter.createdBy]
        : "subjects" in filter
          ? ["subject = ANY($1)", filter.subjects]
          : ["resource = ANY($1)", filter.resources];
    return q.query<GrantRow>(
      `SELECT subject, resource, level, created_at, created_by FROM grants
       WHERE ${where} ORDER BY resource, subject`,
      [param],
    );
  },

  /** The grants that name these resources exactly (a secret leaving storage: secret-store.ts). */
  async removeOn(q: Queryable, resources: readonly string[]): Promise<void> {
    await q.query("DELETE FROM grants WHERE resource = ANY($1)", [resources]);
  },
};

export type GrantStore = typeof grantStore;
