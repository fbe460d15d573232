/**
 * The hook store: hooks (`hooks`) and automations (`automations`), the only module that names
 * these tables (SPEC §12). No value is stored here: templates name secrets by reference.
 */
import type { HookEventType } from "@coffer/core";
import type { Queryable } from "../db/database.js";
import { joinOwner } from "./principal-store.js";

export type HookDisabledReason = "gone" | "failing" | "manual";

export interface HookRow {
  id: number;
  owner: string;
  owner_kind: "user" | "team";
  name: string;
  description: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  allow_secrets: string[];
  /** The secrets its templates name, as OWNER/NAME. */
  secret_refs: string[];
  /** OWNER/NAME of the secret holding the signing key. */
  signing_secret: string;
  enabled: boolean;
  disabled_reason: HookDisabledReason | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

/** What create and update write. */
export interface HookSettings {
  description: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  allowSecrets: readonly string[];
  secretRefs: readonly string[];
  signingSecret: string;
  enabled: boolean;
  at: Date;
  by: string;
}

export interface AutomationRow {
  id: number;
  owner: string;
  owner_kind: "user" | "team";
  name: string;
  description: string;
  events: HookEventType[];
  match: string;
  hook_id: number;
  hook_owner: string;
  hook_name: string;
  created_at: Date;
  created_by: string;
}

/** An automation an event may fire, with what the dispatcher needs of its hook. */
export interface FiringAutomation {
  id: number;
  /** It hears the outbox's events after this sequence number only. */
  after_seq: number;
  owner: string;
  owner_kind: "user" | "team";
  match: string;
  hook_id: number;
}

/**
 * The outbox's position now: the last sequence number it gave out (0 before the first); an
 * automation hears the events after it. (Its sequence, not its table: delivery-store.ts owns
 * that and imports from here, so the dependency goes one way.)
 */
const OUTBOX_POSITION =
  "(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM hook_outbox_seq_seq)";

/** For another store's statement: whether any automation exists (anything may hear events). */
export const ANY_AUTOMATION = "EXISTS (SELECT 1 FROM automations)";

/** For another store's statement: `JOIN hooks <alias> ON <alias>.id = <on>`. */
export const joinHook = (alias: string, on: string): string =>
  `JOIN hooks ${alias} ON ${alias}.id = ${on}`;

const HOOK_COLUMNS = `h.id, h.owner, p.kind AS owner_kind, h.name, h.description, h.url, h.headers,
  h.body, h.allow_secrets, h.secret_refs, h.signing_secret, h.enabled, h.disabled_reason,
  h.disabled_at, h.failing_since, h.created_at, h.created_by, h.updated_at, h.updated_by`;
const AUTOMATION_COLUMNS = `a.id, a.owner, p.kind AS owner_kind, a.name, a.description, a.events,
  a.match, a.hook_id, h.owner AS hook_owner, h.name AS hook_name, a.created_at, a.created_by`;
const AUTOMATION_FROM = `automations a JOIN hooks h ON h.id = a.hook_id ${joinOwner("p", "a.owner")}`;

type OwnerKind = { owner: string; owner_kind: "user" | "team" };

export const hookStore = {
  /** The new hook; undefined when its owner has one of that name. */
  async insertHook(
    q: Queryable,
    owner: string,
    name: string,
    s: HookSettings,
  ): Promise<HookRow | undefined> {
    const [row] = await q.query<HookRow>(
      `WITH made AS (
         INSERT INTO hooks (owner, name, description, url, headers, body, allow_secrets, secret_refs,
             signing_secret, enabled, disabled_at, disabled_reason, created_at, created_by, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::text[], $9, true, NULL, NULL, $10, $11, $10, $11)
         ON CONFLICT (owner, name) DO NOTHING
         RETURNING *)
       SELECT ${HOOK_COLUMNS} FROM made h ${joinOwner("p", "h.owner")}`,
      [owner, name, ...settingColumns(s)],
    );
    return row;
  },

  /** Rewrites a hook's settings; a re-enabled hook starts with no failure behind it. */
  async updateHook(q: Queryable, id: number, s: HookSettings): Promise<void> {
    await q.query(
      `UPDATE hooks SET description = $2, url = $3, headers = $4, body = $5, allow_secrets = $6::text[],
           secret_refs = $7::text[], signing_secret = $8, updated_at = $9, updated_by = $10,
           enabled = $11,
           disabled_at = CASE WHEN $11 THEN NULL ELSE coalesce(disabled_at, $9) END,
           disabled_reason = CASE WHEN $11 THEN NULL ELSE coalesce(disabled_reason, 'manual') END,
           failing_since = CASE WHEN $11 AND NOT enabled THEN NULL ELSE failing_since END
         WHERE id = $1`,
      [id, ...settingColumns(s), s.enabled],
    );
  },

  /** The hook; `update` locks it until `q` ends (it is being changed or deleted). */
  async hook(
    q: Queryable,
    owner: string,
    name: string,
    lock?: "share" | "update",
  ): Promise<HookRow | undefined> {
    const [row] = await q.query<HookRow>(
      `SELECT ${HOOK_COLUMNS} FROM hooks h ${joinOwner("p", "h.owner")}
       WHERE h.owner = $1 AND h.name = $2${lock ? ` FOR ${lock.toUpperCase()} OF h` : ""}`,
      [owner, name],
    );
    return row;
  },

  hooksByIds(q: Queryable, ids: readonly number[]): Promise<HookRow[]> {
    return q.query<HookRow>(
      `SELECT ${HOOK_COLUMNS} FROM hooks h ${joinOwner("p", "h.owner")} WHERE h.id = ANY($1::bigint[])`,
      [[...ids]],
    );
  },

  async hookById(q: Queryable, id: number, lock = false): Promise<HookRow | undefined> {
    const [row] = await q.query<HookRow>(
      `SELECT ${HOOK_COLUMNS} FROM hooks h ${joinOwner("p", "h.owner")} WHERE h.id = $1${lock ? " FOR UPDATE OF h" : ""}`,
      [id],
    );
    return row;
  },

  /** The owners that have hooks (or automations), by name, with their kind. */
  owners(q: Queryable, of: "hooks" | "automations"): Promise<OwnerKind[]> {
    const distinct =
      of === "hooks"
        ? "SELECT DISTINCT owner FROM hooks"
        : "SELECT DISTINCT owner FROM automations";
    return q.query<OwnerKind>(
      `SELECT o.owner, p.kind AS owner_kind FROM (${distinct}) o ${joinOwner("p", "o.owner")} ORDER BY o.owner`,
    );
  },

  /** A page of the hooks of `owners`, by (owner, name), after `after`. */
  hookPage(
    q: Queryable,
    owners: readonly string[],
    after: readonly [string, string] | null,
    limit: number,
  ): Promise<HookRow[]> {
    return q.query<HookRow>(
      `SELECT ${HOOK_COLUMNS} FROM hooks h ${joinOwner("p", "h.owner")}
       WHERE h.owner = ANY($1::text[]) AND (h.owner, h.name) > ($2, $3)
       ORDER BY h.owner, h.name LIMIT $4`,
      [owners, after?.[0] ?? "", after?.[1] ?? "", limit],
    );
  },

  async hookIds(q: Queryable, owners: readonly string[]): Promise<number[]> {
    const rows = await q.query<{ id: number }>(
      "SELECT id FROM hooks WHERE owner = ANY($1::text[])",
      [[...owners]],
    );
    return rows.map((r) => Number(r.id));
  },

  async removeHook(q: Queryable, id: number): Promise<void> {
    await q.query("DELETE FROM hooks WHERE id = $1", [id]);
  },

  /**
   * Records a failed attempt's time on the hook (the start of a failing run, kept until a
   * success); returns since when it has been failing.
   */
  async failed(q: Queryable, id: number, at: Date): Promise<Date> {
    const [row] = await q.query<{ failing_since: Date }>(
      "UPDATE hooks SET failing_since = coalesce(failing_since, $2) WHERE id = $1 RETURNING failing_since",
      [id, at],
    );
    return row?.failing_since ?? at;
  },

  async succeeded(q: Queryable, id: number): Promise<void> {
    await q.query(
      "UPDATE hooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
      [id],
    );
  },

  /** Disables an enabled hook; false when it was disabled already. */
  async disable(q: Queryable, id: number, reason: HookDisabledReason, at: Date): Promise<boolean> {
    const rows = await q.query(
      "UPDATE hooks SET enabled = false, disabled_reason = $2, disabled_at = $3 WHERE id = $1 AND enabled RETURNING id",
      [id, reason, at],
    );
    return rows.length > 0;
  },

  /** Hooks whose templates or signing key name `ref` (OWNER/NAME), by owner and name. */
  hooksNaming(q: Queryable, ref: string): Promise<HookRow[]> {
    return q.query<HookRow>(
      `SELECT ${HOOK_COLUMNS} FROM hooks h ${joinOwner("p", "h.owner")}
       WHERE h.secret_refs @> ARRAY[$1]::text[] OR h.signing_secret = $1
       ORDER BY h.owner, h.name`,
      [ref],
    );
  },

  /** The new automation; undefined when its owner has one of that name. */
  async insertAutomation(
    q: Queryable,
    a: {
      owner: string;
      name: string;
      description: string;
      events: readonly HookEventType[];
      match: string;
      hookId: number;
      at: Date;
      by: string;
    },
  ): Promise<number | undefined> {
    const [row] = await q.query<{ id: number }>(
      `INSERT INTO automations (owner, name, description, events, match, hook_id, after_seq, created_at, created_by)
       VALUES ($1, $2, $3, $4::text[], $5, $6, ${OUTBOX_POSITION}, $7, $8)
       ON CONFLICT (owner, name) DO NOTHING RETURNING id`,
      [a.owner, a.name, a.description, [...a.events], a.match, a.hookId, a.at, a.by],
    );
    return row?.id;
  },

  async automation(
    q: Queryable,
    owner: string,
    name: string,
    lock = false,
  ): Promise<AutomationRow | undefined> {
    const [row] = await q.query<AutomationRow>(
      `SELECT ${AUTOMATION_COLUMNS} FROM ${AUTOMATION_FROM}
       WHERE a.owner = $1 AND a.name = $2${lock ? " FOR UPDATE OF a" : ""}`,
      [owner, name],
    );
    return row;
  },

  /** A page of the automations of `owners` (of one hook, if given), by (owner, name). */
  automationPage(
    q: Queryable,
    owners: readonly string[],
    hookId: number | null,
    after: readonly [string, string] | null,
    limit: number,
  ): Promise<AutomationRow[]> {
    return q.query<AutomationRow>(
      `SELECT ${AUTOMATION_COLUMNS} FROM ${AUTOMATION_FROM}
       WHERE a.owner = ANY($1::text[]) AND ($2::bigint IS NULL OR a.hook_id = $2)
         AND (a.owner, a.name) > ($3, $4)
       ORDER BY a.owner, a.name LIMIT $5`,
      [owners, hookId, after?.[0] ?? "", after?.[1] ?? "", limit],
    );
  },

  /** The automations of a hook, by owner and name. */
  automationsOf(q: Queryable, hookIds: readonly number[]): Promise<AutomationRow[]> {
    return q.query<AutomationRow>(
      `SELECT ${AUTOMATION_COLUMNS} FROM ${AUTOMATION_FROM}
       WHERE a.hook_id = ANY($1::bigint[]) ORDER BY a.owner, a.name`,
      [hookIds],
    );
  },

  /** Automations whose pattern is exactly `uri` (they name that one secret). */
  automationsMatching(q: Queryable, uri: string): Promise<AutomationRow[]> {
    return q.query<AutomationRow>(
      `SELECT ${AUTOMATION_COLUMNS} FROM ${AUTOMATION_FROM} WHERE a.match = $1 ORDER BY a.owner, a.name`,
      [uri],
    );
  },

  async removeAutomation(q: Queryable, id: number): Promise<void> {
    await q.query("DELETE FROM automations WHERE id = $1", [id]);
  },

  /** The automations on `type` whose hook is enabled (the dispatcher filters the rest). */
  firing(q: Queryable, types: readonly string[]): Promise<(FiringAutomation & { type: string })[]> {
    return q.query<FiringAutomation & { type: string }>(
      `SELECT t.type, a.id, a.after_seq, a.owner, p.kind AS owner_kind, a.match, a.hook_id
       FROM unnest($1::text[]) AS t(type)
       JOIN automations a ON t.type = ANY(a.events)
       JOIN hooks h ON h.id = a.hook_id AND h.enabled
       ${joinOwner("p", "a.owner")}`,
      [[...types]],
    );
  },
};

function settingColumns(s: HookSettings): unknown[] {
  return [
    s.description,
    s.url,
    JSON.stringify(s.headers),
    s.body,
    [...s.allowSecrets],
    [...s.secretRefs],
    s.signingSecret,
    s.at,
    s.by,
  ];
}

export type HookStore = typeof hookStore;
