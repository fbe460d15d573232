/**
 * Writing audit events (SPEC §7): actor, token id, action, resource, result, ip, request id
 * and time. Written with the same Queryable as the change (its transaction), so an event is
 * durable when the change is, and a failed audit write fails the call. Details hold versions,
 * counts and reasons: never a value, key or token.
 */
import { Batcher } from "../db/batcher.js";
import type { Database, Queryable } from "../db/database.js";
import type { Actor, RequestMeta } from "../auth/actor.js";

/** The actor of events the server raises itself (bootstrap, jobs). */
export const SYSTEM = { label: "system", tokenId: null } as const;
export const SYSTEM_META: RequestMeta = { ip: "local", requestId: "system" };

export type AuditResult = "ok" | "denied" | "failed";

/** Who an event names: a caller's label and token, or `system`/`oidc` with no token. */
export type AuditActor = Pick<Actor, "label"> & { tokenId: string | null };

export interface AuditEvent {
  action: string;
  resource?: string | null;
  result?: AuditResult;
  details?: Record<string, unknown>;
}

const isList = (events: AuditEvent | readonly AuditEvent[]): events is readonly AuditEvent[] =>
  Array.isArray(events);

interface AuditRow {
  actor: string;
  token_id: string | null;
  action: string;
  resource: string | null;
  result: AuditResult;
  ip: string;
  request_id: string;
  details: Record<string, unknown>;
}

function rowsOf(
  actor: AuditActor,
  meta: RequestMeta,
  events: AuditEvent | readonly AuditEvent[],
): AuditRow[] {
  const list: readonly AuditEvent[] = isList(events) ? events : [events];
  return list.map((e) => ({
    actor: actor.label,
    token_id: actor.tokenId,
    action: e.action,
    resource: e.resource ?? null,
    result: e.result ?? "ok",
    ip: meta.ip,
    request_id: meta.requestId,
    details: e.details ?? {},
  }));
}

/** The INSERT of audit rows given as JSON in parameter `$n`, to run alone or inside a CTE. */
export const insertAuditRowsSql = (n: number): string =>
  `INSERT INTO audit_events (actor, token_id, action, resource, result, ip, request_id, details)
   SELECT e.actor, e.token_id, e.action, e.resource, e.result, e.ip, e.request_id, e.details
   FROM jsonb_to_recordset($${n}::jsonb) AS e(actor text, token_id text, action text, resource text,
                                              result text, ip text, request_id text, details jsonb)`;

const INSERT_AUDIT_ROWS = insertAuditRowsSql(1);

/** The JSON parameter for insertAuditRowsSql. */
export function auditRowsJson(
  actor: AuditActor,
  meta: RequestMeta,
  events: AuditEvent | readonly AuditEvent[],
): string {
  return JSON.stringify(rowsOf(actor, meta, events));
}

async function insertRows(q: Queryable, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(INSERT_AUDIT_ROWS, [JSON.stringify(rows)]);
}

/** Writes events with the Queryable of the change (its transaction). */
export async function recordAudit(
  q: Queryable,
  actor: AuditActor,
  meta: RequestMeta,
  events: AuditEvent | readonly AuditEvent[],
): Promise<void> {
  await insertRows(q, rowsOf(actor, meta, events));
}

/**
 * For calls that change nothing but must be audited before they answer (reveals): concurrent
 * callers share one INSERT (see Batcher). Each caller waits for the commit of its own events.
 */
export class AuditWriter {
  readonly #batcher: Batcher<AuditRow[], true>;

  constructor(db: Database) {
    this.#batcher = new Batcher<AuditRow[], true>(async (batches) => {
      await insertRows(db, batches.flat());
      return batches.map(() => true as const);
    });
  }

  write(
    actor: AuditActor,
    meta: RequestMeta,
    events: AuditEvent | readonly AuditEvent[],
  ): Promise<void> {
    return this.#batcher.call(rowsOf(actor, meta, events)).then(() => undefined);
  }
}
