/**
 * The rotation store: rotators (`rotators`) and rotation policies (`rotation_policies`), the
 * only module that names these tables. No value is stored here: a rotator's config names
 * secrets by reference.
 */
import type {
  PostgresRotatorConfig,
  RandomSecretOptions,
  RotatorKind,
  WebhookRotatorConfig,
  WebhookRotatorMode,
} from "@coffer/core";
import type { Queryable } from "../db/database.js";
import { joinOwner } from "./principal-store.js";

/** A kind's settings; secrets named as `OWNER/NAME`. */
export type RotatorConfig =
  | Record<string, never>
  | PostgresRotatorConfig
  | (WebhookRotatorConfig & { signingSecret: string; mode: WebhookRotatorMode });

export interface RotatorRow {
  id: number;
  owner: string;
  owner_kind: "user" | "team";
  name: string;
  kind: RotatorKind;
  description: string;
  config: RotatorConfig;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

export interface NewRotator {
  owner: string;
  name: string;
  kind: RotatorKind;
  description: string;
  config: RotatorConfig;
  at: Date;
  by: string;
}

export interface PolicyRow {
  secret_id: number;
  rotator_id: number;
  /** `OWNER/NAME` of the rotator. */
  rotator_owner: string;
  rotator_name: string;
  every_ms: number | null;
  cron: string | null;
  window_ms: number;
  auto: boolean;
  targets: string[];
  generator: RandomSecretOptions;
  max_attempts: number;
  last_rotated_at: Date | null;
  next_due_at: Date;
  /** The last missed due time `rotation.missed` was raised for. */
  missed_due_at: Date | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

export interface PolicySettings {
  secretId: number;
  rotatorId: number;
  everyMs: number | null;
  cron: string | null;
  windowMs: number;
  auto: boolean;
  targets: readonly string[];
  generator: RandomSecretOptions;
  maxAttempts: number;
  lastRotatedAt: Date | null;
  nextDueAt: Date;
  at: Date;
  by: string;
}

const ROTATOR_COLUMNS = `r.id, r.owner, p.kind AS owner_kind, r.name, r.kind, r.description, r.config,
  r.created_at, r.created_by, r.updated_at, r.updated_by`;
const POLICY_COLUMNS = `rp.secret_id, rp.rotator_id, r.owner AS rotator_owner, r.name AS rotator_name,
  rp.every_ms, rp.cron, rp.window_ms, rp.auto, rp.targets, rp.generator, rp.max_attempts,
  rp.last_rotated_at, rp.next_due_at, rp.missed_due_at, rp.created_at, rp.created_by, rp.updated_at, rp.updated_by`;
const POLICY_FROM = "rotation_policies rp JOIN rotators r ON r.id = rp.rotator_id";

export const rotationStore = {
  /** The new rotator; undefined when its owner has one of that name. */
  async insertRotator(q: Queryable, r: NewRotator): Promise<RotatorRow | undefined> {
    const [row] = await q.query<RotatorRow>(
      `WITH made AS (
         INSERT INTO rotators (owner, name, kind, description, config, created_at, created_by, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7)
         ON CONFLICT (owner, name) DO NOTHING
         RETURNING *)
       SELECT ${ROTATOR_COLUMNS} FROM made r ${joinOwner("p", "r.owner")}`,
      [r.owner, r.name, r.kind, r.description, JSON.stringify(r.config), r.at, r.by],
    );
    return row;
  },

  /**
   * The rotator; with `lock`, `share` keeps it from being deleted until `q` ends (a policy is
   * being pointed at it) and `update` serialises with those (it is being deleted).
   */
  async rotator(
    q: Queryable,
    owner: string,
    name: string,
    lock?: "share" | "update",
  ): Promise<RotatorRow | undefined> {
    const [row] = await q.query<RotatorRow>(
      `SELECT ${ROTATOR_COLUMNS} FROM rotators r ${joinOwner("p", "r.owner")}
       WHERE r.owner = $1 AND r.name = $2${lock ? ` FOR ${lock.toUpperCase()} OF r` : ""}`,
      [owner, name],
    );
    return row;
  },

  /** The rotator a job runs with (it keeps its id when the policy moves to another). */
  async rotatorById(q: Queryable, id: number): Promise<RotatorRow | undefined> {
    const [row] = await q.query<RotatorRow>(
      `SELECT ${ROTATOR_COLUMNS} FROM rotators r ${joinOwner("p", "r.owner")} WHERE r.id = $1`,
      [id],
    );
    return row;
  },

  /** The owners that have rotators, by name, with their kind. */
  owners(q: Queryable): Promise<{ owner: string; owner_kind: "user" | "team" }[]> {
    return q.query<{ owner: string; owner_kind: "user" | "team" }>(
      `SELECT o.owner, p.kind AS owner_kind FROM (SELECT DISTINCT owner FROM rotators) o
       ${joinOwner("p", "o.owner")} ORDER BY o.owner`,
    );
  },

  /** A page of the rotators of `owners`, by (owner, name), after `after`. */
  page(
    q: Queryable,
    owners: readonly string[],
    after: readonly [string, string] | null,
    limit: number,
  ): Promise<RotatorRow[]> {
    return q.query<RotatorRow>(
      `SELECT ${ROTATOR_COLUMNS} FROM rotators r ${joinOwner("p", "r.owner")}
       WHERE r.owner = ANY($1::text[]) AND (r.owner, r.name) > ($2, $3)
       ORDER BY r.owner, r.name LIMIT $4`,
      [owners, after?.[0] ?? "", after?.[1] ?? "", limit],
    );
  },

  /** Rotators whose settings name `ref` (OWNER/NAME) as their admin secret or signing key. */
  rotatorsNaming(q: Queryable, ref: string): Promise<RotatorRow[]> {
    return q.query<RotatorRow>(
      `SELECT ${ROTATOR_COLUMNS} FROM rotators r ${joinOwner("p", "r.owner")}
       WHERE r.config->>'adminSecret' = $1 OR r.config->>'signingSecret' = $1
       ORDER BY r.owner, r.name`,
      [ref],
    );
  },

  async removeRotator(q: Queryable, id: number): Promise<void> {
    await q.query("DELETE FROM rotators WHERE id = $1", [id]);
  },

  /** The ids of the secrets whose policies use the rotator, at most `limit`. */
  async secretsUsing(q: Queryable, rotatorId: number, limit: number): Promise<number[]> {
    const rows = await q.query<{ secret_id: number }>(
      "SELECT secret_id FROM rotation_policies WHERE rotator_id = $1 ORDER BY secret_id LIMIT $2",
      [rotatorId, limit],
    );
    return rows.map((r) => r.secret_id);
  },

  async policy(q: Queryable, secretId: number): Promise<PolicyRow | undefined> {
    const [row] = await q.query<PolicyRow>(
      `SELECT ${POLICY_COLUMNS} FROM ${POLICY_FROM} WHERE rp.secret_id = $1`,
      [secretId],
    );
    return row;
  },

  /** Creates or replaces the secret's policy (keeping when and by whom it was first made). */
  async savePolicy(q: Queryable, p: PolicySettings): Promise<void> {
    await q.query(
      `INSERT INTO rotation_policies (secret_id, rotator_id, every_ms, cron, window_ms, auto, targets,
           generator, max_attempts, last_rotated_at, next_due_at, created_at, created_by, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9, $10, $11, $12, $13, $12, $13)
         ON CONFLICT (secret_id) DO UPDATE SET rotator_id = $2, every_ms = $3, cron = $4,
           window_ms = $5, auto = $6, targets = $7::text[], generator = $8, max_attempts = $9,
           last_rotated_at = $10, next_due_at = $11, updated_at = $12, updated_by = $13`,
      [
        p.secretId,
        p.rotatorId,
        p.everyMs,
        p.cron,
        p.windowMs,
        p.auto,
        [...p.targets],
        JSON.stringify(p.generator),
        p.maxAttempts,
        p.lastRotatedAt,
        p.nextDueAt,
        p.at,
        p.by,
      ],
    );
  },

  /** A rotation job promoted a new value at `at`: the policy's anchor moves on. */
  async markRotated(q: Queryable, secretId: number, at: Date, nextDueAt: Date): Promise<void> {
    await q.query(
      "UPDATE rotation_policies SET last_rotated_at = $2, next_due_at = $3 WHERE secret_id = $1",
      [secretId, at, nextDueAt],
    );
  },

  /** `rotation.missed` was raised for the window that opened at `missed`. */
  async markMissed(q: Queryable, secretId: number, missed: Date): Promise<void> {
    await q.query("UPDATE rotation_policies SET missed_due_at = $2 WHERE secret_id = $1", [
      secretId,
      missed,
    ]);
  },

  /** The stored due time moved to the true one (a manual new version moved the anchor). */
  async setNextDue(q: Queryable, secretId: number, nextDueAt: Date): Promise<void> {
    await q.query("UPDATE rotation_policies SET next_due_at = $2 WHERE secret_id = $1", [
      secretId,
      nextDueAt,
    ]);
  },

  /**
   * Automatic policies whose stored due time has come (at most `limit`, earliest first); the
   * stored time is never later than the true one, so the caller checks dueAt again.
   */
  dueSecretIds(q: Queryable, now: Date, limit: number): Promise<{ secret_id: number }[]> {
    return q.query<{ secret_id: number }>(
      `SELECT secret_id FROM rotation_policies WHERE auto AND next_due_at <= $1
       ORDER BY next_due_at, secret_id LIMIT $2`,
      [now, limit],
    );
  },

  async setAuto(q: Queryable, secretId: number, auto: boolean, at: Date, by: string) {
    await q.query(
      "UPDATE rotation_policies SET auto = $2, updated_at = $3, updated_by = $4 WHERE secret_id = $1",
      [secretId, auto, at, by],
    );
  },
};

export type RotationStore = typeof rotationStore;
